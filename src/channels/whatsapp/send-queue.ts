// Outgoing pacing for the WhatsApp channel.
//
// whatsapp-web.js drives a real WhatsApp Web session. WhatsApp's anti-spam systems ban numbers
// whose traffic does not look like a person: bursts of messages, many chats answered within the
// same second, messages sent at perfectly regular intervals. This queue therefore
//  - sends one message at a time, at most `globalPerSec` per second over all chats (no bursts),
//  - keeps a minimum gap between two messages to the same chat (a reply in three parts arrives
//    like someone typing three messages, not as one block),
//  - adds a small random jitter to every gap, so the timing is never machine-regular,
//  - retries a failed send with exponential backoff, keeping the chat's order (later messages
//    of that chat wait behind the failing one), then drops it, counts it and logs it,
//  - drops replies that waited too long (a stale answer is worse than none) and bounds its size.
// It never throws at its callers: `enqueue` resolves with what happened to the message.
// Timers are the global ones, so vitest's fake timers drive it in tests.
import type { Logger } from 'pino';
import { safeError } from './inbound.ts';

export type SendOutcome = 'sent' | 'failed' | 'expired' | 'overflow' | 'stopped';

export interface SendQueueOptions {
  /** Does the actual send; a rejection counts as a failed attempt. */
  send: (to: string, text: string) => Promise<unknown>;
  logger: Logger;
  /** Messages per second over all chats. Default 1. */
  globalPerSec?: number;
  /** Minimum gap between two messages to one chat, ms. Default 1200. */
  perChatGapMs?: number;
  /** Up to this many ms of random delay added to each gap. Default 400. */
  jitterMs?: number;
  /** Attempts per message before it is dropped. Default 4. */
  maxAttempts?: number;
  /** First retry delay, doubled on each further failure, capped at backoffMaxMs. Defaults 2000 / 30000. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A send that has not settled after this long counts as failed. Default 30000. */
  sendTimeoutMs?: number;
  /** A message not sent within this long after it was queued is dropped. Default 10 min. */
  maxAgeMs?: number;
  /** Most messages waiting at once, all chats together; more are refused. Default 2000. */
  maxQueued?: number;
  /** [0, 1) random source for the jitter; injected by tests. */
  random?: () => number;
  now?: () => number;
}

export interface SendStats {
  sent: number;
  /** Dropped after the last failed attempt. */
  failed: number;
  retried: number;
  expired: number;
  overflow: number;
  stopped: number;
}

interface Job {
  to: string;
  /** The chat's pseudonym: what log lines name instead of the number. */
  logId: string;
  text: string;
  queuedAt: number;
  attempts: number;
  done: (o: SendOutcome) => void;
}

interface ChatLane {
  jobs: Job[];
  /** Earliest time the next message to this chat may go (gap or backoff). */
  readyAt: number;
}

export const SEND_DEFAULTS = {
  globalPerSec: 1,
  perChatGapMs: 1200,
  jitterMs: 400,
  maxAttempts: 4,
  backoffBaseMs: 2000,
  backoffMaxMs: 30_000,
  sendTimeoutMs: 30_000,
  maxAgeMs: 10 * 60_000,
  maxQueued: 2000,
} as const;

export class SendQueue {
  private readonly lanes = new Map<string, ChatLane>();
  private queued = 0;
  private nextGlobalAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private sending = false;
  private current: Job | undefined;
  private paused = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly cfg: Required<Omit<SendQueueOptions, 'send' | 'logger' | 'random' | 'now'>>;
  private readonly random: () => number;
  private readonly now: () => number;
  readonly stats: SendStats = { sent: 0, failed: 0, retried: 0, expired: 0, overflow: 0, stopped: 0 };

  constructor(private readonly o: SendQueueOptions) {
    const pick = <K extends keyof typeof SEND_DEFAULTS>(k: K): number => {
      const v = o[k];
      return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : SEND_DEFAULTS[k];
    };
    this.cfg = {
      globalPerSec: pick('globalPerSec') || SEND_DEFAULTS.globalPerSec,
      perChatGapMs: pick('perChatGapMs'),
      jitterMs: pick('jitterMs'),
      maxAttempts: Math.max(1, Math.floor(pick('maxAttempts'))),
      backoffBaseMs: pick('backoffBaseMs'),
      backoffMaxMs: pick('backoffMaxMs'),
      sendTimeoutMs: pick('sendTimeoutMs') || SEND_DEFAULTS.sendTimeoutMs,
      maxAgeMs: pick('maxAgeMs') || SEND_DEFAULTS.maxAgeMs,
      maxQueued: Math.max(1, pick('maxQueued')),
    };
    this.random = o.random ?? Math.random;
    this.now = o.now ?? (() => Date.now());
  }

  /** Messages waiting (not counting one being sent right now). */
  get size(): number {
    return this.queued;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Queue one message; resolves with its outcome (never rejects). Order per chat is kept. */
  enqueue(to: string, logId: string, text: string): Promise<SendOutcome> {
    if (this.closed) {
      this.stats.stopped++;
      return Promise.resolve('stopped');
    }
    if (this.queued >= this.cfg.maxQueued) {
      this.stats.overflow++;
      this.o.logger.error({ chat: logId, queued: this.queued }, 'whatsapp send queue full: message dropped');
      return Promise.resolve('overflow');
    }
    return new Promise<SendOutcome>((done) => {
      let lane = this.lanes.get(to);
      if (!lane) {
        lane = { jobs: [], readyAt: 0 };
        this.lanes.set(to, lane);
      }
      lane.jobs.push({ to, logId, text, queuedAt: this.now(), attempts: 0, done });
      this.queued++;
      this.kick();
    });
  }

  /** Hold sending (the connection is down); queued messages wait, and may expire. */
  pause(): void {
    this.paused = true;
    this.clearTimer();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.kick();
  }

  /** Resolves when nothing is queued or being sent. */
  onIdle(): Promise<void> {
    if (this.queued === 0 && !this.sending) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /**
   * Stop accepting messages; give the queue up to `timeoutMs` to drain (not at all while paused),
   * then drop what is left. Resolves with how many were dropped.
   */
  async close(timeoutMs: number): Promise<number> {
    this.closed = true;
    if (!this.paused && (this.queued > 0 || this.sending)) {
      let t: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.onIdle(), new Promise<void>((r) => (t = setTimeout(r, Math.max(0, timeoutMs))))]);
      clearTimeout(t);
    }
    this.clearTimer();
    let dropped = 0;
    for (const [to, lane] of this.lanes) {
      // A message being sent right now finishes on its own (it cannot be taken back).
      const keep = lane.jobs[0] !== undefined && lane.jobs[0] === this.current ? 1 : 0;
      for (const job of lane.jobs.splice(keep)) {
        dropped++;
        this.stats.stopped++;
        job.done('stopped');
      }
      if (lane.jobs.length === 0) this.lanes.delete(to);
    }
    this.queued = this.current ? 1 : 0;
    if (dropped) this.o.logger.warn({ dropped }, 'whatsapp send queue closed with messages unsent');
    this.notifyIdle();
    return dropped;
  }

  // ---- scheduling --------------------------------------------------------------------------

  private jitter(): number {
    return this.cfg.jitterMs > 0 ? Math.floor(this.random() * this.cfg.jitterMs) : 0;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  /** Send the next due message now, or set one timer for when it is due. */
  private kick(): void {
    if (this.sending || this.paused) return;
    const now = this.now();
    let best: ChatLane | undefined;
    let bestAt = Number.POSITIVE_INFINITY;
    for (const [to, lane] of this.lanes) {
      if (lane.jobs.length === 0) {
        // Forget a quiet chat once its gap has passed (its gap would no longer hold anything back).
        if (lane.readyAt <= now) this.lanes.delete(to);
        continue;
      }
      // Map order is the order chats last got a turn: ties go to the chat that waited longest.
      const at = Math.max(lane.readyAt, this.nextGlobalAt);
      if (at < bestAt) {
        best = lane;
        bestAt = at;
      }
    }
    if (!best) {
      this.clearTimer();
      this.notifyIdle();
      return;
    }
    if (bestAt <= now) {
      this.clearTimer();
      void this.fire(best);
      return;
    }
    if (this.timer && this.timerAt <= bestAt) return;
    this.clearTimer();
    this.timerAt = bestAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.kick();
    }, bestAt - now);
  }

  private async fire(lane: ChatLane): Promise<void> {
    const job = lane.jobs[0]!;
    const started = this.now();
    if (started - job.queuedAt > this.cfg.maxAgeMs) {
      lane.jobs.shift();
      this.queued--;
      this.stats.expired++;
      this.o.logger.warn({ chat: job.logId, waitedMs: started - job.queuedAt }, 'whatsapp message expired before it could be sent');
      job.done('expired');
      this.kick();
      return;
    }
    this.sending = true;
    this.current = job;
    job.attempts++;
    let outcome: SendOutcome | undefined;
    try {
      await this.withTimeout(this.o.send(job.to, job.text));
      outcome = 'sent';
      this.stats.sent++;
      lane.readyAt = this.now() + this.cfg.perChatGapMs + this.jitter();
    } catch (err) {
      const end = this.now();
      if (job.attempts >= this.cfg.maxAttempts) {
        outcome = 'failed';
        this.stats.failed++;
        lane.readyAt = end + this.cfg.perChatGapMs + this.jitter();
        this.o.logger.error({ chat: job.logId, attempts: job.attempts, err: safeError(err) }, 'whatsapp send failed: message dropped');
      } else {
        this.stats.retried++;
        const delay = Math.min(this.cfg.backoffBaseMs * 2 ** (job.attempts - 1), this.cfg.backoffMaxMs) + this.jitter();
        lane.readyAt = end + delay;
        this.o.logger.warn({ chat: job.logId, attempt: job.attempts, retryInMs: delay, err: safeError(err) }, 'whatsapp send failed: will retry');
      }
    } finally {
      if (!outcome && this.closed) {
        outcome = 'stopped';
        this.stats.stopped++;
      }
      this.nextGlobalAt = this.now() + Math.round(1000 / this.cfg.globalPerSec) + this.jitter();
      if (outcome && lane.jobs[0] === job) {
        lane.jobs.shift();
        this.queued--;
      }
      // This chat had its turn: it goes to the back of the line.
      this.lanes.delete(job.to);
      if (!this.closed || lane.jobs.length) this.lanes.set(job.to, lane);
      this.sending = false;
      this.current = undefined;
      if (outcome) job.done(outcome);
      this.kick();
    }
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    let t: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`send timed out after ${this.cfg.sendTimeoutMs} ms`)), this.cfg.sendTimeoutMs);
    });
    return Promise.race([Promise.resolve().then(() => p), timeout]).finally(() => clearTimeout(t));
  }

  private notifyIdle(): void {
    if (this.queued > 0 || this.sending) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
