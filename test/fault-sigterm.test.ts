// SIGTERM during a burst: the real program (`node --import tsx src/main.ts`) in webhook mode, with
// its own redis-server and the fake Bot API, configured only through its documented environment
// (TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_URL, TELEGRAM_WEBHOOK_SECRET, TELEGRAM_API_ROOT, HTTP_HOST,
// HTTP_PORT, REDIS_URL). A burst of updates is POSTed to the webhook; while they are being handled
// (sendMessage is slowed down by a proxy in front of the fake) the process gets SIGTERM. Then:
//   - every update that was in flight finishes: 200, its replies sent, its session saved;
//   - the webhook stops taking new updates (503 or connection refused, nothing handled);
//   - Redis is closed cleanly (a QUIT reaches the server);
//   - the process exits with code 0 within a bounded time.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeBotApi } from './support/fake-bot-api.ts';
import { freePort, startRedis, type RedisServer } from './support/redis-server.ts';

const SECRET = 'sigterm-test-secret';
const WEBHOOK_PATH = '/telegram/hook';
const SEND_DELAY_MS = 300;
const BURST = 8;
const LATE = 4;
const EXIT_WITHIN_MS = 15_000;

const MAIN = 'src/main.ts';

/** A proxy in front of the fake Bot API that holds every sendMessage for SEND_DELAY_MS. */
async function slowProxy(target: string): Promise<{ url: string; sends: () => number; close: () => Promise<void> }> {
  let sends = 0;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url?.endsWith('/sendMessage')) {
      sends++;
      await new Promise((r) => setTimeout(r, SEND_DELAY_MS));
    }
    try {
      const upstream = await fetch(`${target}${req.url}`, {
        method: req.method,
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks),
      });
      res.statusCode = upstream.status;
      res.setHeader('content-type', upstream.headers.get('content-type') ?? 'application/json');
      res.end(Buffer.from(await upstream.arrayBuffer()));
    } catch {
      res.statusCode = 502;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sends: () => sends,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The real program, configured only through its environment; its output kept for failure messages. */
function startPandu(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const st of [child.stdout, child.stderr]) st?.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, output: () => output, exited };
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('SIGTERM during a burst (webhook mode)', () => {
  let redis: RedisServer | undefined;
  let fake: FakeBotApi | undefined;
  let proxy: Awaited<ReturnType<typeof slowProxy>> | undefined;
  let child: ChildProcess | undefined;
  let admin: Redis | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    admin?.disconnect();
    await proxy?.close();
    await fake?.close();
    await redis?.stop();
  });

  it('finishes in-flight updates, refuses new ones, closes Redis and exits 0', async () => {
    redis = await startRedis();
    fake = await FakeBotApi.start();
    proxy = await slowProxy(fake.apiRoot);
    admin = new Redis(redis.url);
    const httpPort = await freePort();
    const hook = `http://127.0.0.1:${httpPort}${WEBHOOK_PATH}`;

    const started = startPandu({
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_WEBHOOK_URL: `https://pandu.example${WEBHOOK_PATH}`,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      TELEGRAM_API_ROOT: proxy.url,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: 'sigterm:',
    });
    child = started.child;
    const { exited } = started;

    // Ready: the webhook is registered and the route answers (a request without the secret is refused).
    try {
      await waitFor(
        'Pandu to set its webhook and serve it',
        async () => {
          if (child!.exitCode !== null) throw new Error(`Pandu exited early (${child!.exitCode})`);
          if (!fake!.calls.some((c) => c.method === 'setWebhook')) return false;
          try {
            return (await fetch(hook, { method: 'POST', body: '{}' })).status === 401;
          } catch {
            return false;
          }
        },
        30_000,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- Pandu's output ---\n${started.output()}`);
    }

    // The burst: each user says /start; its two replies are held by the proxy.
    const users = Array.from({ length: BURST }, (_, i) => fake!.user(5_000 + i));
    const sendsBefore = proxy.sends();
    const burst = users.map((u) => fake!.deliverToWebhook(fake!.build.start(u), { url: hook }));
    await waitFor('the burst to be in flight', () => proxy!.sends() - sendsBefore >= BURST, 10_000);

    const signalledAt = Date.now();
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 150));

    // Updates arriving after SIGTERM are not taken: Telegram will deliver them again later.
    const lateUsers = Array.from({ length: LATE }, (_, i) => fake!.user(6_000 + i));
    const late = await Promise.all(lateUsers.map((u) => fake!.deliverToWebhook(fake!.build.start(u), { url: hook })));
    for (const r of late) expect([0, 503]).toContain(r.status);

    // Every update in flight finished: answered 200, replies delivered, session saved.
    const done = await Promise.all(burst);
    expect(done.map((r) => r.status)).toEqual(users.map(() => 200));

    const { code, signal } = await exited;
    const tookMs = Date.now() - signalledAt;
    expect({ code, signal }, started.output()).toEqual({ code: 0, signal: null });
    expect(tookMs).toBeLessThan(EXIT_WITHIN_MS);

    for (const u of users) {
      expect(fake.messagesTo(u.id).length, `replies to ${u.id}`).toBeGreaterThanOrEqual(1);
      expect(await admin.exists(`sigterm:s:telegram:${u.id}`), `session of ${u.id}`).toBe(1);
    }
    for (const u of lateUsers) {
      expect(fake.messagesTo(u.id)).toEqual([]);
      expect(await admin.exists(`sigterm:s:telegram:${u.id}`)).toBe(0);
    }

    // Redis was closed with QUIT, not dropped; no connection of Pandu's is left.
    const stats = await admin.info('commandstats');
    expect(stats).toMatch(/cmdstat_quit:calls=[1-9]/);
    const clients = String(await admin.client('LIST')).trim().split('\n');
    expect(clients).toHaveLength(1); // ours
  }, 60_000);
});

describe('SIGTERM while start-up hangs on an unreachable Bot API', () => {
  let child: ChildProcess | undefined;
  let silentApi: Server | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    silentApi?.closeAllConnections();
    await new Promise<void>((r) => (silentApi ? silentApi.close(() => r()) : r()));
  });

  it('says telegram is down on /healthz until it has started, and stops cleanly when asked', async () => {
    // A Bot API that takes every request and never answers: getMe waits for ever.
    let calls = 0;
    silentApi = createServer(() => {
      calls++;
    });
    await new Promise<void>((r) => silentApi!.listen(0, '127.0.0.1', r));
    const apiRoot = `http://127.0.0.1:${(silentApi.address() as AddressInfo).port}`;
    const httpPort = await freePort();
    const started = startPandu({ TELEGRAM_BOT_TOKEN: '123456:start-up-hangs', TELEGRAM_API_ROOT: apiRoot, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(httpPort) });
    child = started.child;
    const { exited } = started;

    let health: { status: number; body: string } | undefined;
    try {
      await waitFor(
        'Pandu to ask for getMe and serve /healthz',
        async () => {
          if (child!.exitCode !== null) throw new Error(`Pandu exited early (${child!.exitCode})`);
          if (calls === 0) return false;
          try {
            const r = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
            health = { status: r.status, body: await r.text() };
            return true;
          } catch {
            return false;
          }
        },
        30_000,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- Pandu's output ---\n${started.output()}`);
    }
    expect(health!.status).toBe(503);
    expect(health!.body).toContain('telegram');

    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    expect({ code, signal }, started.output()).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(EXIT_WITHIN_MS);
    expect(started.output()).toContain('during start-up');
  }, 60_000);
});
