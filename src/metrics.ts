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
// Active sessions: counted from the runtime hook, not from Redis. The Redis keys are not a measure
// of activity: a session key lives for SESSION_TTL_DAYS (30 days by default) after the last message,
// DBSIZE counts every key of the database (other prefixes, helpdesk keys), and SCAN is O(keys) on
// the server that every message depends on. A Map of chat key -> last activity in this process costs
// one delete+set per message and one entry (~100 bytes) per active chat; expired entries are dropped
// at scrape time from the front of the Map (insertion order = activity order), so a scrape costs
// O(expired). Behind a load balancer, sum the gauge over processes: a chat whose messages reached two
// processes within the window is counted twice, an upper bound that is good enough for capacity.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Transformer } from 'grammy';
import type { Redis } from 'ioredis';
import { chatKeyOf, type RuntimeHooks } from './core/runtime.ts';
import type { Channel, Inbound } from './core/types.ts';
import { postsMessage } from './channels/telegram/channel.ts';
import type { HelpdeskStats } from './helpdesk/service.ts';

/** Helpdesk waits and first replies (seconds): minutes to hours. */
const HANDOFF_BUCKETS = [10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400];

export const ACTIVE_WINDOW_MS = 15 * 60_000;

/** Handling latency buckets (seconds): a normal turn is well under a millisecond; a status lookup may take seconds. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type Outcome = 'ok' | 'duplicate' | 'unavailable' | 'error';
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

  private readonly active = new Map<string, number>();
  private readonly now: () => number;
  private readonly windowMs: number;
  private handoffSource?: () => Promise<number> | number;
  private readonly sendSources: { channel: Channel; read: () => SendCounts; last: SendCounts }[] = [];
  private readonly detach: (() => void)[] = [];

  constructor(o: MetricsOptions = {}) {
    this.now = o.now ?? Date.now;
    this.windowMs = o.activeWindowMs ?? ACTIVE_WINDOW_MS;
    const registers = [this.registry];
    const self = this;
    this.messagesIn = new Counter({
      name: 'pandu_messages_in_total',
      help: 'Messages handled by the runtime, by channel and outcome (ok, duplicate, unavailable, error)',
      labelNames: ['channel', 'outcome'] as const,
      registers,
    });
    this.messagesOut = new Counter({
      name: 'pandu_messages_out_total',
      help: 'Messages delivered to users, by channel',
      labelNames: ['channel'] as const,
      registers,
      collect() {
        self.pollSends(); // registered before pandu_errors_total, so both are current in one scrape
      },
    });
    this.handling = new Histogram({
      name: 'pandu_handling_seconds',
      help: 'Time to handle one message: claim the session, step, effects, commit',
      labelNames: ['channel'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.errors = new Counter({
      name: 'pandu_errors_total',
      help: 'Failures: unavailable (session store down), error (a bug in a flow or action), send (a reply not delivered)',
      labelNames: ['channel', 'kind'] as const,
      registers,
    });
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
    const channel = inbound.channel;
    this.messagesIn.inc({ channel, outcome });
    this.handling.observe({ channel }, ms / 1000);
    if (outcome === 'unavailable' || outcome === 'error') this.errors.inc({ channel, kind: outcome });
    if (inbound.event.type !== 'effect') this.touch(chatKeyOf(inbound));
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
    return async (prev, method, payload, signal) => {
      // Users only: the helpdesk's cards and relays to the staff group are not messages out.
      const chat = (payload as { chat_id?: unknown } | undefined)?.chat_id;
      if (!postsMessage(method) || (staffChatId !== undefined && Number(chat) === staffChatId)) return prev(method, payload, signal);
      try {
        const res = await prev(method, payload, signal);
        if (res.ok) this.messagesOut.inc({ channel: 'telegram' });
        else this.errors.inc({ channel: 'telegram', kind: 'send' });
        return res;
      } catch (err) {
        this.errors.inc({ channel: 'telegram', kind: 'send' });
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

  private touch(key: string): void {
    // Re-insert so the Map stays ordered by last activity.
    this.active.delete(key);
    this.active.set(key, this.now());
    this.countActive(); // drops the expired front, so the map stays bounded without a scraper
  }

  private countActive(): number {
    const cutoff = this.now() - this.windowMs;
    for (const [key, at] of this.active) {
      if (at > cutoff) break;
      this.active.delete(key);
    }
    return this.active.size;
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
