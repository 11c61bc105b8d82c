// Redis killed (SIGKILL, as in a crash) and restarted in the middle of a burst of conversations.
// Every message gets an answer (an apology while Redis is down), no conversation is lost or reset,
// and every session resumes at the step it was at: users who repeat what they sent during the
// outage carry on from there and all reach the verdict their answers call for.
//
// A failure that reads `expected '…percakapan kita sebelumnya…' not to contain …` after ~15 s is
// the lost-claim case: Redis ran a claim (`SET .. GET`) and died before its reply came back, so
// the chat holds this process's own busy marker and the session came back to nobody. The store
// must take its own marker over at once and restore the copy it wrote last, rather than wait for
// the marker's deadline and reset the conversation (see the issue-7 report for the store patch).
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, redisReady } from '../src/app.ts';
import { Runtime } from '../src/core/runtime.ts';
import type { Inbound } from '../src/core/types.ts';
import { RedisSessionStore } from '../src/store/redis-store.ts';
import { repoEngine } from './support/app.ts';
import { startRedis, type RedisServer } from './support/redis-server.ts';
import { storedSession } from './support/stored-session.ts';

const silent = pino({ level: 'silent' });
const USERS = 24;

const engine = repoEngine();
const t = (key: string) => engine.t('id', key);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An eligible user's answers after "ya" (citizen): age, education, occupation, other role, KK, previous, residence, returning. */
const ANSWERS = ['30', 'tidak', 'tidak satu pun', 'tidak satu pun', 'tidak', 'belum pernah', 'di indonesia', 'tidak'];

describe('Redis killed and restarted during a burst of conversations', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({ persistent: true });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers everyone (an apology while down) and every session resumes at its step', async () => {
    const client = createRedis(server.url, silent);
    expect(await redisReady(client, 5_000)).toBe(true);
    const store = new RedisSessionStore(client, { prefix: 'burst:', ttlMs: 600_000 });
    const rt = new Runtime({ engine, store, logger: silent });
    const unavailable = t('common.unavailable');
    const reset = t('common.sessionReset');
    const incomplete = t('eligibility.verdict.incomplete');
    const eligible = t('eligibility.verdict.eligible');

    const msg = (user: number, text: string, n: number): Inbound => ({
      channel: 'telegram',
      chatId: `u${user}`,
      userId: `u${user}`,
      messageId: `${user}-${n}`,
      event: text === '/start' ? { type: 'start' } : { type: 'text', text },
    });

    // Everyone starts the eligibility check and answers the first question before the burst.
    await Promise.all(
      Array.from({ length: USERS }, async (_, u) => {
        for (const [i, text] of ['/start', '1', 'ya'].entries()) await rt.handle(msg(u, text, i));
      }),
    );
    for (let u = 0; u < USERS; u++) {
      const raw = await client.get(store.keyOf(`telegram:u${u}`));
      expect(storedSession(raw!).at).toEqual({ flow: 'eligibility', step: 'age' });
    }

    let apologies = 0;
    let answered = 0;
    const finals: string[] = [];
    const deadline = Date.now() + 20_000;
    const user = async (u: number) => {
      let n = 10;
      let last = '';
      for (const text of ANSWERS) {
        for (;;) {
          if (Date.now() > deadline) throw new Error(`user ${u} still stuck on "${text}"`);
          const replies = await rt.handle(msg(u, text, n++));
          // Every message is answered, with real text.
          expect(replies.length).toBeGreaterThan(0);
          for (const r of replies) expect(r.text.trim()).not.toBe('');
          const all = replies.map((r) => r.text).join('\n');
          expect(all).not.toContain(reset);
          expect(all).not.toContain(incomplete);
          if (all.includes(unavailable)) {
            apologies++;
            await sleep(40 + (u % 5) * 10); // the user tries again a moment later
            continue;
          }
          answered++;
          last = all;
          await sleep(5 + (u % 3) * 5); // typing the next answer
          break;
        }
      }
      finals.push(last);
    };

    const outage = (async () => {
      await sleep(40);
      await server.kill();
      await sleep(400);
      await server.restart();
    })();
    await Promise.all([...Array.from({ length: USERS }, (_, u) => user(u)), outage]);

    // The outage hit the burst, and every conversation carried on from where it was.
    expect(apologies).toBeGreaterThan(0);
    expect(answered).toBe(USERS * ANSWERS.length);
    expect(finals).toHaveLength(USERS);
    for (const f of finals) expect(f).toContain(eligible);
    for (let u = 0; u < USERS; u++) {
      const raw = await client.get(store.keyOf(`telegram:u${u}`));
      expect(storedSession(raw!).at).toEqual({ flow: 'eligibility', step: 'result_eligible' });
    }
    await store.close();
  }, 40_000);
});
