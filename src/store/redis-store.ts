// Sessions in Redis, one string key per chat, two commands per message:
//
//   claim:  SET key <marker> PX ttl GET   -> the stored session comes back and a "busy" marker
//                                            takes its place, atomically
//   commit: SET key <session> PX ttl      -> the new session replaces the marker
//
// Whoever gets a session (or nothing: a new chat) back from the claim holds the chat; whoever
// gets a marker back waits and tries again. So one chat's messages are never applied at once,
// also across processes, without a separate lock key or a Lua script (each would cost commands
// on every message: INFO commandstats counts the commands a script runs).
//
// A marker says who wrote it and until when the chat may be held. A holder that died leaves its
// marker behind; once that deadline passes, the next claimant takes over and the user is told
// the session was reset. A commit that failed because Redis went away is remembered in this
// process (`orphans`), so when Redis is back the old session is restored, not reset.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Session } from '../core/types.ts';
import { decodeSession, encodeSession, StoreUnavailableError, type Claim, type Loaded, type SessionStore } from './session-store.ts';

const MARK = '\u0001L|';

interface RedisClaim extends Claim {
  /** What the key held before the claim: restored on release. null = nothing. */
  readonly before: string | null;
  handedBack?: boolean;
}

export interface RedisStoreOptions {
  prefix: string;
  ttlMs: number;
  /** How long a holder may keep a chat before others consider it dead. */
  lockMs?: number;
  /** How long a claimant waits for a busy chat before giving up. */
  waitMs?: number;
  now?: () => number;
}

export class RedisSessionStore implements SessionStore {
  private readonly token = randomUUID().slice(0, 8);
  private readonly lockMs: number;
  private readonly waitMs: number;
  private readonly now: () => number;
  /** Sessions whose claim succeeded but whose hand-back failed: key -> what to restore. */
  private readonly orphans = new Map<string, string | null>();

  constructor(
    private readonly redis: Redis,
    private readonly opts: RedisStoreOptions,
  ) {
    this.lockMs = opts.lockMs ?? 15_000;
    this.waitMs = opts.waitMs ?? this.lockMs + 5_000;
    this.now = opts.now ?? Date.now;
  }

  keyOf(chatKey: string): string {
    return `${this.opts.prefix}s:${chatKey}`;
  }

  async claim(chatKey: string): Promise<Claim> {
    const key = this.keyOf(chatKey);
    const started = this.now();
    let carried: number | undefined; // the deadline of the holder we are waiting for
    let delay = 1;
    for (;;) {
      const now = this.now();
      const deadline = carried ?? now + this.lockMs;
      const prev = await this.cmd(() => this.redis.set(key, `${MARK}${this.token}|${deadline}`, 'PX', this.opts.ttlMs, 'GET'));
      if (prev === null || !prev.startsWith(MARK)) {
        if (carried !== undefined) await this.mark(key, now); // we hold it now: our own deadline, not the one we waited on
        // Redis came back empty (restarted without persistence) after a hand-back of ours failed.
        const held = prev === null && this.orphans.has(key) ? (this.orphans.get(key) ?? null) : prev;
        this.orphans.delete(key);
        return this.claimOf(chatKey, held, held === null ? { status: 'new' } : decodeSession(held));
      }
      const [owner, until] = prev.slice(MARK.length).split('|');
      if (owner === this.token && this.orphans.has(key)) {
        // Our own marker from a hand-back that failed while Redis was away: restore what was there.
        const before = this.orphans.get(key) ?? null;
        this.orphans.delete(key);
        await this.mark(key, now);
        return this.claimOf(chatKey, before, before === null ? { status: 'new' } : decodeSession(before));
      }
      const holderDeadline = Number(until);
      carried = carried === undefined ? holderDeadline : Math.min(carried, holderDeadline);
      if (!Number.isFinite(carried) || now > carried) {
        await this.mark(key, now);
        return this.claimOf(chatKey, null, { status: 'reset', reason: 'abandoned' });
      }
      if (now - started > this.waitMs) throw new StoreUnavailableError(new Error('chat stayed busy'));
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 25);
    }
  }

  async commit(claim: Claim, session: Session): Promise<void> {
    await this.handBack(claim, encodeSession(session));
  }

  async release(claim: Claim): Promise<void> {
    await this.handBack(claim, (claim as RedisClaim).before);
  }

  async remove(claim: Claim): Promise<void> {
    await this.handBack(claim, null);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    // Hand-backs that never reached Redis: one last try, so a restart loses as little as possible.
    for (const [key, before] of this.orphans) {
      try {
        if (before === null) await this.redis.del(key);
        else await this.redis.set(key, before, 'PX', this.opts.ttlMs);
        this.orphans.delete(key);
      } catch {
        break;
      }
    }
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private claimOf(chatKey: string, before: string | null, loaded: Loaded): RedisClaim {
    return { key: chatKey, loaded, before };
  }

  private async handBack(claim: Claim, value: string | null): Promise<void> {
    const c = claim as RedisClaim;
    if (c.handedBack) throw new Error('claim already handed back');
    c.handedBack = true;
    const key = this.keyOf(c.key);
    try {
      if (value === null) await this.redis.del(key);
      else await this.redis.set(key, value, 'PX', this.opts.ttlMs);
    } catch (err) {
      this.orphans.set(key, c.before);
      throw new StoreUnavailableError(err);
    }
  }

  private async mark(key: string, now: number): Promise<void> {
    await this.cmd(() => this.redis.set(key, `${MARK}${this.token}|${now + this.lockMs}`, 'PX', this.opts.ttlMs));
  }

  private async cmd<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      throw new StoreUnavailableError(err);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
