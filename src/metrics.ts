// Prometheus metrics (prom-client), on a registry of Pandu's own so tests and several instances in
// one process never share counters. Served as text at GET /metrics by `metricsHandler`.
//
// What is measured, and where it comes from:
//   pandu_messages_in_total{channel,outcome}    every message the runtime handled (RuntimeHooks.handled);
//                                               outcome ok | duplicate | unavailable | error
//   pandu_messages_out_total{channel}           every message delivered to a user: Telegram through a grammY
//                                               API transformer (`telegramTransformer`), WhatsApp from its
//                                               own send counts (`followSends`), or `countOut`
//   pandu_handling_seconds{channel}             claim + step + effects + commit, per message (histogram)
//   pandu_errors_total{channel,kind}            unavailable (store down), error (bug in a flow or action),
//                                               send (a reply that could not be delivered)
//   pandu_active_sessions                       chats with a message handled in the last ACTIVE_WINDOW (this process)
//   pandu_handoff_queue_length                  open helpdesk tickets waiting for staff (set by the helpdesk)
//   pandu_redis_up                              1 while the ioredis client is connected and ready, else 0
//   pandu_handoff_*                             helpdesk tickets opened, claimed, closed, waits, first
//                                               staff replies and ratings (`followHelpdesk`, from the
//                                               helpdesk's events in this process: sum over processes)
//   pandu_process_*, pandu_nodejs_*             prom-client's default metrics (CPU, memory, event loop lag)
//
// Cost per message: the runtime hook and the Telegram transformer run for every message, and
// prom-client's own inc/observe build a key from the label object and search the series on each
// call. So they count in plain numbers of their own (`Tally`, and latency bucket counts per
// channel), and the metrics' collect callbacks add those to prom-client when /metrics is read:
// the text served is the same as if every event had gone straight to prom-client, series in the
// same order (a counter's series are made in the order they first count). Only the latency sum
// and count go into prom-client's own record of the series as each message is handled, value by
// value as prom-client adds them, so the float sum is the same to the last bit (see `seriesOf`).
//
// Active sessions: counted from the runtime hook, not from Redis. The Redis keys are not a measure
// of activity: a session key lives for SESSION_TTL_DAYS (30 days by default) after the last message,
// DBSIZE counts every key of the database (other prefixes, helpdesk keys), and SCAN is O(keys) on
// the server that every message depends on. A Map per channel of chat id -> last activity in this
// process, one entry (~150 bytes) per active chat. Most messages only update the entry's time in
// place (one lookup): the Map is ordered by when each entry was last queued, not by last activity,
// and an entry is queued again (delete+set) only when it was queued more than 1/16 of the window
// before. So every expired entry lies before the first one queued within the window, and pruning
// from the front of the Map (at scrape time, and every 1/16 of the window from the hook, so the Map
// stays bounded without a scraper) costs O(expired + chats last seen in the oldest 1/16 of the
// window). Behind a load balancer, sum the gauge over processes: a chat whose messages reached two
// processes within the window is counted twice, an upper bound that is good enough for capacity.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Transformer } from 'grammy';
import type { Redis } from 'ioredis';
import type { Outcome, RuntimeHooks } from './core/runtime.ts';
import type { Channel, Inbound } from './core/types.ts';
import { postsMessage } from './channels/telegram/channel.ts';
import type { HelpdeskStats } from './helpdesk/service.ts';

export type { Outcome };

/** Helpdesk waits and first replies (seconds): minutes to hours. */
const HANDOFF_BUCKETS = [10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400];

export const ACTIVE_WINDOW_MS = 15 * 60_000;

/** Handling latency buckets (seconds): a normal turn is well under a millisecond; a status lookup may take seconds. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Running totals a channel keeps of its own deliveries. */
export interface SendCounts {
  sent: number;
  failed: number;
}

export interface MetricsOptions {
  /** Also collect prom-client's default process metrics. Default true. */
  defaultMetrics?: boolean;
  /** Clock for the active-session window (tests). */
  now?: () => number;
  activeWindowMs?: number;
}

/** A counter series counted in a plain number between scrapes. */
interface Tally {
  readonly labels: Record<string, string>;
  n: number;
}

/** The tallies of one counter, made when their series first count: prom-client lists series in the order they were made. */
class Tallies<L extends string> {
  private readonly list: Tally[] = [];

  constructor(private readonly counter: Counter<L>) {}

  add(labels: Record<L, string>): Tally {
    const t: Tally = { labels, n: 0 };
    this.list.push(t);
    return t;
  }

  flush(): void {
    for (const t of this.list) {
      if (t.n === 0) continue;
      const n = t.n;
      t.n = 0;
      this.counter.inc(t.labels as Record<L, string>, n);
    }
  }
}

/** prom-client's own record of one histogram series (lib/histogram.js, `createBaseValues`). */
interface HistogramSeries {
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

const BUCKET_KEYS = LATENCY_BUCKETS.map(String);

/**
 * prom-client's record of the channel's series of pandu_handling_seconds, made if it has none yet
 * (`zero`, as its first observe would), or null if prom-client no longer keeps it as version 15
 * does. Observing through the public API adds to the sum one value at a time; the sum of the
 * values since the last scrape added at scrape time would round differently.
 */
function seriesOf(histogram: Histogram<'channel'>, channel: string): HistogramSeries | null {
  const find = (): HistogramSeries | undefined => {
    const map = (histogram as unknown as { hashMap?: Record<string, { labels?: Record<string, unknown> } & Partial<HistogramSeries>> }).hashMap;
    if (map === null || typeof map !== 'object') return undefined;
    for (const s of Object.values(map)) {
      const labels = s.labels;
      if (labels?.channel !== channel || Object.keys(labels).length !== 1) continue;
      if (typeof s.sum !== 'number' || typeof s.count !== 'number' || typeof s.bucketValues !== 'object' || s.bucketValues === null) return undefined;
      const buckets = s.bucketValues;
      return BUCKET_KEYS.every((k) => typeof buckets[k] === 'number') ? (s as HistogramSeries) : undefined;
    }
    return undefined;
  };
  let series = find();
  if (series === undefined) {
    histogram.zero({ channel });
    series = find();
  }
  return series ?? null;
}

/** A chat's last activity, and when its entry was last (re)inserted in the Map (the Map's order). */
interface Activity {
  at: number;
  queued: number;
}

/** What one channel counted since the last scrape, and its active chats. */
class ChannelStats {
  readonly in: Record<Outcome, Tally | undefined> = { ok: undefined, duplicate: undefined, unavailable: undefined, error: undefined };
  /** pandu_errors_total of kind unavailable and error. */
  readonly failed: Record<'unavailable' | 'error', Tally | undefined> = { unavailable: undefined, error: undefined };
  out: Tally | undefined = undefined;
  sendFailed: Tally | undefined = undefined;
  /** Observations since the last scrape by bucket, not cumulative; a value above the last bound is in none. */
  readonly buckets: number[] = LATENCY_BUCKETS.map(() => 0);
  /** Before the channel's first observation, undefined; null: observe through prom-client's API. */
  series: HistogramSeries | null | undefined = undefined;
  readonly active = new Map<string, Activity>();

  constructor(readonly channel: Channel) {}
}

export class Metrics {
  readonly registry = new Registry();
  readonly messagesIn: Counter<'channel' | 'outcome'>;
  readonly messagesOut: Counter<'channel'>;
  readonly handling: Histogram<'channel'>;
  readonly errors: Counter<'channel' | 'kind'>;
  readonly activeSessions: Gauge;
  readonly handoffQueue: Gauge;
  readonly redisUp: Gauge;
  readonly handoffOpened: Counter<'channel'>;
  readonly handoffClaimed: Counter;
  readonly handoffClosed: Counter<'reason'>;
  readonly handoffWait: Histogram;
  readonly handoffFirstReply: Histogram;
  readonly handoffRatings: Counter<'rating'>;

  private readonly channels = new Map<Channel, ChannelStats>();
  private readonly inTallies: Tallies<'channel' | 'outcome'>;
  private readonly outTallies: Tallies<'channel'>;
  private readonly errorTallies: Tallies<'channel' | 'kind'>;
  private readonly now: () => number;
  private readonly windowMs: number;
  /** An active chat's entry moves to the back of its Map at most this often. */
  private readonly requeueMs: number;
  private nextPrune = -Infinity;
  private handoffSource?: () => Promise<number> | number;
  private readonly sendSources: { channel: Channel; read: () => SendCounts; last: SendCounts }[] = [];
  private readonly detach: (() => void)[] = [];

  constructor(o: MetricsOptions = {}) {
    this.now = o.now ?? Date.now;
    this.windowMs = o.activeWindowMs ?? ACTIVE_WINDOW_MS;
    this.requeueMs = this.windowMs / 16;
    const registers = [this.registry];
    const self = this;
    this.messagesIn = new Counter({
      name: 'pandu_messages_in_total',
      help: 'Messages handled by the runtime, by channel and outcome (ok, duplicate, unavailable, error)',
      labelNames: ['channel', 'outcome'] as const,
      registers,
      collect() {
        self.flush();
      },
    });
    this.messagesOut = new Counter({
      name: 'pandu_messages_out_total',
      help: 'Messages delivered to users, by channel',
      labelNames: ['channel'] as const,
      registers,
      collect() {
        self.flush();
        self.pollSends(); // registered before pandu_errors_total, so both are current in one scrape
      },
    });
    this.handling = new Histogram({
      name: 'pandu_handling_seconds',
      help: 'Time to handle one message: claim the session, step, effects, commit',
      labelNames: ['channel'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
      collect() {
        self.flush();
      },
    });
    this.errors = new Counter({
      name: 'pandu_errors_total',
      help: 'Failures: unavailable (session store down), error (a bug in a flow or action), send (a reply not delivered)',
      labelNames: ['channel', 'kind'] as const,
      registers,
      collect() {
        self.flush();
      },
    });
    this.inTallies = new Tallies(this.messagesIn);
    this.outTallies = new Tallies(this.messagesOut);
    this.errorTallies = new Tallies(this.errors);
    this.activeSessions = new Gauge({
      name: 'pandu_active_sessions',
      help: `Chats with a message handled by this process in the last ${Math.round(this.windowMs / 60_000)} minutes`,
      registers,
      collect() {
        this.set(self.countActive());
      },
    });
    this.handoffQueue = new Gauge({
      name: 'pandu_handoff_queue_length',
      help: 'Helpdesk tickets waiting for a staff member',
      registers,
      async collect() {
        if (!self.handoffSource) return;
        try {
          this.set(await self.handoffSource());
        } catch {
          // keep the last value; the helpdesk reports its own errors
        }
      },
    });
    this.redisUp = new Gauge({
      name: 'pandu_redis_up',
      help: '1 while the Redis client is connected and ready, 0 otherwise (absent without Redis)',
      registers: [], // registered by trackRedis: absent without Redis, so no alert fires
    });
    this.handoffOpened = new Counter({ name: 'pandu_handoff_opened_total', help: 'Helpdesk tickets opened, by channel', labelNames: ['channel'] as const, registers });
    this.handoffClaimed = new Counter({ name: 'pandu_handoff_claimed_total', help: 'Helpdesk tickets claimed by staff for the first time', registers });
    this.handoffClosed = new Counter({ name: 'pandu_handoff_closed_total', help: 'Helpdesk tickets closed, by reason', labelNames: ['reason'] as const, registers });
    this.handoffWait = new Histogram({ name: 'pandu_handoff_wait_seconds', help: 'Time from opening a ticket to its first claim', buckets: HANDOFF_BUCKETS, registers });
    this.handoffFirstReply = new Histogram({ name: 'pandu_handoff_first_reply_seconds', help: 'Time from opening a ticket to the first staff message to the user', buckets: HANDOFF_BUCKETS, registers });
    this.handoffRatings = new Counter({ name: 'pandu_handoff_ratings_total', help: 'Ratings users gave after a hand-off, by rating (1-5)', labelNames: ['rating'] as const, registers });
    for (const channel of ['telegram', 'whatsapp', 'console'] as const) {
      // Zero series from the start, so rate() and alerts work before the first message.
      this.messagesOut.inc({ channel }, 0);
      this.errors.inc({ channel, kind: 'error' }, 0);
      this.errors.inc({ channel, kind: 'unavailable' }, 0);
    }
    if (o.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'pandu_' });
  }

  /** Hooks for the Runtime: counts every handled message, its latency, errors and activity. */
  runtimeHooks(): Required<Pick<RuntimeHooks, 'handled'>> {
    return { handled: (inbound, ms, outcome) => this.handled(inbound, ms, outcome) };
  }

  handled(inbound: Inbound, ms: number, outcome: Outcome): void {
    const st = this.stats(inbound.channel);
    (st.in[outcome] ??= this.inTallies.add({ channel: st.channel, outcome })).n++;
    this.observe(st, ms / 1000);
    if (outcome === 'unavailable' || outcome === 'error') (st.failed[outcome] ??= this.errorTallies.add({ channel: st.channel, kind: outcome })).n++;
    if (inbound.event.type !== 'effect') this.touch(st.active, inbound.chatId);
  }

  /** Messages delivered by a channel that has no API transformer (WhatsApp, console). */
  countOut(channel: Channel, n = 1): void {
    if (n > 0) this.messagesOut.inc({ channel }, n);
  }

  /**
   * Follows a channel that counts its own sends (WhatsApp's `status().sends`): read at scrape
   * time, the increase since the last scrape is added to messages out and send errors.
   */
  followSends(channel: Channel, read: () => SendCounts): void {
    this.sendSources.push({ channel, read, last: { sent: 0, failed: 0 } });
  }

  /**
   * A grammY API transformer counting Telegram messages out (`bot.api.config.use(...)`): each
   * sendMessage (and other send* methods) that Telegram accepted. A refused one counts as a send error.
   */
  telegramTransformer(staffChatId?: number): Transformer {
    const st = this.stats('telegram');
    return async (prev, method, payload, signal) => {
      // Users only: the helpdesk's cards and relays to the staff group are not messages out.
      const chat = (payload as { chat_id?: unknown } | undefined)?.chat_id;
      if (!postsMessage(method) || (staffChatId !== undefined && Number(chat) === staffChatId)) return prev(method, payload, signal);
      try {
        const res = await prev(method, payload, signal);
        if (res.ok) (st.out ??= this.outTallies.add({ channel: 'telegram' })).n++;
        else (st.sendFailed ??= this.errorTallies.add({ channel: 'telegram', kind: 'send' })).n++;
        return res;
      } catch (err) {
        (st.sendFailed ??= this.errorTallies.add({ channel: 'telegram', kind: 'send' })).n++;
        throw err;
      }
    };
  }

  /** The helpdesk reports its queue length, either by setting the gauge or with a source read at scrape time. */
  setHandoffQueueSource(source: () => Promise<number> | number): void {
    this.handoffSource = source;
  }

  /** Counts the helpdesk's events and reads its queue length at scrape time. */
  followHelpdesk(stats: HelpdeskStats): void {
    this.setHandoffQueueSource(() => stats.queueLength());
    const off = stats.onEvent((e) => {
      switch (e.type) {
        case 'opened':
          this.handoffOpened.inc({ channel: e.channel });
          break;
        case 'claimed':
          this.handoffClaimed.inc();
          this.handoffWait.observe(e.waitedMs / 1000);
          break;
        case 'firstReply':
          this.handoffFirstReply.observe(e.ms / 1000);
          break;
        case 'closed':
          this.handoffClosed.inc({ reason: e.reason });
          break;
        case 'rated':
          this.handoffRatings.inc({ rating: String(e.rating) });
          break;
      }
    });
    this.detach.push(off);
  }

  /** Follows an ioredis client's connection state (no command is sent for it). */
  trackRedis(redis: Pick<Redis, 'status' | 'on' | 'off'>): void {
    if (!this.registry.getSingleMetric('pandu_redis_up')) this.registry.registerMetric(this.redisUp);
    const set = () => this.redisUp.set(redis.status === 'ready' ? 1 : 0);
    const events = ['ready', 'close', 'end', 'reconnecting', 'error'] as const;
    for (const ev of events) redis.on(ev, set);
    set();
    this.detach.push(() => {
      for (const ev of events) redis.off(ev, set);
    });
  }

  /** Stops following clients (the registry and its values stay readable). */
  close(): void {
    for (const d of this.detach.splice(0)) d();
  }

  private pollSends(): void {
    for (const src of this.sendSources) {
      let now: SendCounts;
      try {
        now = src.read();
      } catch {
        continue;
      }
      // A counter that went backwards (the channel was rebuilt) restarts from its new value.
      const sent = now.sent >= src.last.sent ? now.sent - src.last.sent : now.sent;
      const failed = now.failed >= src.last.failed ? now.failed - src.last.failed : now.failed;
      if (sent > 0) this.messagesOut.inc({ channel: src.channel }, sent);
      if (failed > 0) this.errors.inc({ channel: src.channel, kind: 'send' }, failed);
      src.last = { sent: now.sent, failed: now.failed };
    }
  }

  private stats(channel: Channel): ChannelStats {
    let st = this.channels.get(channel);
    if (st === undefined) {
      st = new ChannelStats(channel);
      this.channels.set(channel, st);
    }
    return st;
  }

  private observe(st: ChannelStats, seconds: number): void {
    // prom-client would throw, from inside the runtime's finally; a NaN would spoil the sum for good.
    if (!Number.isFinite(seconds)) return;
    let series = st.series;
    if (series === undefined) series = st.series = seriesOf(this.handling, st.channel);
    if (series === null) {
      this.handling.observe({ channel: st.channel }, seconds);
      return;
    }
    series.sum += seconds;
    series.count += 1;
    // prom-client's buckets hold values <= their bound; above the last one, only +Inf (the count).
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= LATENCY_BUCKETS[i]!) {
        st.buckets[i]!++;
        break;
      }
    }
  }

  /** Adds what the per-message paths counted since the last scrape to prom-client. */
  private flush(): void {
    this.inTallies.flush();
    this.outTallies.flush();
    this.errorTallies.flush();
    for (const st of this.channels.values()) {
      const series = st.series;
      if (!series) continue;
      const buckets = st.buckets;
      for (let i = 0; i < buckets.length; i++) {
        const n = buckets[i]!;
        if (n === 0) continue;
        buckets[i] = 0;
        series.bucketValues[BUCKET_KEYS[i]!]! += n;
      }
    }
  }

  private touch(active: Map<string, Activity>, chatId: string): void {
    const now = this.now();
    const a = active.get(chatId);
    if (a === undefined) active.set(chatId, { at: now, queued: now });
    else if (now - a.queued < this.requeueMs) a.at = now;
    else {
      // Now and then to the back, so that pruning, which stops at the first entry queued within
      // the window, walks past few chats that are still active.
      a.at = a.queued = now;
      active.delete(chatId);
      active.set(chatId, a);
    }
    if (now >= this.nextPrune) this.prune(now); // so the Maps stay bounded without a scraper
  }

  private countActive(): number {
    return this.prune(this.now());
  }

  /** Drops the expired chats and counts the others. */
  private prune(now: number): number {
    const cutoff = now - this.windowMs;
    let count = 0;
    for (const st of this.channels.values()) {
      for (const [chatId, a] of st.active) {
        // Behind this entry, every chat was queued, hence last active, within the window.
        if (a.queued > cutoff) break;
        if (a.at <= cutoff) st.active.delete(chatId);
      }
      count += st.active.size;
    }
    this.nextPrune = now + this.requeueMs;
    return count;
  }
}

export function createMetrics(o: MetricsOptions = {}): Metrics {
  return new Metrics(o);
}

/** GET /metrics: the registry in Prometheus text format. */
export function metricsHandler(metrics: Metrics): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (_req, res) => {
    try {
      const body = await metrics.registry.metrics();
      res.statusCode = 200;
      res.setHeader('content-type', metrics.registry.contentType);
      res.setHeader('cache-control', 'no-store');
      res.end(body);
    } catch (err) {
      res.statusCode = 500;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end(`metrics unavailable: ${(err as Error).message}\n`);
    }
  };
}
