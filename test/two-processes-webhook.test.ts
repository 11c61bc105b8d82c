// Two Pandu "processes" (each its own ioredis connection, RedisSessionStore, Runtime, Telegram
// channel in webhook mode and HTTP server) on one Redis, behind the same stream of webhook updates,
// as behind a load balancer: each update is POSTed to one of them, and some are POSTed to both (a
// platform retry that the load balancer sent elsewhere, at the same moment). Every update must be
// applied exactly once, each chat's updates in order, and each handled update answered once.
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedis, redisReady } from '../src/app.ts';
import { createTelegramChannel, type TelegramChannel } from '../src/channels/telegram/channel.ts';
import { Runtime } from '../src/core/runtime.ts';
import { createHttpServer, type HttpServer } from '../src/http/server.ts';
import { RedisSessionStore } from '../src/store/redis-store.ts';
import { FakeBotApi } from './support/fake-bot-api.ts';
import { tallyEngine } from './support/tally-engine.ts';
import { storedSession } from './support/stored-session.ts';

const silent = pino({ level: 'silent' });
const SECRET = 'two-procs-secret';
const CHATS = 8;
const MESSAGES = 12;


/** A tiny deterministic PRNG, so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Proc {
  redis: Redis;
  runtime: Runtime;
  channel: TelegramChannel;
  http: HttpServer;
  url: string;
}

describe('two processes on one Redis behind the same webhook updates', () => {
  let fake: FakeBotApi;
  const procs: Proc[] = [];
  const prefix = `test:twoweb:${process.pid}:`;
  let admin: Redis;

  beforeAll(async () => {
    fake = await FakeBotApi.start();
    admin = new Redis(inject('redisUrl'));
    for (let i = 0; i < 2; i++) {
      const redis = createRedis(inject('redisUrl'), silent);
      await redisReady(redis, 5_000);
      const runtime = new Runtime({ engine: tallyEngine(), store: new RedisSessionStore(redis, { prefix, ttlMs: 60_000 }), logger: silent });
      const channel = createTelegramChannel({
        token: fake.token,
        runtime,
        logger: silent,
        apiRoot: fake.apiRoot,
        botInfo: fake.botInfo,
        webhook: { url: 'https://pandu.example/telegram', secret: SECRET },
        throttle: false,
      });
      const http = createHttpServer({ host: '127.0.0.1', port: 0, logger: silent });
      http.route('POST', channel.webhookPath!, channel.webhookHandler!);
      const { port } = await http.listen();
      await channel.start();
      procs.push({ redis, runtime, channel, http, url: `http://127.0.0.1:${port}${channel.webhookPath}` });
    }
  });

  afterAll(async () => {
    for (const p of procs) {
      await p.channel.stop();
      await p.http.close();
      await p.redis.quit().catch(() => undefined);
    }
    await admin?.quit();
    await fake?.close();
  });

  it('applies every update once, in order per chat, and answers it once', async () => {
    const rand = rng(2024);
    let duplicates = 0;
    const sentBefore = fake.sent.length;
    const statuses: number[] = [];
    const chats = Array.from({ length: CHATS }, (_, i) => fake.user(7_000 + i));
    await Promise.all(
      chats.map(async (user) => {
        for (let k = 1; k <= MESSAGES; k++) {
          const update = fake.build.text(user, String(k));
          const first = rand() < 0.5 ? 0 : 1;
          const deliveries = [fake.deliverToWebhook(update, { url: procs[first]!.url })];
          if (rand() < 0.3) {
            // The retry reaches the other process at the same moment, or a little later.
            duplicates++;
            const delay = Math.floor(rand() * 3);
            deliveries.push(
              new Promise((r) => setTimeout(r, delay)).then(() => fake.deliverToWebhook(update, { url: procs[1 - first]!.url })),
            );
          }
          // Telegram sends a chat's next update once the earlier one was answered.
          for (const d of await Promise.all(deliveries)) statuses.push(d.status);
        }
      }),
    );
    expect(duplicates).toBeGreaterThan(5);
    expect(statuses.every((s) => s === 200)).toBe(true);
    await Promise.all(procs.map((p) => p.runtime.drain())); // every session written, before reading Redis

    for (const user of chats) {
      const raw = await admin.get(`${prefix}s:telegram:${user.id}`);
      expect(raw, `session of chat ${user.id}`).not.toBeNull();
      const log = String((storedSession(raw!) as { answers: { log?: string } }).answers.log).split(',');
      // Each update applied exactly once, in the order the chat sent them.
      expect(log).toEqual(Array.from({ length: MESSAGES }, (_, i) => String(i + 1)));
      // One answer per update handled (plus the greeting before the first), none for the retries.
      const sent = fake.sent.slice(sentBefore).filter((m) => m.chatId === user.id);
      expect(sent.length).toBe(MESSAGES + 1);
    }
  }, 30_000);
});
