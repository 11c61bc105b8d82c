// One contract, every SessionStore: what a claim returns, how a session comes back, what reset,
// release and remove do. Runs against the in-memory store and against a real redis-server.
import { Redis, type Command } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pino from 'pino';
import { createRedis, redisReady } from '../src/app.ts';
import { PERSONAL_TTL_MS, SESSION_VERSION, type Session } from '../src/core/types.ts';
import { MemorySessionStore } from '../src/store/memory-store.ts';
import { RedisSessionStore } from '../src/store/redis-store.ts';
import { StoreUnavailableError, type Claim, type SessionStore } from '../src/store/session-store.ts';
import { storedSession } from './support/stored-session.ts';

function session(step: string): Session {
  return { v: SESSION_VERSION, lang: 'id', at: { flow: 'menu', step }, answers: { age: 30 }, hist: [], ask: 3, seen: ['m1'], ts: 1 };
}

interface Subject {
  store: SessionStore;
  /** Put raw text where the chat's session is kept (to simulate corruption or an old version). */
  setRaw(chat: string, raw: string): Promise<void>;
  rawOf(chat: string): Promise<string | null | undefined>;
}

let redis: Redis;
let n = 0;

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await redis.quit();
});

const subjects: Record<string, () => Subject> = {
  memory: () => {
    const store = new MemorySessionStore(60_000);
    return { store, setRaw: async (c, raw) => store.setRaw(c, raw), rawOf: async (c) => store.rawOf(c) };
  },
  redis: () => {
    const prefix = `test:contract:${process.pid}:${++n}:`;
    const store = new RedisSessionStore(redis, { prefix, ttlMs: 60_000 });
    return {
      store,
      setRaw: async (c, raw) => void (await redis.set(store.keyOf(c), raw)),
      rawOf: (c) => redis.get(store.keyOf(c)),
    };
  },
};

for (const [name, make] of Object.entries(subjects)) {
  describe(`SessionStore contract: ${name}`, () => {
    it('a chat never seen is new; a committed session comes back as it was', async () => {
      const { store } = make();
      const c1 = await store.claim('telegram:1');
      expect(c1.loaded).toEqual({ status: 'new' });
      await store.commit(c1, session('main'));
      const c2 = await store.claim('telegram:1');
      expect(c2.loaded).toEqual({ status: 'ok', session: session('main') });
      await store.release(c2);
    });

    it('release hands the chat back unchanged', async () => {
      const { store } = make();
      await store.commit(await store.claim('c'), session('a'));
      await store.release(await store.claim('c'));
      const c = await store.claim('c');
      expect(c.loaded).toEqual({ status: 'ok', session: session('a') });
      await store.release(c);
    });

    it('release of a new chat leaves nothing behind', async () => {
      const s = make();
      await s.store.release(await s.store.claim('fresh'));
      expect(await s.rawOf('fresh')).toBeFalsy();
    });

    it('remove deletes the session', async () => {
      const s = make();
      await s.store.commit(await s.store.claim('c'), session('a'));
      await s.store.remove(await s.store.claim('c'));
      expect(await s.rawOf('c')).toBeFalsy();
      const c = await s.store.claim('c');
      expect(c.loaded.status).toBe('new');
      await s.store.release(c);
    });

    it('a corrupt session is reported for a reset, not thrown', async () => {
      const s = make();
      await s.setRaw('c', '{"v":1,"lang":');
      const c = await s.store.claim('c');
      expect(c.loaded).toEqual({ status: 'reset', reason: 'corrupt' });
      await s.store.commit(c, session('main'));
      const again = await s.store.claim('c');
      expect(again.loaded.status).toBe('ok');
      await s.store.release(again);
    });

    it('a session of an unknown schema version is reported for a reset', async () => {
      const s = make();
      await s.setRaw('c', JSON.stringify({ ...session('main'), v: 99 }));
      const c = await s.store.claim('c');
      expect(c.loaded).toEqual({ status: 'reset', reason: 'version' });
      await s.store.release(c);
    });

    it('a session stored as the object (the form before the array) still loads', async () => {
      const s = make();
      const old: Session = { ...session('main'), hist: [{ flow: 'menu', step: 'x' }], pending: { kind: 'language' } };
      await s.setRaw('c', JSON.stringify(old));
      const c = await s.store.claim('c');
      expect(c.loaded).toEqual({ status: 'ok', session: old });
      await s.store.release(c);
    });

    it('stores a session by position, every part coming back: places in other flows, detours, pending, ext', async () => {
      const s = make();
      const full: Session = {
        ...session('main'),
        at: { flow: 'eligibility', step: 'kk' },
        hist: [{ flow: 'menu', step: 'main' }, { flow: 'eligibility', step: 'citizen' }, { flow: 'eligibility', step: 'age' }],
        ret: { flow: 'registration', step: 'otp' },
        rets: [{ flow: 'menu', step: 'main' }],
        pending: { kind: 'clarify', options: ['a', 'b'] },
        ext: { ticket: 't1', nested: { n: [1, 2] } },
      };
      await s.store.commit(await s.store.claim('c'), full);
      const raw = await s.rawOf('c');
      // The place in the flow the user is in is its step alone; the object's keys are not repeated.
      expect(raw).toContain('["menu/main","citizen","age"]');
      expect(raw).not.toContain('"answers"');
      expect(raw!.length).toBeLessThan(JSON.stringify(full).length * 0.8);
      const c = await s.store.claim('c');
      expect(c.loaded).toEqual({ status: 'ok', session: full });
      await s.store.release(c);
      // And what was read from elsewhere (no copy of this process's) decodes the same.
      const other = make();
      await other.setRaw('d', raw!);
      const d = await other.store.claim('d');
      expect(d.loaded).toEqual({ status: 'ok', session: full });
      await other.store.release(d);
    });

    it('a stored array that is not a session, or of another version, is reported for a reset', async () => {
      const s = make();
      await s.setRaw('a', JSON.stringify([99, 'id', 'menu', 'main', {}, [], 1, [], 1]));
      await s.setRaw('b', JSON.stringify([1, 'id', 'menu', 'main', {}, [7], 1, [], 1]));
      await s.setRaw('c', JSON.stringify([1, 'id', 'menu']));
      for (const [chat, reason] of [['a', 'version'], ['b', 'corrupt'], ['c', 'corrupt']] as const) {
        const c = await s.store.claim(chat);
        expect(c.loaded).toEqual({ status: 'reset', reason });
        await s.store.release(c);
      }
    });

    it('a second claim of the same chat waits until the first is handed back', async () => {
      const { store } = make();
      const first = await store.claim('busy');
      let secondDone = false;
      const second = store.claim('busy').then((c) => {
        secondDone = true;
        return c;
      });
      await new Promise((r) => setTimeout(r, 50));
      expect(secondDone).toBe(false);
      await store.commit(first, session('after-first'));
      const c = await second;
      expect(c.loaded).toEqual({ status: 'ok', session: session('after-first') });
      await store.release(c);
    });

    it('a claim can be handed back only once', async () => {
      const { store } = make();
      const c = await store.claim('once');
      await store.release(c);
      await expect(store.release(c)).rejects.toThrow(/already handed back/);
    });
  });
}

describe('RedisSessionStore specifics', () => {
  it('sessions expire after their time to live', async () => {
    const store = new RedisSessionStore(redis, { prefix: `test:ttl:${process.pid}:`, ttlMs: 150 });
    await store.commit(await store.claim('c'), session('main'));
    expect(await redis.pttl(store.keyOf('c'))).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    const c = await store.claim('c');
    expect(c.loaded.status).toBe('new');
    await store.release(c);
  });

  it('a chat held by a process that died is taken over after its deadline, with a reset', async () => {
    const prefix = `test:dead:${process.pid}:`;
    const dead = new RedisSessionStore(redis, { prefix, ttlMs: 60_000, lockMs: 100 });
    await dead.commit(await dead.claim('c'), session('main'));
    await dead.claim('c'); // ...and never hands it back
    const alive = new RedisSessionStore(redis, { prefix, ttlMs: 60_000, lockMs: 100 });
    const c = await alive.claim('c');
    expect(c.loaded).toEqual({ status: 'reset', reason: 'abandoned' });
    await alive.release(c);
  });

  it('uses two Redis commands for a claim and a commit', async () => {
    const prefix = `test:count:${process.pid}:`;
    const store = new RedisSessionStore(redis, { prefix, ttlMs: 60_000 });
    await store.commit(await store.claim('c'), session('main'));
    const monitor = await redis.monitor();
    const seen: string[] = [];
    monitor.on('monitor', (_t: string, args: string[]) => {
      if (String(args[1] ?? '').startsWith(prefix)) seen.push(String(args[0]).toLowerCase());
    });
    await new Promise((r) => setTimeout(r, 50));
    await store.commit(await store.claim('c'), session('next'));
    await new Promise((r) => setTimeout(r, 100));
    monitor.disconnect();
    expect(seen).toEqual(['set', 'set']);
  });

  // Redis ran the claim's SET .. GET but its reply never came back (Redis died, the connection
  // dropped): the chat holds this process's own marker and the session it replaced is lost in
  // transit. Simulated with a client whose next claim runs in Redis and then fails.
  function losingNextClaim(): { client: Redis; arm(skip?: number): void } {
    let armed = false;
    let skip = 0;
    const client = new Proxy(redis, {
      get(target, prop, receiver) {
        // The claim (`SET .. GET`) goes out through sendCommand; its reply is dropped once armed.
        if (prop === 'sendCommand') {
          return async (cmd: Command, stream?: unknown) => {
            const res = await (target.sendCommand as (c: Command, s?: unknown) => Promise<unknown>).call(target, cmd, stream);
            if (armed && cmd.name === 'set' && cmd.args.includes('GET') && skip-- === 0) {
              armed = false;
              throw new Error('Connection is closed.');
            }
            return res;
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    return {
      client,
      arm: (n = 0) => {
        armed = true;
        skip = n;
      },
    };
  }

  it('a claim whose reply was lost is taken over at once, with the last session this process wrote', async () => {
    const { client, arm } = losingNextClaim();
    // waitMs far below lockMs: waiting for our own marker's deadline would fail the claim.
    const store = new RedisSessionStore(client, { prefix: `test:lost:${process.pid}:`, ttlMs: 60_000, lockMs: 60_000, waitMs: 100 });
    await store.commit(await store.claim('c'), session('main'));
    arm();
    await expect(store.claim('c')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await redis.get(store.keyOf('c'))).toMatch(/^\u0001L\|/); // our marker was left behind
    const c = await store.claim('c');
    expect(c.loaded).toEqual({ status: 'ok', session: session('main') });
    await store.release(c);
    expect(storedSession((await redis.get(store.keyOf('c')))!)).toEqual(session('main'));
  });

  it('a lost claim of a chat this process has no copy of is reset at once', async () => {
    const { client, arm } = losingNextClaim();
    const prefix = `test:lost-nocopy:${process.pid}:`;
    const other = new RedisSessionStore(redis, { prefix, ttlMs: 60_000 });
    await other.commit(await other.claim('c'), session('main')); // written by another process
    const store = new RedisSessionStore(client, { prefix, ttlMs: 60_000, lockMs: 60_000, waitMs: 100, knownLimit: 0 });
    arm();
    await expect(store.claim('c')).rejects.toBeInstanceOf(StoreUnavailableError);
    const c = await store.claim('c');
    expect(c.loaded).toEqual({ status: 'reset', reason: 'abandoned' });
    await store.commit(c, session('again'));
    const next = await other.claim('c');
    expect(next.loaded).toEqual({ status: 'ok', session: session('again') });
    await other.release(next);
  });

  it("another process's marker is still waited for, not taken over", async () => {
    const prefix = `test:foreign:${process.pid}:`;
    const holder = new RedisSessionStore(redis, { prefix, ttlMs: 60_000, lockMs: 60_000 });
    const store = new RedisSessionStore(redis, { prefix, ttlMs: 60_000, lockMs: 60_000, waitMs: 100 });
    await store.commit(await store.claim('c'), session('main'));
    const held = await holder.claim('c');
    await expect(store.claim('c')).rejects.toBeInstanceOf(StoreUnavailableError); // "chat stayed busy"
    await holder.release(held);
    const c = await store.claim('c');
    expect(c.loaded).toEqual({ status: 'ok', session: session('main') });
    await store.release(c);
  });

  it('a session changed by someone else since this process wrote it is read from Redis, not from memory', async () => {
    const prefix = `test:known:${process.pid}:`;
    const a = new RedisSessionStore(redis, { prefix, ttlMs: 60_000 });
    const b = new RedisSessionStore(redis, { prefix, ttlMs: 60_000 });
    await a.commit(await a.claim('c'), session('from-a'));
    await b.commit(await b.claim('c'), session('from-b'));
    const c1 = await a.claim('c');
    expect(c1.loaded).toEqual({ status: 'ok', session: session('from-b') });
    await a.release(c1);
    await redis.set(a.keyOf('c'), '{"v":1,"lang":');
    const c2 = await a.claim('c');
    expect(c2.loaded).toEqual({ status: 'reset', reason: 'corrupt' });
    await a.release(c2);
  });

  /** A client whose next commit (a plain SET of a session) fails: never sent, or run by Redis with its reply lost. */
  function failingNextCommit(base = redis, what: 'commit' | 'mark' = 'commit'): { client: Redis; fail(how: 'unsent' | 'after'): void } {
    let how: 'unsent' | 'after' | undefined;
    const client = new Proxy(base, {
      get(target, prop, receiver) {
        if (prop === 'sendCommand') {
          return async (cmd: Command, stream?: unknown) => {
            const send = () => (target.sendCommand as (c: Command, s?: unknown) => Promise<unknown>).call(target, cmd, stream);
            const isMarker = String(cmd.args[1]).startsWith('\u0001');
            const isCommit = cmd.name === 'set' && !cmd.args.includes('GET') && (what === 'mark' ? isMarker : !isMarker);
            if (!isCommit || !how) return send();
            const now = how;
            how = undefined;
            if (now === 'unsent') throw new Error('Connection is closed.');
            await send();
            throw new Error('Connection is closed.');
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    return { client, fail: (h) => void (how = h) };
  }

  it('a failed commit of a session with personal answers is written back on close with its short TTL', async () => {
    const { client, fail } = failingNextCommit(new Redis(inject('redisUrl'))); // its own: close() quits it
    const prefix = `test:orphan-ttl:${process.pid}:`;
    const store = new RedisSessionStore(client, { prefix, ttlMs: 30 * 86_400_000 });
    const withNik: Session = { ...session('factor'), answers: { nik: '3201010101909901' } };
    const c = await store.claim('c');
    fail('unsent');
    await expect(store.commit(c, withNik, PERSONAL_TTL_MS)).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.close(); // a restart: the session is written back, the user walked away
    const key = store.keyOf('c');
    expect(storedSession(await redis.get(key))).toEqual(withNik);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(PERSONAL_TTL_MS);
  });

  it("a process with a failed commit of a chat waits while another process holds it, then takes that one's session", async () => {
    const { client, fail } = failingNextCommit();
    const prefix = `test:orphan-held:${process.pid}:`;
    const store = new RedisSessionStore(client, { prefix, ttlMs: 60_000, lockMs: 60_000, waitMs: 2_000 });
    const other = new RedisSessionStore(redis, { prefix, ttlMs: 60_000, lockMs: 60_000 });
    const c = await store.claim('c');
    fail('after'); // Redis stored it; this process never heard back and keeps it to restore
    await expect(store.commit(c, session('mine'))).rejects.toBeInstanceOf(StoreUnavailableError);
    const held = await other.claim('c'); // the user's next message reached the other process
    expect(held.loaded).toEqual({ status: 'ok', session: session('mine') });
    let got: Claim | undefined;
    const waiting = store.claim('c').then((x) => (got = x));
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toBeUndefined(); // not taken over with the copy this process kept
    await other.commit(held, session('by-other'));
    await waiting;
    expect(got!.loaded).toEqual({ status: 'ok', session: session('by-other') });
    await store.release(got!);
  });

  it("a session with personal answers read back from another process is never kept for 30 days when taking the chat fails", async () => {
    const { client, fail } = failingNextCommit(new Redis(inject('redisUrl')), 'mark'); // its own: close() quits it
    const prefix = `test:orphan-foreign-ttl:${process.pid}:`;
    const store = new RedisSessionStore(client, { prefix, ttlMs: 30 * 86_400_000, lockMs: 60_000 });
    const other = new RedisSessionStore(redis, { prefix, ttlMs: 30 * 86_400_000, lockMs: 60_000 });
    const withNik: Session = { ...session('factor'), answers: { nik: '3201010101909901' } };
    const held = await other.claim('c');
    fail('unsent'); // this process's marking of the chat, once it gets it, fails
    const waiting = store.claim('c').then(() => 'held', (e: unknown) => (e instanceof StoreUnavailableError ? 'failed' : String(e)));
    await new Promise((r) => setTimeout(r, 20));
    await other.commit(held, withNik, PERSONAL_TTL_MS);
    expect(await waiting).toBe('failed');
    await store.close(); // a restart: what it read is written back...
    const key = store.keyOf('c');
    expect(storedSession(await redis.get(key))).toEqual(withNik);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(PERSONAL_TTL_MS); // ...with the short TTL, as its time to live is not known
  });

  it('nor after giving up once: the marker it wrote while waiting is not the one its failed commit left', async () => {
    const { client, fail } = failingNextCommit();
    const prefix = `test:orphan-gaveup:${process.pid}:`;
    const store = new RedisSessionStore(client, { prefix, ttlMs: 60_000, lockMs: 60_000, waitMs: 50 });
    const other = new RedisSessionStore(redis, { prefix, ttlMs: 60_000, lockMs: 60_000 });
    const c = await store.claim('c');
    fail('after');
    await expect(store.commit(c, session('mine'))).rejects.toBeInstanceOf(StoreUnavailableError);
    const held = await other.claim('c');
    await expect(store.claim('c')).rejects.toThrow(/busy|unavailable/); // waited, gave up: its waiting marker stays
    expect(await redis.get(store.keyOf('c'))).toMatch(/^\u0001L\|/);
    let got: Claim | undefined;
    const retry = store.claim('c').then((x) => (got = x), () => undefined); // the user's retry reaches this process
    await new Promise((r) => setTimeout(r, 30));
    expect(got).toBeUndefined(); // still the other's chat
    await other.commit(held, session('by-other'));
    await retry;
    if (!got) got = await store.claim('c'); // (the retry may have given up again meanwhile)
    expect(got.loaded).toEqual({ status: 'ok', session: session('by-other') });
    await store.release(got);
  });

  it("a commit whose reply was lost to a dropped connection is not sent again after the reconnect, over another process's newer session", async () => {
    const silent = pino({ level: 'silent' });
    const prefix = `test:no-resend:${process.pid}:`;
    const [ca, cb] = [createRedis(inject('redisUrl'), silent), createRedis(inject('redisUrl'), silent)];
    expect(await redisReady(ca, 5_000)).toBe(true);
    expect(await redisReady(cb, 5_000)).toBe(true);
    const a = new RedisSessionStore(ca, { prefix, ttlMs: 60_000 });
    const b = new RedisSessionStore(cb, { prefix, ttlMs: 60_000 });
    const claimed = await a.claim('c');
    const saved = a.commit(claimed, session('s1')).then(() => 'confirmed', () => 'failed');
    (ca as unknown as { stream: { destroy(): void } }).stream.destroy(); // written; the reply never comes back
    for (let i = 0; i < 100 && (await redis.get(a.keyOf('c')))?.startsWith('\u0001'); i++) await new Promise((r) => setTimeout(r, 5)); // Redis ran it
    const next = await b.claim('c'); // the user, answered from s1, writes again; the other process gets it
    expect(next.loaded).toEqual({ status: 'ok', session: session('s1') });
    await b.commit(next, session('s2'));
    expect(await saved).toBe('failed');
    expect(await redisReady(ca, 5_000)).toBe(true); // reconnected: nothing may be sent again now
    await new Promise((r) => setTimeout(r, 100));
    expect(storedSession(await redis.get(a.keyOf('c')))).toEqual(session('s2'));
    const again = await a.claim('c'); // and this process carries on from the other's session
    expect(again.loaded).toEqual({ status: 'ok', session: session('s2') });
    await a.release(again);
    await Promise.all([ca.quit(), cb.quit()]);
  });

  it("a lost claim that was waiting for another process's chat does not take it over", async () => {
    const { client, arm } = losingNextClaim();
    const prefix = `test:lost-waiting:${process.pid}:`;
    const holder = new RedisSessionStore(redis, { prefix, ttlMs: 60_000, lockMs: 60_000 });
    const store = new RedisSessionStore(client, { prefix, ttlMs: 60_000, lockMs: 60_000, waitMs: 100 });
    await store.commit(await store.claim('c'), session('main'));
    const held = await holder.claim('c');
    arm(1); // the first SET .. GET finds the holder's marker; the second (a waiting one) is lost
    await expect(store.claim('c')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.claim('c')).rejects.toBeInstanceOf(StoreUnavailableError); // still busy
    await holder.commit(held, session('by-holder'));
    const c = await store.claim('c');
    expect(c.loaded).toEqual({ status: 'ok', session: session('by-holder') });
    await store.release(c);
  });
});
