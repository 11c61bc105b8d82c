// One contract, every SessionStore: what a claim returns, how a session comes back, what reset,
// release and remove do. Runs against the in-memory store and against a real redis-server.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SESSION_VERSION, type Session } from '../src/core/types.ts';
import { MemorySessionStore } from '../src/store/memory-store.ts';
import { RedisSessionStore } from '../src/store/redis-store.ts';
import type { SessionStore } from '../src/store/session-store.ts';

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
});
