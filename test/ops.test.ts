// Operations endpoints: /healthz (src/http/health.ts) and /metrics (src/metrics.ts), mounted on
// Pandu's shared HTTP server as src/main.ts mounts them.
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createRedis, redisReady } from '../src/app.ts';
import type { Inbound } from '../src/core/types.ts';
import { createHealth } from '../src/http/health.ts';
import { createHttpServer, type HttpServer } from '../src/http/server.ts';
import { createMetrics, metricsHandler } from '../src/metrics.ts';
import { RedisSessionStore } from '../src/store/redis-store.ts';

const silent = pino({ level: 'silent' });
const servers: HttpServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

function msg(chat: string, channel: Inbound['channel'] = 'telegram'): Inbound {
  return { channel, chatId: chat, userId: chat, event: { type: 'text', text: 'x' } };
}

/** The value of one series in Prometheus text, or undefined. */
function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('metrics', () => {
  it('counts messages in by channel and outcome, latency, errors and active chats from the runtime hook', async () => {
    let now = 1_000_000;
    const m = createMetrics({ defaultMetrics: false, now: () => now, activeWindowMs: 60_000 });
    const { handled } = m.runtimeHooks();
    handled(msg('a'), 0.4, 'ok');
    handled(msg('a'), 2, 'ok');
    handled(msg('b'), 1, 'duplicate');
    handled(msg('c', 'whatsapp'), 3, 'unavailable');
    handled(msg('d', 'whatsapp'), 3, 'error');
    let text = await m.registry.metrics();
    expect(series(text, 'pandu_messages_in_total{channel="telegram",outcome="ok"}')).toBe(2);
    expect(series(text, 'pandu_messages_in_total{channel="telegram",outcome="duplicate"}')).toBe(1);
    expect(series(text, 'pandu_messages_in_total{channel="whatsapp",outcome="unavailable"}')).toBe(1);
    expect(series(text, 'pandu_errors_total{channel="whatsapp",kind="unavailable"}')).toBe(1);
    expect(series(text, 'pandu_errors_total{channel="whatsapp",kind="error"}')).toBe(1);
    expect(series(text, 'pandu_errors_total{channel="telegram",kind="error"}')).toBe(0);
    expect(series(text, 'pandu_handling_seconds_count{channel="telegram"}')).toBe(3);
    expect(series(text, 'pandu_handling_seconds_bucket{le="0.0005",channel="telegram"}')).toBe(1);
    expect(series(text, 'pandu_active_sessions')).toBe(4);

    now += 30_000;
    handled(msg('a'), 1, 'ok'); // a is active again; b, c, d are not
    now += 40_000;
    text = await m.registry.metrics();
    expect(series(text, 'pandu_active_sessions')).toBe(1);
    now += 60_000;
    expect(series(await m.registry.metrics(), 'pandu_active_sessions')).toBe(0);
  });

  it('counts messages out: Telegram through a grammY API transformer, WhatsApp from its send counts; failed sends as errors', async () => {
    const m = createMetrics({ defaultMetrics: false });
    type Call = (method: string, payload: unknown) => Promise<{ ok: boolean }>;
    const t = m.telegramTransformer() as unknown as (prev: Call, method: string, payload: unknown) => Promise<{ ok: boolean }>;
    const ok = async () => ({ ok: true });
    const refused = async () => ({ ok: false });
    await t(ok, 'sendMessage', {});
    await t(ok, 'sendPhoto', {});
    await t(ok, 'sendChatAction', {}); // not a message
    await t(ok, 'answerCallbackQuery', {});
    await t(refused, 'sendMessage', {});
    await expect(t(async () => Promise.reject(new Error('network')), 'sendMessage', {})).rejects.toThrow('network');
    m.countOut('console', 3);
    const wa = { sent: 4, failed: 1 };
    m.followSends('whatsapp', () => wa);
    let text = await m.registry.metrics();
    expect(series(text, 'pandu_messages_out_total{channel="telegram"}')).toBe(2);
    expect(series(text, 'pandu_messages_out_total{channel="console"}')).toBe(3);
    expect(series(text, 'pandu_messages_out_total{channel="whatsapp"}')).toBe(4);
    expect(series(text, 'pandu_errors_total{channel="telegram",kind="send"}')).toBe(2);
    expect(series(text, 'pandu_errors_total{channel="whatsapp",kind="send"}')).toBe(1);
    wa.sent = 10;
    text = await m.registry.metrics();
    expect(series(text, 'pandu_messages_out_total{channel="whatsapp"}')).toBe(10);
    expect(series(text, 'pandu_errors_total{channel="whatsapp",kind="send"}')).toBe(1);
  });

  it('reports the handoff queue (set, or read at scrape time) and follows the Redis connection', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.handoffQueue.set(2);
    expect(series(await m.registry.metrics(), 'pandu_handoff_queue_length')).toBe(2);
    let queued = 5;
    m.setHandoffQueueSource(async () => queued);
    expect(series(await m.registry.metrics(), 'pandu_handoff_queue_length')).toBe(5);
    queued = 0;
    expect(series(await m.registry.metrics(), 'pandu_handoff_queue_length')).toBe(0);

    const redis = Object.assign(new EventEmitter(), { status: 'connecting' });
    m.trackRedis(redis as never);
    expect(series(await m.registry.metrics(), 'pandu_redis_up')).toBe(0);
    redis.status = 'ready';
    redis.emit('ready');
    expect(series(await m.registry.metrics(), 'pandu_redis_up')).toBe(1);
    redis.status = 'reconnecting';
    redis.emit('close');
    expect(series(await m.registry.metrics(), 'pandu_redis_up')).toBe(0);
    m.close();
    expect(redis.listenerCount('ready')).toBe(0);
  });

  it('includes the process metrics by default, under the pandu_ prefix', async () => {
    const text = await createMetrics().registry.metrics();
    expect(text).toContain('pandu_process_cpu_user_seconds_total');
    expect(text).toContain('pandu_nodejs_eventloop_lag_seconds');
  });
});

describe('health', () => {
  it('is 200 when every check passes, 503 naming what is down, and 503 "stopping" during shutdown', async () => {
    let tg = true;
    const health = createHealth({ checks: { redis: async () => true, telegram: () => tg }, timeoutMs: 100 });
    expect(await health.report()).toEqual({ status: 'ok', checks: { redis: 'ok', telegram: 'ok' } });
    tg = false;
    expect(await health.report()).toEqual({ status: 'down', down: ['telegram'], checks: { redis: 'ok', telegram: 'down' } });
    tg = true;
    health.set('slow', () => new Promise<boolean>((r) => setTimeout(() => r(true), 1_000)));
    health.set('broken', () => {
      throw new Error('boom');
    });
    const r = await health.report();
    expect(r.down).toEqual(['slow', 'broken']);
    health.remove('slow');
    health.remove('broken');
    health.markStopping();
    expect((await health.report()).status).toBe('stopping');
  });

  it('serves /healthz and /metrics on the shared HTTP server, with a real Redis up and one down', async () => {
    const up = createRedis(inject('redisUrl'), silent);
    const down = createRedis('redis://127.0.0.1:1', silent); // nothing listens on port 1
    await redisReady(up, 5_000);
    const stores = { up: new RedisSessionStore(up, { prefix: 'ops:', ttlMs: 1000 }), down: new RedisSessionStore(down, { prefix: 'ops:', ttlMs: 1000 }) };
    const metrics = createMetrics();
    metrics.trackRedis(up);
    try {
      for (const which of ['up', 'down'] as const) {
        const health = createHealth({ checks: { redis: () => stores[which].ping(), telegram: () => true } });
        const http = createHttpServer({ host: '127.0.0.1', port: 0, logger: silent });
        servers.push(http);
        http.route('GET', '/healthz', health.handler);
        http.route('GET', '/metrics', metricsHandler(metrics));
        const { port } = await http.listen();
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        const body = (await res.json()) as { status: string; down?: string[] };
        if (which === 'up') {
          expect(res.status).toBe(200);
          expect(body.status).toBe('ok');
        } else {
          expect(res.status).toBe(503);
          expect(body.down).toEqual(['redis']);
        }
        const m = await fetch(`http://127.0.0.1:${port}/metrics`);
        expect(m.status).toBe(200);
        expect(m.headers.get('content-type')).toContain('text/plain');
        const text = await m.text();
        expect(text).toContain('# TYPE pandu_handling_seconds histogram');
        expect(series(text, 'pandu_redis_up')).toBe(1);
      }
    } finally {
      metrics.close();
      up.disconnect();
      down.disconnect();
    }
  });
});
