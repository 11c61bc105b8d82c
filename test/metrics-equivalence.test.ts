// src/metrics.ts counts each message in plain numbers and hands them to prom-client at scrape
// time; /metrics must read as if every event had gone straight to prom-client, as the code it
// replaced did (test/support/metrics-direct.ts): same series, same order, same values, the
// latency sum to the last bit, and the same count of active chats.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Channel, Inbound } from '../src/core/types.ts';
import { createMetrics, LATENCY_BUCKETS, type Metrics, type Outcome, type SendCounts } from '../src/metrics.ts';
import { DirectMetrics } from './support/metrics-direct.ts';

const WINDOW = 60_000;
const STAFF = -100;
const CHANNELS: Channel[] = ['telegram', 'whatsapp', 'console'];
const OUTCOMES: Outcome[] = ['ok', 'duplicate', 'unavailable', 'error'];

type Event =
  | { type: 'handled'; channel: Channel; chat: number; effect: boolean; ms: number; outcome: Outcome }
  | { type: 'advance'; ms: number }
  | { type: 'send'; method: string; staff: boolean; result: 'ok' | 'refused' | 'throws' }
  | { type: 'countOut'; channel: Channel; n: number }
  | { type: 'whatsappSends'; sent: number; failed: number }
  | { type: 'scrape' };

/** Latencies in ms whose seconds (ms / 1000, as the hook divides) are exactly a bucket bound, or one ulp either side. */
const onBounds = LATENCY_BUCKETS.flatMap((b) => [b * 1000, nextDown(b * 1000), nextUp(b * 1000)]);

function nextUp(x: number): number {
  const f = new Float64Array([x]);
  const i = new BigInt64Array(f.buffer);
  i[0]! += 1n;
  return f[0]!;
}

function nextDown(x: number): number {
  const f = new Float64Array([x]);
  const i = new BigInt64Array(f.buffer);
  i[0]! -= 1n;
  return f[0]!;
}

const latency = fc.oneof(
  fc.constantFrom(...onBounds),
  fc.constantFrom(0, -0, 0.013, 20_000, 1e9),
  fc.double({ min: -1, max: 20_000, noNaN: true }),
  fc.double({ min: 0, max: 2, noNaN: true }),
);

const event: fc.Arbitrary<Event> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ type: fc.constant('handled' as const), channel: fc.constantFrom(...CHANNELS), chat: fc.nat(7), effect: fc.boolean(), ms: latency, outcome: fc.constantFrom(...OUTCOMES) }) },
  // Small steps (entries queued again: every WINDOW / 16), and steps to just before or onto the
  // window's edge, so that chats expire one by one between two scrapes.
  { weight: 4, arbitrary: fc.record({ type: fc.constant('advance' as const), ms: fc.oneof(fc.nat(6_000), fc.constantFrom(WINDOW, WINDOW / 16, WINDOW / 2), fc.integer({ min: WINDOW - 6_000, max: WINDOW }), fc.nat(2 * WINDOW)) }) },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('send' as const), method: fc.constantFrom('sendMessage', 'sendPhoto', 'sendChatAction', 'editMessageText', 'copyMessage'), staff: fc.boolean(), result: fc.constantFrom('ok' as const, 'refused' as const, 'throws' as const) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('countOut' as const), channel: fc.constantFrom(...CHANNELS), n: fc.integer({ min: -1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('whatsappSends' as const), sent: fc.nat(3), failed: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.constant({ type: 'scrape' as const }) },
);

type Call = (method: string, payload: unknown) => Promise<{ ok: boolean }>;
type Transform = (prev: Call, method: string, payload: unknown) => Promise<{ ok: boolean }>;

interface Side {
  registry: Metrics['registry'];
  handled(inbound: Inbound, ms: number, outcome: Outcome): void;
  send: Transform;
  countOut(channel: Channel, n: number): void;
}

function side(m: Metrics | DirectMetrics, wa: SendCounts): Side {
  const { handled } = m.runtimeHooks();
  m.followSends('whatsapp', () => wa);
  return {
    registry: m.registry,
    handled,
    send: m.telegramTransformer(STAFF) as unknown as Transform,
    countOut: (channel, n) => m.countOut(channel, n),
  };
}

async function apply(s: Side, e: Event): Promise<void> {
  switch (e.type) {
    case 'handled': {
      const inbound: Inbound = { channel: e.channel, chatId: `c${e.chat}`, userId: `u${e.chat}`, event: e.effect ? { type: 'effect', name: 'x', result: {} } : { type: 'text', text: 'x' } } as Inbound;
      s.handled(inbound, e.ms, e.outcome);
      break;
    }
    case 'send': {
      const prev: Call = e.result === 'throws' ? async () => Promise.reject(new Error('network')) : async () => ({ ok: e.result === 'ok' });
      await s.send(prev, e.method, { chat_id: e.staff ? STAFF : 42 }).catch(() => undefined);
      break;
    }
    case 'countOut':
      s.countOut(e.channel, e.n);
      break;
  }
}

async function same(a: Side, b: Side, when: string): Promise<void> {
  // The text first: it is what Prometheus reads; then the JSON, which reads each metric's get().
  expect(await a.registry.metrics(), when).toBe(await b.registry.metrics());
  expect(await a.registry.getMetricsAsJSON(), when).toEqual(await b.registry.getMetricsAsJSON());
}

async function run(events: Event[], window = WINDOW): Promise<void> {
  let now = 1_700_000_000_000;
  const clock = () => now;
  const wa = { sent: 0, failed: 0 };
  const fast = side(createMetrics({ defaultMetrics: false, now: clock, activeWindowMs: window }), wa);
  const direct = side(new DirectMetrics({ defaultMetrics: false, now: clock, activeWindowMs: window }), wa);
  for (const [i, e] of events.entries()) {
    if (e.type === 'advance') now += e.ms;
    else if (e.type === 'scrape') await same(fast, direct, `scrape at event ${i}`);
    else if (e.type === 'whatsappSends') {
      // Both sides follow the same counts, read at scrape time.
      wa.sent += e.sent;
      wa.failed += e.failed;
    } else {
      await apply(fast, e);
      await apply(direct, e);
    }
  }
  await same(fast, direct, 'at the end');
}

describe('metrics: counted between scrapes, as prom-client counts them event by event', () => {
  it('reads the same for random sequences of messages, sends, clock steps and scrapes', async () => {
    await fc.assert(fc.asyncProperty(fc.array(event, { maxLength: 250 }), (events) => run(events)), { numRuns: 400 });
  });

  it('counts the same active chats, to the millisecond, as a few chats talk in bursts and go quiet one by one', async () => {
    // A window of 8 s: entries are queued again every 500 ms, so gaps of up to 700 ms leave some
    // in place and move others, and chats overtake each other in the Map. After the talk, the
    // count is compared a millisecond before, at and after each moment a chat may leave the window.
    const talk = fc.array(fc.record({ channel: fc.constantFrom<Channel>('telegram', 'telegram', 'whatsapp'), chat: fc.nat(3), gap: fc.nat(700), effect: fc.constantFrom(false, false, false, true), scrape: fc.boolean() }), { maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(talk, async (messages) => {
        let now = 1_000_000;
        const m = createMetrics({ defaultMetrics: false, now: () => now, activeWindowMs: 8_000 });
        const ref = new DirectMetrics({ defaultMetrics: false, now: () => now, activeWindowMs: 8_000 });
        const active = async (r: { registry: Metrics['registry'] }) => (await r.registry.getSingleMetric('pandu_active_sessions')!.get()).values[0]!.value;
        const times: number[] = [];
        for (const [i, e] of messages.entries()) {
          now += e.gap;
          times.push(now);
          const inbound = { channel: e.channel, chatId: `c${e.chat}`, userId: 'u', event: e.effect ? { type: 'effect', name: 'x', result: {} } : { type: 'text', text: 'x' } } as Inbound;
          m.handled(inbound, 1, 'ok');
          ref.handled(inbound, 1, 'ok');
          if (e.scrape) expect(await active(m), `after message ${i}`).toBe(await active(ref));
        }
        const edges = [...new Set(times.flatMap((t) => [t + 8_000 - 1, t + 8_000, t + 8_000 + 1]))].sort((a, b) => a - b);
        for (const t of edges) {
          if (t < now) continue;
          now = t;
          expect(await active(m), `at ${now}`).toBe(await active(ref));
        }
        expect(await active(m)).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('reads the same for every outcome on every channel, with latencies on, just under and just over each bucket bound', async () => {
    for (const b of LATENCY_BUCKETS) expect((b * 1000) / 1000).toBe(b);
    const events: Event[] = [];
    for (const channel of CHANNELS) {
      for (const outcome of OUTCOMES) {
        for (const ms of onBounds) events.push({ type: 'handled', channel, chat: 1, effect: false, ms, outcome });
        events.push({ type: 'scrape' });
      }
    }
    await run(events);
  });

  it('counts a chat that keeps talking for longer than the window, then goes quiet, to the millisecond', async () => {
    let now = 0;
    const m = createMetrics({ defaultMetrics: false, now: () => now, activeWindowMs: WINDOW });
    const ref = new DirectMetrics({ defaultMetrics: false, now: () => now, activeWindowMs: WINDOW });
    const inbound = (chat: string): Inbound => ({ channel: 'telegram', chatId: chat, userId: chat, event: { type: 'text', text: 'x' } });
    const both = (chat: string) => {
      m.handled(inbound(chat), 1, 'ok');
      ref.handled(inbound(chat), 1, 'ok');
    };
    const active = async (r: { registry: Metrics['registry'] }) => (await r.registry.getSingleMetric('pandu_active_sessions')!.get()).values[0]!.value;
    // "long" talks every 1.5 s for three windows; "short" once at the start; "late" once a window
    // in. Counted before each message, and a millisecond either side of when the others expire.
    both('short');
    const talk = Array.from({ length: (3 * WINDOW) / 1_500 + 1 }, (_, i) => i * 1_500);
    const lastLong = talk.at(-1)!;
    const edges = [WINDOW, 2 * WINDOW, lastLong + WINDOW].flatMap((t) => [t - 1, t, t + 1]);
    for (const t of [...new Set([...talk, ...edges])].sort((a, b) => a - b)) {
      now = t;
      expect(await active(m), `at ${now}`).toBe(await active(ref));
      if (t % 1_500 === 0 && t <= lastLong) both('long');
      if (t === WINDOW) both('late');
    }
    expect(await active(m)).toBe(0);
    expect(await active(ref)).toBe(0);
  });

  it('keeps the active chats bounded without a scraper', () => {
    let now = 0;
    const m = createMetrics({ defaultMetrics: false, now: () => now, activeWindowMs: WINDOW });
    const entries = () => [...(m as unknown as { channels: Map<Channel, { active: Map<string, unknown> }> }).channels.values()].reduce((n, st) => n + st.active.size, 0);
    for (let i = 0; i < 10_000; i++) {
      now += 10; // 100 new chats a second; each window sees 6,000
      m.handled({ channel: i % 2 ? 'telegram' : 'whatsapp', chatId: `c${i}`, userId: `c${i}`, event: { type: 'text', text: 'x' } }, 1, 'ok');
    }
    // At most the window and the 1/16 of it since the last prune.
    expect(entries()).toBeLessThanOrEqual(6_000 + 6_000 / 16 + 1);
    expect(entries()).toBeGreaterThanOrEqual(6_000);
  });
});
