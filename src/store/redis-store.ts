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
// A marker says who wrote it, until when the chat may be held, and which of its writer's markers
// it is (a number: no two are alike). A holder that died leaves its marker behind; once that
// deadline passes, the next claimant takes over and the user is told the session was reset.
// (Known gap: should two other processes both be waiting for a dead holder's chat when its
// deadline passes, both can take it over; each user gets the reset notice, and one message can
// be lost.) A hand-back that failed because Redis went away is remembered in this
// process (`orphans`), so when Redis is back the session is restored, not reset: for a commit,
// the new session, which the user has already been answered from (see below).
//
// A commit does not hold anyone up until Redis acknowledges it. The runtime sends the user's
// replies as soon as the commit is written to the socket, and the chat's next message may send
// its claim right behind it: Redis runs one connection's commands in order, so that claim finds
// the committed session, or, should the commit fail, our own marker, and the orphan above takes
// its place (ioredis settles replies in the order they come, so the failure is on record by
// then). A lone chat's message thus waits for one round trip to Redis, not two.
//
// A claim can also be lost the other way round: Redis runs the `SET .. GET`, then dies (or the
// connection drops) before its reply arrives. The chat then holds this process's own marker and
// the session it replaced came back to nobody. So this process keeps, per chat, the last session
// string it saw or wrote (`known`, bounded) and the markers of the claims that failed that way
// (`lost`); the next claim that finds one of those very markers there takes the chat over at
// once and restores that copy, instead of waiting out its own deadline and resetting the
// conversation. A failed hand-back's orphan is restored the same way: only by a claim that finds
// a marker the hand-back could have left, never one this process wrote while waiting for
// another holder (who may still hold the chat).
// Without a copy the chat is reset at once, as an abandoned one would be after its deadline.
// Across several processes the copy can be one step old (another process wrote the chat after
// our last look), and should the lost claim have replaced another process's marker, both handle
// one message at once; the alternative is a conversation reset after 15 s of waiting.
//
// The same copy saves the decoding: when a claim returns exactly the string this process last
// saw or wrote for the chat, the session object that string came from is reused instead of
// `JSON.parse` + schema validation (every session `step` produces passes the schema and survives
// the round trip: test/fuzz-step.test.ts). Sessions are never changed in place (`step` copies
// the one it is given), so sharing the object is safe.
//
// Socket writes: ioredis writes every command to its socket at once, one `write` (one system
// call) each, which was the largest single cost of a message under load. The first command of
// the store in the current batch of synchronous work and promise callbacks still goes out at
// once (a lone chat's claim or commit does not wait for anything); should a second one follow in
// the same batch, the store corks the socket and uncorks it once the batch is over
// (`process.nextTick`), so the claims and commits of many chats that are ready at the same moment
// leave in one `writev` after the first. The commands, their order and their replies are the
// same; a command waits at most until the current run of callbacks ends.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { Command, type Redis } from 'ioredis';
import { PERSONAL_TTL_MS, type Session } from '../core/types.ts';
import { decodeSession, encodeSession, StoreUnavailableError, type Claim, type Loaded, type SessionStore } from './session-store.ts';

const MARK = '\u0001L|';

/** Chats whose last session string this process remembers, by default. */
const KNOWN_LIMIT = 10_000;

interface Known {
  raw: string;
  session: Session;
}

/** What to put back in a chat whose hand-back failed: the session (null: nothing) and its time to live. */
interface Orphan {
  raw: string | null;
  ttlMs: number;
  /**
   * The markers of ours that may be in the chat's key while the hand-back has not landed: a claim
   * that finds one of them there restores `raw`. Any other marker may be a holder's.
   */
  markers: string[];
}

interface RedisClaim extends Claim {
  /** The Redis key of the chat. */
  readonly redisKey: string;
  /** Our marker in the key while we hold the chat. */
  readonly marker: string;
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
  /** How many chats' last session strings to remember (decode cache, lost-claim recovery). */
  knownLimit?: number;
}

export class RedisSessionStore implements SessionStore {
  private readonly token = randomUUID().slice(0, 8);
  private readonly lockMs: number;
  private readonly waitMs: number;
  private readonly now: () => number;
  /** Sessions whose claim succeeded but whose hand-back failed: key -> what to restore. */
  private readonly orphans = new Map<string, Orphan>();
  /** key -> the last session string this process read from or wrote to it, and its session. */
  private readonly known = new Map<string, Known>();
  private readonly knownLimit: number;
  /**
   * Keys whose claims by this process failed after sending the `SET .. GET` that claims the chat
   * (since the key was last read), and the markers they sent: if Redis ran one, the key holds it
   * and the session it replaced came back to nobody.
   */
  private readonly lost = new Map<string, string[]>();
  /** The session TTL as the `PX` argument of a claim or commit. */
  private readonly ttlArg: string;
  private readonly commandOptions: { replyEncoding: 'utf8'; keyPrefix?: string };
  /** How many markers this process has made (see `markerUntil`). */
  private markers = 0;
  private lastChatKey = '';
  private lastKey = '';
  /** The socket that took a command of ours in the current tick, and whether it is corked (see `coalesce`). */
  private tick: { socket: Socket; corked: boolean } | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly opts: RedisStoreOptions,
  ) {
    this.lockMs = opts.lockMs ?? 15_000;
    this.waitMs = opts.waitMs ?? this.lockMs + 5_000;
    this.now = opts.now ?? Date.now;
    this.knownLimit = opts.knownLimit ?? KNOWN_LIMIT;
    this.ttlArg = String(opts.ttlMs);
    this.commandOptions = { replyEncoding: 'utf8', ...(redis.options.keyPrefix ? { keyPrefix: redis.options.keyPrefix } : {}) };
  }

  /**
   * `SET` with the given arguments, the way `redis.set(...)` sends it, minus the generated
   * method's work on every call (argument list, options object, auto-pipelining check): the
   * claim and the commit are two commands on every message, and every other `SET` of the store
   * goes the same way. `sendCommand` with a `Command` is ioredis's documented way to send one.
   */
  private set(args: string[]): Promise<string | null> {
    const opts = this.redis.options.showFriendlyErrorStack ? { ...this.commandOptions, errorStack: new Error() } : this.commandOptions;
    return this.redis.sendCommand(new Command('set', args, opts)) as Promise<string | null>;
  }

  /** A TTL as the `PX` argument. */
  private px(ttlMs: number): string {
    return ttlMs === this.opts.ttlMs ? this.ttlArg : String(ttlMs);
  }

  keyOf(chatKey: string): string {
    // The runtime peeks and claims with the same chat key one after the other: one string (whose
    // hash the Maps below compute once) instead of a new concatenation for each.
    if (chatKey === this.lastChatKey) return this.lastKey;
    const key = `${this.opts.prefix}s:${chatKey}`;
    this.lastChatKey = chatKey;
    this.lastKey = key;
    return key;
  }

  async claim(chatKey: string): Promise<Claim> {
    const key = this.keyOf(chatKey);
    const started = this.now();
    let carried: number | undefined; // the deadline of the holder we are waiting for
    let delay = 1;
    for (let attempt = 0; ; attempt++) {
      const now = attempt === 0 ? started : this.now();
      const marker = this.markerUntil(carried ?? now + this.lockMs);
      let prev: string | null;
      try {
        this.coalesce();
        prev = await this.set([key, marker, 'PX', this.ttlArg, 'GET']);
      } catch (err) {
        // Did Redis run it? Unknown. Only a marker of ours that claims the chat (not one that
        // waits for another holder) may be taken over by our next claim: see `lost`.
        if (carried === undefined) {
          const lost = this.lost.get(key);
          if (lost) lost.push(marker);
          else this.lost.set(key, [marker]);
          this.orphans.get(key)?.markers.push(marker); // it may have replaced the failed hand-back's marker
        } else this.lost.delete(key);
        throw new StoreUnavailableError(err);
      }
      // Whatever the key held is replaced by our marker now, so a lost claim's marker can only be
      // met this once.
      const lost = this.lost.size > 0 ? this.lost.get(key) : undefined;
      if (lost) this.lost.delete(key);
      const orphan = this.orphans.size > 0 ? this.orphans.get(key) : undefined;
      if (prev === null || !prev.startsWith(MARK)) {
        // A session (a hand-back of ours landed after all, or someone else's), or nothing: Redis
        // came back empty (restarted without persistence), so our failed hand-back is put back.
        if (orphan) this.orphans.delete(key);
        // The time to live of a session read back is not known here: should holding it fail
        // below, it is kept with the short one (it may hold personal answers).
        const kept = prev === null && orphan ? orphan : { raw: prev, ttlMs: Math.min(PERSONAL_TTL_MS, this.opts.ttlMs), markers: [] };
        const held = carried === undefined ? marker : await this.markOrKeep(key, now, kept, marker); // our own deadline, not the one we waited on
        return this.claimOf(chatKey, key, held, kept.raw);
      }
      const [owner, until] = prev.slice(MARK.length).split('|');
      if (owner === this.token && orphan && orphan.markers.includes(prev)) {
        // Our own marker, left by a hand-back that failed while Redis was away: restore what was
        // there. (Not any marker of ours: one we wrote while waiting for another holder, who
        // still holds the chat, says nothing about our hand-back.)
        this.orphans.delete(key);
        const held = carried === undefined ? marker : await this.markOrKeep(key, now, orphan, marker);
        return this.claimOf(chatKey, key, held, orphan.raw);
      }
      if (lost?.includes(prev)) {
        // Our own marker from our last claim, whose reply never came: the session it replaced is
        // lost in transit. Take the chat now with the last copy we know, or reset it now.
        const copy = this.known.get(key);
        return copy ? this.claimOf(chatKey, key, marker, copy.raw) : this.claimOf(chatKey, key, marker, null, { status: 'reset', reason: 'abandoned' });
      }
      const holderDeadline = Number(until);
      carried = carried === undefined ? holderDeadline : Math.min(carried, holderDeadline);
      if (!Number.isFinite(carried) || now > carried) {
        // The holder died: the chat is reset, and a hand-back of ours still on record is older
        // than whatever the holder did with it.
        if (orphan) this.orphans.delete(key);
        const held = await this.mark(key, now);
        return this.claimOf(chatKey, key, held, null, { status: 'reset', reason: 'abandoned' });
      }
      if (now - started > this.waitMs) throw new StoreUnavailableError(new Error('chat stayed busy'));
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 25);
    }
  }

  peek(chatKey: string): Session | undefined {
    return this.known.get(this.keyOf(chatKey))?.session;
  }

  commit(claim: Claim, session: Session, ttlMs = this.opts.ttlMs): Promise<void> {
    let c: RedisClaim;
    let raw: string;
    try {
      raw = encodeSession(session); // first: should it throw (a bug), the claim is not marked handed back
      c = this.handingBack(claim);
    } catch (err) {
      return Promise.reject(err);
    }
    const key = c.redisKey;
    // Remembered now, not on the reply: the chat's next message, whose claim may leave before the
    // reply arrives, steps its guess (`peek`) from this session while the claim travels.
    this.remember(key, raw, session);
    this.coalesce();
    return this.set([key, raw, 'PX', this.px(ttlMs)]).then(
      () => undefined,
      (err: unknown) => {
        // The user has been answered from this session: restore it, not the one before.
        this.orphans.set(key, { raw, ttlMs, markers: [c.marker] });
        throw new StoreUnavailableError(err);
      },
    );
  }

  async release(claim: Claim, ttlMs = this.opts.ttlMs): Promise<void> {
    await this.handBack(claim, (claim as RedisClaim).before, ttlMs);
  }

  async remove(claim: Claim): Promise<void> {
    await this.handBack(claim, null, this.opts.ttlMs);
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
    for (const [key, { raw, ttlMs, markers }] of this.orphans) {
      try {
        // Only where the hand-back is still missing: not over what another process wrote since.
        const current = await this.redis.get(key);
        if (current !== null && !markers.includes(current)) continue;
        if (raw === null) await this.redis.del(key);
        else await this.set([key, raw, 'PX', this.px(ttlMs)]);
        this.orphans.delete(key);
      } catch {
        break;
      }
    }
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /**
   * The claim of a chat whose key held `before` (null: nothing), decoded unless `loaded` is given.
   * A string this process saw or wrote last is not decoded again.
   */
  private claimOf(chatKey: string, key: string, marker: string, before: string | null, loaded?: Loaded): RedisClaim {
    if (!loaded) {
      if (before === null) loaded = { status: 'new' };
      else {
        const copy = this.known.get(key);
        if (copy && copy.raw === before) loaded = { status: 'ok', session: copy.session };
        else {
          loaded = decodeSession(before);
          if (loaded.status === 'ok') this.remember(key, before, loaded.session);
          else this.known.delete(key);
        }
      }
    }
    return { key: chatKey, redisKey: key, marker, loaded, before };
  }

  private remember(key: string, raw: string, session: Session): void {
    const known = this.known;
    // Updated in place: a Map keeps its first insertion order, so the limit drops the chats first
    // seen longest ago (not the least recently active: re-inserting on every message cost a
    // delete and a set; a chat dropped while still active costs one decode on its next claim).
    const entry = known.get(key);
    if (entry) {
      entry.raw = raw;
      entry.session = session;
      return;
    }
    known.set(key, { raw, session });
    if (known.size > this.knownLimit) known.delete(known.keys().next().value!);
  }

  /** The claim, marked as handed back (once only). */
  private handingBack(claim: Claim): RedisClaim {
    const c = claim as RedisClaim;
    if (c.handedBack) throw new Error('claim already handed back');
    c.handedBack = true;
    return c;
  }

  /** Writes `value` (null: deletes the key). `ttlMs` is the TTL of the session as it was (`before`), kept should this fail. */
  private async handBack(claim: Claim, value: string | null, ttlMs: number): Promise<void> {
    const c = this.handingBack(claim);
    const key = c.redisKey;
    try {
      this.coalesce();
      if (value === null) {
        this.known.delete(key);
        await this.redis.del(key);
      } else await this.set([key, value, 'PX', this.px(ttlMs)]);
    } catch (err) {
      // A removal that may not have happened is done when Redis is back: what the user asked for.
      this.orphans.set(key, { raw: value === null ? null : c.before, ttlMs, markers: [c.marker] });
      throw new StoreUnavailableError(err);
    }
  }

  /**
   * Called before each command. The first command of the current tick is written at once; from
   * the second on, the socket's writes are held until the tick's callbacks are done, then sent in
   * one go (see the top of this file). Each tick record uncorks exactly the socket it corked, once.
   */
  private coalesce(): void {
    const s = (this.redis as { stream?: Socket }).stream;
    if (!s || typeof s.cork !== 'function' || s.destroyed) return;
    const t = this.tick;
    if (t && t.socket === s) {
      if (!t.corked) {
        t.corked = true;
        s.cork();
      }
      return;
    }
    const mine = { socket: s, corked: false };
    this.tick = mine;
    process.nextTick(() => {
      if (this.tick === mine) this.tick = null;
      if (mine.corked) s.uncork();
    });
  }

  /**
   * A marker of ours: this process, the deadline, and a number of its own, so that no two markers
   * this process writes are alike (a marker found in the key then says which write it came from).
   */
  private markerUntil(deadline: number): string {
    return `${MARK}${this.token}|${deadline}|${++this.markers}`;
  }

  /** Our marker with our own deadline, written; returns it. */
  private async mark(key: string, now: number, marker = this.markerUntil(now + this.lockMs)): Promise<string> {
    await this.cmd(() => this.set([key, marker, 'PX', this.ttlArg]));
    return marker;
  }

  /**
   * `mark`; should it fail, what the key held is remembered as if a hand-back had failed (the key
   * then holds `written`, the marker of the claim's `SET .. GET`, or the new one).
   */
  private async markOrKeep(key: string, now: number, kept: Orphan, written: string): Promise<string> {
    const next = this.markerUntil(now + this.lockMs);
    try {
      return await this.mark(key, now, next);
    } catch (err) {
      this.orphans.set(key, { raw: kept.raw, ttlMs: kept.ttlMs, markers: [written, next] });
      throw err;
    }
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
