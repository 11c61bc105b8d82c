// The runtime on a real redis-server: per-chat order and exactly-once across two processes'
// runtimes, platform retries dropped, and a Redis outage survived without losing the conversation.
import { Redis, type Command } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedis, redisReady } from '../src/app.ts';
import { Runtime } from '../src/core/runtime.ts';
import type { Inbound } from '../src/core/types.ts';
import { RedisSessionStore } from '../src/store/redis-store.ts';
import { repoEngine } from './support/app.ts';
import { startRedis, type RedisServer } from './support/redis-server.ts';
import { tallyEngine } from './support/tally-engine.ts';
import { storedSession } from './support/stored-session.ts';

const silent = pino({ level: 'silent' });


function text(chat: string, t: string, messageId?: string): Inbound {
  return { channel: 'telegram', chatId: chat, userId: chat, messageId, event: { type: 'text', text: t } };
}

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await redis.quit();
});

describe('two runtimes sharing one Redis', () => {
  it('apply 50 simultaneous messages of one chat exactly once, each process in its arrival order', async () => {
    const prefix = `test:two:${process.pid}:`;
    const engine = tallyEngine();
    // Two "processes": separate connections, separate stores, separate runtimes.
    const conns = [new Redis(inject('redisUrl')), new Redis(inject('redisUrl'))];
    const runtimes = conns.map((c) => new Runtime({ engine, store: new RedisSessionStore(c, { prefix, ttlMs: 60_000 }), logger: silent }));
    const sent: [number[], number[]] = [[], []];
    const all = Array.from({ length: 50 }, (_, i) => {
      const which = i % 3 === 0 ? 1 : 0;
      sent[which].push(i);
      return runtimes[which]!.handle(text('chat-50', String(i), `m${i}`));
    });
    const replies = await Promise.all(all);
    await Promise.all(runtimes.map((r) => r.drain())); // every session written, before reading Redis
    // Every message got its answer (the question again), none an apology.
    expect(replies.filter((r) => !r.at(-1)?.text.startsWith('log=') || r.some((x) => x.text.startsWith('common.')) && r[0]!.text !== 'common.welcome')).toEqual([]);

    const stored = storedSession((await redis.get(`${prefix}s:telegram:chat-50`))!);
    const log = String(stored.answers.log).split(',').map(Number);
    expect([...log].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i)); // each exactly once
    for (const mine of sent) expect(log.filter((x) => mine.includes(x))).toEqual(mine); // in order per process
    await Promise.all(conns.map((c) => c.quit()));
  });

  it('take turns on one chat: each works from what the other wrote, never from its own older copy', async () => {
    // Every message after the first finds this process's copy of the session one step old (the
    // other process wrote since): the step worked out from that copy while the claim was on its
    // way must be dropped, or a message of the other process would vanish from the log.
    const prefix = `test:turns:${process.pid}:`;
    const engine = tallyEngine();
    const conns = [new Redis(inject('redisUrl')), new Redis(inject('redisUrl'))];
    const runtimes = conns.map((c) => new Runtime({ engine, store: new RedisSessionStore(c, { prefix, ttlMs: 60_000 }), logger: silent }));
    for (let i = 0; i < 12; i++) await runtimes[i % 2]!.handle(text('turns', String(i), `t${i}`));
    await Promise.all(runtimes.map((r) => r.drain()));
    const stored = storedSession((await redis.get(`${prefix}s:telegram:turns`))!);
    expect(stored.answers.log).toBe('0,1,2,3,4,5,6,7,8,9,10,11');
    await Promise.all(conns.map((c) => c.quit()));
  });

  it('drop a platform retry of a message already applied', async () => {
    const prefix = `test:dedup:${process.pid}:`;
    const rt = new Runtime({ engine: tallyEngine(), store: new RedisSessionStore(redis, { prefix, ttlMs: 60_000 }), logger: silent });
    await rt.handle(text('c', 'a', 'u1'));
    expect(await rt.handle(text('c', 'a', 'u1'))).toEqual([]);
    await rt.handle(text('c', 'b', 'u2'));
    await rt.drain();
    expect(storedSession((await redis.get(`${prefix}s:telegram:c`))!).answers.log).toBe('a,b');
  });
});

describe("a reply and its session's write", () => {
  /**
   * A client whose commits (a plain `SET`, not the claim's `SET .. GET`) can be held: Redis runs
   * them, their replies wait for `release()`; or failed once: not sent at all, or run by Redis
   * with the reply lost, as when the connection drops on either side of it.
   */
  function commitsOf(base: Redis) {
    let mode: 'pass' | 'hold' | 'fail-unsent' | 'fail-after' = 'pass';
    const held: (() => void)[] = [];
    let confirmed = 0;
    const client = new Proxy(base, {
      get(target, prop, receiver) {
        if (prop === 'sendCommand') {
          return async (cmd: Command, stream?: unknown) => {
            const send = () => (target.sendCommand as (c: Command, s?: unknown) => Promise<unknown>).call(target, cmd, stream);
            if (cmd.name !== 'set' || cmd.args.includes('GET')) return send();
            const now = mode;
            if (now === 'fail-unsent') {
              mode = 'pass';
              throw new Error('Connection is closed.');
            }
            const res = await send();
            if (now === 'fail-after') {
              mode = 'pass';
              throw new Error('Connection is closed.');
            }
            if (now === 'hold') await new Promise<void>((r) => held.push(r));
            confirmed++;
            return res;
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    return {
      client,
      set: (m: typeof mode) => void (mode = m),
      /** Commits whose confirmation has reached the store. */
      confirmed: () => confirmed,
      release: () => {
        mode = 'pass';
        for (const r of held.splice(0)) r();
      },
    };
  }

  // The tally engine's question is "log=" with the question's number: the next question, not an apology.
  const said = (replies: { text: string; ask?: number }[]) => replies.map((r) => `${r.text}#${r.ask ?? ''}`).join('\n');
  const stalled = <T>(p: Promise<T>) => Promise.race([p, new Promise<'stalled'>((r) => setTimeout(r, 2_000, 'stalled'))]);

  it("answers without waiting for Redis to confirm the write; the chat's next message works from it; drain waits for it", async () => {
    const prefix = `test:behind:${process.pid}:`;
    const commits = commitsOf(redis);
    const rt = new Runtime({ engine: tallyEngine(), store: new RedisSessionStore(commits.client, { prefix, ttlMs: 60_000 }), logger: silent });
    await rt.handle(text('c', 'hello', 'm0')); // a new chat is greeted; its messages are recorded from here
    await rt.drain();
    commits.set('hold');
    const before = commits.confirmed();
    const first = await stalled(rt.handle(text('c', 'a', 'm1')));
    expect(first === 'stalled' ? first : said(first)).toBe('log=#2');
    expect(commits.confirmed()).toBe(before); // answered while Redis's confirmation is held back

    let drained = false;
    const drain = rt.drain().then(() => (drained = true));
    const second = rt.handle(text('c', 'b', 'm2'));
    await new Promise((r) => setTimeout(r, 50));
    expect(drained).toBe(false); // a shutdown would not close Redis under an unconfirmed write
    commits.release();
    expect(said(await second)).toBe('log=#3');
    await drain;
    await rt.drain();
    expect(storedSession((await redis.get(`${prefix}s:telegram:c`))!).answers.log).toBe('hello,a,b');
  });

  it.each(['fail-unsent', 'fail-after'] as const)('a write that fails after the reply (%s) is kept: the next message carries on from what the user was told', async (failure) => {
    const prefix = `test:behind-${failure}:${process.pid}:`;
    const commits = commitsOf(redis);
    const rt = new Runtime({ engine: tallyEngine(), store: new RedisSessionStore(commits.client, { prefix, ttlMs: 60_000 }), logger: silent });
    await rt.handle(text('c', 'hello', 'm0'));
    expect(said(await rt.handle(text('c', 'a', 'm1')))).toBe('log=#2');
    commits.set(failure);
    expect(said(await rt.handle(text('c', 'b', 'm2')))).toBe('log=#3'); // the next question, not an apology
    await rt.drain();
    expect(said(await rt.handle(text('c', 'c', 'm3')))).toBe('log=#4');
    await rt.drain();
    expect(storedSession((await redis.get(`${prefix}s:telegram:c`))!).answers.log).toBe('hello,a,b,c');
  });

  it("the connection lost under a commit and the next message's claim: that message gets the apology, its retry carries on from the answer before", async () => {
    const prefix = `test:behind-drop:${process.pid}:`;
    const client = createRedis(inject('redisUrl'), silent);
    expect(await redisReady(client, 5_000)).toBe(true);
    const rt = new Runtime({ engine: tallyEngine(), store: new RedisSessionStore(client, { prefix, ttlMs: 60_000 }), logger: silent });
    await rt.handle(text('c', 'hello', 'm0'));
    expect(said(await rt.handle(text('c', 'a', 'm1')))).toBe('log=#2'); // its commit is on its way
    const next = rt.handle(text('c', 'b', 'm2')); // its claim right behind it
    (client as unknown as { stream: { destroy(): void } }).stream.destroy();
    expect(said(await next)).toBe('common.unavailable#');
    await rt.drain();
    expect(await redisReady(client, 5_000)).toBe(true);
    expect(said(await rt.handle(text('c', 'b', 'm3')))).toBe('log=#3'); // the user sends it again
    await rt.drain();
    expect(storedSession((await redis.get(`${prefix}s:telegram:c`))!).answers.log).toBe('hello,a,b');
    await client.quit();
  });
});

describe('Redis stopped mid-conversation', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({ persistent: true });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('tells the user, stays up, and resumes where the conversation was once Redis is back', async () => {
    const client = createRedis(server.url, silent);
    await redisReady(client, 5_000);
    const rt = new Runtime({ engine: repoEngine(), store: new RedisSessionStore(client, { prefix: 'p:', ttlMs: 60_000 }), logger: silent });
    const say = async (t: string) => (await rt.handle({ ...text('user-1', t), channel: 'whatsapp' })).map((r) => r.text).join('\n');

    await say('/start');
    expect(await say('bahasa')).toContain('Choose a language');
    await server.kill();
    // "2" picks English only while the language question is open; at the menu it means something else.
    const during = await say('2');
    expect(during).toContain('sedang ada gangguan');

    await server.restart();
    expect(await redisReady(client, 10_000)).toBe(true);
    // The language question is still open: the conversation resumes exactly where it was.
    expect(await say('2')).toContain("I'll use English");
    await client.quit();
  });
});
