// Lockout: 5 failed verifications within an hour, for the same user or for the same NIK across
// users, lock further lookups for an hour. Two implementations behind one interface: Redis
// (several Pandu processes share the counters) and memory (console / memory mode).
//
// Counting is per fixed window: the first failure starts an hour; the 5th failure inside it
// sets a lock for an hour from then. A successful lookup resets nothing, so successes cannot be
// interleaved with guesses to earn more of them. Keys are keyed hashes (the caller's), never a
// NIK or a user id in clear.
import type { Redis } from 'ioredis';

export interface LockKeys {
  /** Tag of the channel user ("telegram:123"). */
  user: string;
  /** Tag of the NIK, when one is known yet. */
  nik?: string;
}

export type LockState = { locked: false } | { locked: true; until: number };

export interface FailResult {
  /** Set when this failure locked the user or the NIK: until when (Unix ms). */
  lockedUntil?: number;
  /** Failures left before a lock (the smaller of the user's and the NIK's). */
  attemptsLeft: number;
}

export interface LockoutPolicy {
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { maxFailures: 5, windowMs: 3_600_000, lockMs: 3_600_000 };

export interface Lockout {
  /** Is the user or the NIK locked now? */
  check(keys: LockKeys): Promise<LockState>;
  /** Count a failed verification for the user and the NIK. */
  fail(keys: LockKeys): Promise<FailResult>;
}

function ids(keys: LockKeys): string[] {
  return keys.nik ? [`u:${keys.user}`, `n:${keys.nik}`] : [`u:${keys.user}`];
}

// ---------------------------------------------------------------------------------------------

export class MemoryLockout implements Lockout {
  private readonly counts = new Map<string, { n: number; resetAt: number }>();
  private readonly locks = new Map<string, number>();
  private readonly p: LockoutPolicy;
  private readonly now: () => number;

  constructor(policy: Partial<LockoutPolicy> = {}, now: () => number = Date.now) {
    this.p = { ...DEFAULT_LOCKOUT, ...policy };
    this.now = now;
  }

  async check(keys: LockKeys): Promise<LockState> {
    const now = this.now();
    this.sweep(now);
    let until = 0;
    for (const id of ids(keys)) {
      const u = this.locks.get(id);
      if (u !== undefined && u > now) until = Math.max(until, u);
    }
    return until > 0 ? { locked: true, until } : { locked: false };
  }

  async fail(keys: LockKeys): Promise<FailResult> {
    const now = this.now();
    this.sweep(now);
    let left = this.p.maxFailures;
    let lockedUntil: number | undefined;
    for (const id of ids(keys)) {
      const c = this.counts.get(id);
      const cur = c && c.resetAt > now ? c : { n: 0, resetAt: now + this.p.windowMs };
      cur.n++;
      if (cur.n >= this.p.maxFailures) {
        this.counts.delete(id);
        lockedUntil = now + this.p.lockMs;
        this.locks.set(id, lockedUntil);
        left = 0;
      } else {
        this.counts.set(id, cur);
        left = Math.min(left, this.p.maxFailures - cur.n);
      }
    }
    return lockedUntil !== undefined ? { lockedUntil, attemptsLeft: 0 } : { attemptsLeft: left };
  }

  private lastSweep = 0;
  /** Drop expired entries now and then, so memory stays bounded by the last hour's failures. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [k, c] of this.counts) if (c.resetAt <= now) this.counts.delete(k);
    for (const [k, u] of this.locks) if (u <= now) this.locks.delete(k);
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * KEYS: pairs of (failure counter, lock). ARGV: window ms, lock ms, max failures.
 * Per pair: INCR the counter (starting its window on the first failure); at the maximum, set the
 * lock and clear the counter. Returns per pair the count, or -1 when it locked.
 */
const FAIL_LUA = `
local out = {}
for i = 1, #KEYS, 2 do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
  if n >= tonumber(ARGV[3]) then
    redis.call('SET', KEYS[i + 1], '1', 'PX', ARGV[2])
    redis.call('DEL', KEYS[i])
    out[#out + 1] = -1
  else
    out[#out + 1] = n
  end
end
return out
`;

export interface RedisLockoutOptions {
  prefix: string;
  policy?: Partial<LockoutPolicy>;
  now?: () => number;
}

export class RedisLockout implements Lockout {
  private readonly p: LockoutPolicy;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly o: RedisLockoutOptions,
  ) {
    this.p = { ...DEFAULT_LOCKOUT, ...o.policy };
    this.now = o.now ?? Date.now;
  }

  async check(keys: LockKeys): Promise<LockState> {
    const pipe = this.redis.pipeline();
    for (const id of ids(keys)) pipe.pttl(`${this.o.prefix}l:${id}`);
    const res = (await pipe.exec()) ?? [];
    let ttl = 0;
    for (const [err, v] of res) {
      if (err) throw err;
      ttl = Math.max(ttl, Number(v));
    }
    return ttl > 0 ? { locked: true, until: this.now() + ttl } : { locked: false };
  }

  async fail(keys: LockKeys): Promise<FailResult> {
    const redisKeys = ids(keys).flatMap((id) => [`${this.o.prefix}f:${id}`, `${this.o.prefix}l:${id}`]);
    const res = (await this.redis.eval(FAIL_LUA, redisKeys.length, ...redisKeys, this.p.windowMs, this.p.lockMs, this.p.maxFailures)) as number[];
    if (res.some((n) => Number(n) === -1)) return { lockedUntil: this.now() + this.p.lockMs, attemptsLeft: 0 };
    return { attemptsLeft: Math.max(0, this.p.maxFailures - Math.max(...res.map(Number))) };
  }
}
