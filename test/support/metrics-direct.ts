// The metrics as src/metrics.ts kept them before they were counted in plain numbers between
// scrapes (commit 6d91e9a): every event straight into prom-client's own API, and the active chats
// in a Map kept in activity order by a delete+set per message. The reference that
// test/metrics-equivalence.test.ts compares /metrics with, and the "before" of bench/micro.ts.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Transformer } from 'grammy';
import type { Redis } from 'ioredis';
import { chatKeyOf, type RuntimeHooks } from '../../src/core/runtime.ts';
import type { Channel, Inbound } from '../../src/core/types.ts';
import { postsMessage } from '../../src/channels/telegram/channel.ts';
import type { HelpdeskStats } from '../../src/helpdesk/service.ts';
import { ACTIVE_WINDOW_MS, LATENCY_BUCKETS, type MetricsOptions, type Outcome, type SendCounts } from '../../src/metrics.ts';

/** Helpdesk waits and first replies (seconds): minutes to hours. */
const HANDOFF_BUCKETS = [10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400];

export class DirectMetrics {
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
