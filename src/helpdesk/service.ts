// The helpdesk service: the I/O around the hand-off. It
//   - handles the `helpdesk` effect the user's action asks for (open a ticket, relay a message,
//     leave the queue, rate), inside the user's turn;
//   - is what the staff side (staff-telegram.ts) calls: claim, put back, write, note, close;
//   - pushes what staff do into the user's chat through the Runtime (Runtime.push), so the
//     user's action answers it and the channel's sender delivers it, in the chat's order;
//   - runs a periodic sweep that reads timestamps from the ticket store: reminders to users nobody
//     has claimed yet, auto-close of claimed tickets without messages, and repairs after a crash
//     (a queue card never posted, a topic never created, a user never told their ticket closed).
//     Because the sweep works only from what is stored, a restart at any moment loses nothing;
//     a lock in the store keeps two processes from sweeping at once.
//   - counts, for the metrics (HelpdeskStats).
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EffectHandler } from '../core/runtime.ts';
import type { Channel, Inbound, MediaKind, Reply, Session } from '../core/types.ts';
import { isOpen, nextOpening, windowStart, type Hours } from './hours.ts';
import { HELPDESK_EFFECT, HELPDESK_PUSH, type HelpdeskPushPayload, type HelpdeskResult, type HoursView, type TicketView } from './protocol.ts';
import { cleanEntry, type CloseReason, type HelpdeskCounts, type StaffRef, type Ticket, type TicketStore, type TranscriptEntry } from './tickets.ts';

export interface HelpdeskConfig {
  hours: Hours;
  /** Remind a waiting user after this long without a claim (counted within opening hours). */
  remindAfterMs: number;
  /** Close a claimed ticket after this long without a message either way. */
  idleCloseMs: number;
  /** Reminders per waiting ticket at most. Default 3. */
  maxReminders?: number;
  /** How often the sweep runs. Default 30 s. */
  sweepEveryMs?: number;
}

/**
 * What the helpdesk tells the staff side. Every method may be called again for the same thing
 * after a crash (the sweep repairs), so implementations are idempotent where it matters.
 */
export interface StaffSide {
  /** A new ticket: show it to staff (a card with a claim button). */
  opened(t: Ticket): Promise<void>;
  /** The user wrote (text, or a note that media was sent). */
  userMessage(t: Ticket, entry: TranscriptEntry, media?: MediaKind): Promise<void>;
  /** The ticket closed (by staff, the user, the idle timer, the user leaving or deleting their data). */
  closed(t: Ticket): Promise<void>;
  /** The user rated a closed ticket. */
  rated(t: Ticket, rating: number): Promise<void>;
  /** A ticket that should have a card (waiting) or a topic (claimed) but may not: make sure it does. */
  repair(t: Ticket): Promise<void>;
  /** Something for the user could not be delivered (the channel failed, the user blocked the bot). */
  undelivered(t: Ticket, what: string): Promise<void>;
}

/** The runtime, as far as the helpdesk uses it. */
export interface UserChannel {
  push(inbound: Inbound): Promise<Reply[]>;
}

export type HelpdeskEvent =
  | { type: 'opened'; channel: Channel }
  | { type: 'claimed'; waitedMs: number }
  | { type: 'firstReply'; ms: number }
  | { type: 'closed'; reason: CloseReason }
  | { type: 'rated'; rating: number };

/** For src/metrics.ts: totals kept in the store (all processes, across restarts) and live events of this process. */
export interface HelpdeskStats {
  counts(): Promise<HelpdeskCounts>;
  /** Waiting tickets now: the handoff-queue-length gauge. */
  queueLength(): Promise<number>;
  /** Called for every event in this process (counters, a first-reply histogram); returns an unsubscribe. */
  onEvent(listener: (e: HelpdeskEvent) => void): () => void;
}

export interface HelpdeskOptions {
  tickets: TicketStore;
  config: HelpdeskConfig;
  logger: Logger;
  now?: () => number;
}

export type StaffResult<T> = { ok: true; ticket: T } | { ok: false; reason: 'missing' | 'closed' | 'notClaimed' | 'waiting' };

const SWEEP_LOCK = 'sweep';

export class Helpdesk {
  readonly tickets: TicketStore;
  readonly config: HelpdeskConfig;
  readonly stats: HelpdeskStats;
  private readonly log: Logger;
  private readonly now: () => number;
  private users?: UserChannel;
  private staff?: StaffSide;
  private readonly acks = new Set<string>();
  private readonly tasks = new Set<Promise<unknown>>();
  private readonly listeners = new Set<(e: HelpdeskEvent) => void>();
  private timer?: ReturnType<typeof setInterval>;
  private sweeping?: Promise<void>;

  constructor(o: HelpdeskOptions) {
    this.tickets = o.tickets;
    this.config = o.config;
    this.log = o.logger.child({ part: 'helpdesk' });
    this.now = o.now ?? Date.now;
    this.stats = {
      counts: () => this.tickets.counts(),
      queueLength: () => this.tickets.queueLength(),
      onEvent: (l) => {
        this.listeners.add(l);
        return () => this.listeners.delete(l);
      },
    };
  }

  /** The runtime whose `push` delivers staff messages to users (call once both exist). */
  attachUsers(users: UserChannel): void {
    this.users = users;
  }

  attachStaff(staff: StaffSide): void {
    this.staff = staff;
  }

  // ---- the user's side: the `helpdesk` effect ---------------------------------------------------

  /** For the Runtime's `effects` option: `{ ...helpdesk.effects() }`. */
  effects(): Record<string, EffectHandler> {
    return { [HELPDESK_EFFECT]: (args, ctx) => this.onEffect(args, ctx) };
  }

  private async onEffect(args: Record<string, unknown>, ctx: { inbound: Inbound; session: Session }): Promise<HelpdeskResult> {
    const { channel, chatId } = ctx.inbound;
    const now = this.now();
    try {
      switch (args.op) {
        case 'state': {
          const t = await this.tickets.openOf(channel, chatId);
          if (t && t.lang !== ctx.session.lang) await this.tickets.update(t.id, { lang: ctx.session.lang });
          return { op: 'state', ticket: t ? await this.view(t) : undefined, hours: this.hoursView(now) };
        }
        case 'open': {
          const ret = ctx.session.ret;
          const place = ret ? `${ret.flow}.${ret.step}` : 'menu';
          const description = typeof args.description === 'string' ? args.description : '';
          const { ticket, created } = await this.tickets.open({ channel, chatId, lang: ctx.session.lang, place, description }, now);
          if (created) {
            this.log.info({ ticket: ticket.id, channel }, 'helpdesk ticket opened');
            this.emit({ type: 'opened', channel });
            this.background(`card #${ticket.id}`, () => this.staff?.opened(ticket));
          }
          return { op: 'open', ticket: await this.view(ticket), created, hours: this.hoursView(now) };
        }
        case 'relay': {
          const t = await this.tickets.openOf(channel, chatId);
          if (!t) {
            // Closed meanwhile (staff, idle): the user is told now, and the pending notice is done.
            const id = typeof args.ticket === 'string' ? args.ticket : undefined;
            const old = id ? await this.tickets.get(id) : undefined;
            if (old?.state === 'closed' && old.channel === channel && old.chatId === chatId && old.closeReason) {
              await this.tickets.markNotified(old.id);
              return { op: 'relay', delivered: false, closed: { reason: old.closeReason, minutes: this.idleMinutes() } };
            }
            return { op: 'relay', delivered: false };
          }
          const media = typeof args.media === 'string' ? (args.media as MediaKind) : undefined;
          const text = typeof args.text === 'string' ? args.text : `[${media ?? 'other'}]`;
          const entry = cleanEntry({ at: now, from: 'user', text });
          await this.tickets.append(t.id, entry, { activity: true });
          // Staff see it as it is stored: scrubbed (the relay is best effort, in order per ticket).
          this.background(`relay #${t.id}`, () => this.staff?.userMessage(t, entry, media));
          return { op: 'relay', delivered: true };
        }
        case 'cancel': {
          const t = await this.tickets.openOf(channel, chatId);
          if (!t) return { op: 'cancel', wasClaimed: false };
          const closed = await this.closeTicket(t.id, 'user', undefined, false);
          return { op: 'cancel', wasClaimed: t.state === 'claimed' && closed !== undefined };
        }
        case 'rate': {
          const id = String(args.ticket ?? '');
          const rating = Number(args.rating);
          const t = await this.tickets.get(id);
          if (!t || t.channel !== channel || t.chatId !== chatId) return { op: 'rate', ok: false };
          const ok = await this.tickets.rate(id, rating);
          if (ok) {
            this.emit({ type: 'rated', rating });
            this.background(`rating #${id}`, () => this.staff?.rated({ ...t, rating }, rating));
          }
          return { op: 'rate', ok };
        }
        case 'ack':
          if (typeof args.push === 'string') this.acks.add(args.push);
          return { op: 'ack' };
        default:
          return { error: 'unknown op' };
      }
    } catch (err) {
      this.log.warn({ err: errInfo(err), op: String(args.op) }, 'helpdesk effect failed');
      return { error: 'unavailable' };
    }
  }

  private async view(t: Ticket): Promise<TicketView> {
    if (t.state === 'claimed') return { id: t.id, state: 'claimed', staff: t.claimedBy?.name };
    return { id: t.id, state: 'waiting', position: await this.tickets.position(t.id) };
  }

  hoursView(now: number): HoursView {
    const open = isOpen(this.config.hours, now);
    const next = open ? undefined : nextOpening(this.config.hours, now);
    return next === undefined ? { hours: this.config.hours, open } : { hours: this.config.hours, open, nextOpen: next };
  }

  private idleMinutes(): number {
    return Math.round(this.config.idleCloseMs / 60_000);
  }

  // ---- the staff's side ------------------------------------------------------------------------

  /** Take a waiting ticket. Exactly one of several concurrent claimers gets it; the others learn who has it. */
  async claim(id: string, staff: StaffRef) {
    const now = this.now();
    const r = await this.tickets.claim(id, staff, now);
    if (!r.ok) return r;
    this.log.info({ ticket: id }, 'helpdesk ticket claimed');
    this.emit({ type: 'claimed', waitedMs: now - r.ticket.openedAt });
    await this.tickets.append(id, { at: now, from: 'system', text: `diambil oleh ${staff.name}` });
    this.background(`claimed #${id}`, () => this.pushToUser(r.ticket, { kind: 'claimed', staff: staff.name }));
    return r;
  }

  /** Put a claimed ticket back in the queue, at its original place. */
  async release(id: string, staff: StaffRef): Promise<StaffResult<Ticket>> {
    const now = this.now();
    const t = await this.tickets.release(id, now);
    if (!t) return this.whyNot(id);
    await this.tickets.append(id, { at: now, from: 'system', text: `dikembalikan ke antrean oleh ${staff.name}` });
    const position = await this.tickets.position(id);
    this.background(`released #${id}`, () => this.pushToUser(t, { kind: 'released', ...(position ? { position } : {}) }));
    return { ok: true, ticket: t };
  }

  /** A staff message for the user: stored (scrubbed) and pushed into the user's chat. */
  async staffMessage(id: string, staff: StaffRef, text: string): Promise<StaffResult<Ticket>> {
    const t = await this.tickets.get(id);
    if (!t) return { ok: false, reason: 'missing' };
    if (t.state === 'closed') return { ok: false, reason: 'closed' };
    if (t.state === 'waiting') return { ok: false, reason: 'waiting' };
    const now = this.now();
    const { firstReplyMs } = await this.tickets.append(id, { at: now, from: 'staff', text, name: staff.name }, { activity: true });
    if (firstReplyMs !== undefined) this.emit({ type: 'firstReply', ms: firstReplyMs });
    this.background(`staff message #${id}`, () => this.pushToUser(t, { kind: 'staff', staff: staff.name, text }));
    return { ok: true, ticket: t };
  }

  /** An internal note: kept in the transcript, never sent to the user. */
  async note(id: string, staff: StaffRef, text: string): Promise<StaffResult<Ticket>> {
    const t = await this.tickets.get(id);
    if (!t) return { ok: false, reason: 'missing' };
    await this.tickets.append(id, { at: this.now(), from: 'note', text, name: staff.name });
    return { ok: true, ticket: t };
  }

  /** Close (/selesai): the user is told, asked for a rating and brought back to where they were. */
  async close(id: string, staff: StaffRef): Promise<StaffResult<Ticket>> {
    const t = await this.closeTicket(id, 'staff', staff, true);
    return t ? { ok: true, ticket: t } : this.whyNot(id);
  }

  private async whyNot(id: string): Promise<StaffResult<never>> {
    const t = await this.tickets.get(id);
    if (!t) return { ok: false, reason: 'missing' };
    if (t.state === 'closed') return { ok: false, reason: 'closed' };
    return { ok: false, reason: t.state === 'waiting' ? 'waiting' : 'notClaimed' };
  }

  /** Waiting tickets with their place and age (for /antrean). */
  async queue(): Promise<{ ticket: Ticket; position: number; ageMs: number }[]> {
    const now = this.now();
    return (await this.tickets.waiting()).map((t, i) => ({ ticket: t, position: i + 1, ageMs: now - t.openedAt }));
  }

  /**
   * Closes a ticket once (whoever closes first), tells the staff side, and tells the user unless
   * they are the one who closed it (or left). `notifyUser` false: the user knows already.
   */
  private async closeTicket(id: string, reason: CloseReason, by: StaffRef | undefined, notifyUser: boolean): Promise<Ticket | undefined> {
    const now = this.now();
    const t = await this.tickets.close(id, reason, by, now);
    if (!t) return undefined;
    this.log.info({ ticket: id, reason }, 'helpdesk ticket closed');
    this.emit({ type: 'closed', reason });
    await this.tickets.append(id, { at: now, from: 'system', text: `ditutup (${reason})` });
    if (!notifyUser) await this.tickets.markNotified(id);
    this.background(`closed #${id}`, () => this.staff?.closed(t));
    if (notifyUser) this.background(`notify #${id}`, () => this.notifyClosed(t));
    return t;
  }

  private async notifyClosed(t: Ticket): Promise<void> {
    const payload: HelpdeskPushPayload = t.closeReason === 'idle' ? { kind: 'closed', reason: 'idle', minutes: this.idleMinutes() } : { kind: 'closed', reason: t.closeReason ?? 'staff' };
    await this.pushToUser(t, payload);
    await this.tickets.markNotified(t.id);
  }

  /**
   * Delivers a staff-side event into the user's chat. Returns false when the user's action did
   * not take it: they left the hand-off (with "menu", /start...). The ticket is then closed as
   * "left" and staff are told; nothing more is sent to the user.
   */
  private async pushToUser(t: Ticket, payload: HelpdeskPushPayload): Promise<boolean> {
    if (!this.users) {
      this.log.warn({ ticket: t.id }, 'helpdesk has no runtime to reach users');
      return false;
    }
    const push = randomUUID();
    // A close is pushed with a fixed message id: sent again by the sweep after a crash, the
    // engine drops it as a duplicate if the first one got through.
    const messageId = payload.kind === 'closed' ? `hd:${t.id}:closed` : `hd:${t.id}:${push}`;
    const inbound: Inbound = {
      channel: t.channel,
      chatId: t.chatId,
      userId: t.chatId,
      messageId,
      event: { type: 'effect', name: HELPDESK_PUSH, result: { ...payload, ticket: t.id, push } },
    };
    try {
      await this.users.push(inbound);
    } catch (err) {
      this.acks.delete(push);
      this.log.warn({ ticket: t.id, event: payload.kind, err: errInfo(err) }, 'helpdesk could not deliver to the user');
      this.background(`undelivered #${t.id}`, () => this.staff?.undelivered(t, payload.kind));
      throw err;
    }
    const present = this.acks.delete(push);
    if (!present && payload.kind !== 'closed') {
      this.log.info({ ticket: t.id, event: payload.kind }, 'helpdesk user has left the hand-off; closing the ticket');
      await this.closeTicket(t.id, 'left', undefined, false);
    }
    return present;
  }

  // ---- "hapus data saya" ----------------------------------------------------------------------

  /** RuntimeHooks.forgetChat: the chat's tickets go (an open one is closed first, and staff told). */
  async forgetChat(chatKey: string): Promise<void> {
    const i = chatKey.indexOf(':');
    if (i < 0) return;
    const channel = chatKey.slice(0, i) as Channel;
    const chatId = chatKey.slice(i + 1);
    const closed = await this.tickets.forgetChat(channel, chatId, this.now());
    if (closed) {
      this.emit({ type: 'closed', reason: 'deleted' });
      this.background(`deleted #${closed.id}`, () => this.staff?.closed(closed));
    }
  }

  // ---- the sweep ------------------------------------------------------------------------------

  /** Starts the periodic sweep (and runs one now, to finish what a previous process left). */
  start(): void {
    if (this.timer) return;
    const every = this.config.sweepEveryMs ?? 30_000;
    this.timer = setInterval(() => void this.sweep(), every);
    this.timer.unref?.();
    void this.sweep();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
    await this.idle();
  }

  /** One pass: reminders, idle auto-close, repairs, pending close notices. Never throws. */
  sweep(): Promise<void> {
    if (this.sweeping) return this.sweeping;
    this.sweeping = this.sweepNow().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweepNow(): Promise<void> {
    const every = this.config.sweepEveryMs ?? 30_000;
    try {
      if (!(await this.tickets.tryLock(SWEEP_LOCK, Math.max(1000, every - 1000)))) return;
    } catch (err) {
      this.log.warn({ err: errInfo(err) }, 'helpdesk sweep could not start');
      return;
    }
    try {
      const now = this.now();
      for (const t of await this.tickets.claimed()) {
        if (now - t.lastActivityAt >= this.config.idleCloseMs) await this.step(`idle #${t.id}`, () => this.closeTicket(t.id, 'idle', undefined, true));
        else if (t.topicId === undefined) await this.step(`repair #${t.id}`, () => this.staff?.repair(t));
      }
      const open = isOpen(this.config.hours, now);
      const since = windowStart(this.config.hours, now) ?? 0;
      const max = this.config.maxReminders ?? 3;
      for (const t of await this.tickets.waiting()) {
        if (t.cardMessageId === undefined) await this.step(`repair #${t.id}`, () => this.staff?.repair(t));
        if (!open || t.reminders >= max) continue;
        if (now - Math.max(t.openedAt, t.remindedAt ?? 0, since) < this.config.remindAfterMs) continue;
        await this.step(`remind #${t.id}`, async () => {
          await this.tickets.update(t.id, { reminders: t.reminders + 1, remindedAt: now });
          const position = await this.tickets.position(t.id);
          await this.pushToUser(t, { kind: 'remind', hours: this.hoursView(now), ...(position ? { position } : {}) });
        });
      }
      for (const id of await this.tickets.unnotified()) {
        const t = await this.tickets.get(id);
        if (!t || t.state !== 'closed') {
          await this.tickets.markNotified(id);
          continue;
        }
        if (this.pendingNotice.has(id)) continue;
        await this.step(`notify #${id}`, () => this.notifyClosed(t));
      }
    } catch (err) {
      this.log.warn({ err: errInfo(err) }, 'helpdesk sweep failed');
    } finally {
      await this.tickets.unlock(SWEEP_LOCK).catch(() => undefined);
    }
  }

  private async step(what: string, fn: () => Promise<unknown> | undefined): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.log.warn({ err: errInfo(err), what }, 'helpdesk sweep step failed');
    }
  }

  // ---- background work ------------------------------------------------------------------------

  /** Close notices in flight in this process (the sweep leaves them alone). */
  private readonly pendingNotice = new Set<string>();

  /** Work that must not hold up the caller (a user's turn, a staff update); errors are logged. */
  private background(what: string, fn: () => Promise<unknown> | undefined): void {
    const notice = what.startsWith('notify #') ? what.slice('notify #'.length) : undefined;
    if (notice) this.pendingNotice.add(notice);
    const p = Promise.resolve()
      .then(fn)
      .catch((err: unknown) => this.log.warn({ err: errInfo(err), what }, 'helpdesk background task failed'))
      .finally(() => {
        this.tasks.delete(p);
        if (notice) this.pendingNotice.delete(notice);
      });
    this.tasks.add(p);
  }

  /** Resolves when the background work started so far (and any it started) is done. */
  async idle(): Promise<void> {
    while (this.tasks.size > 0 || this.sweeping) {
      await Promise.allSettled([...this.tasks, this.sweeping]);
    }
  }

  private emit(e: HelpdeskEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // a listener must not break the helpdesk
      }
    }
  }
}

export function errInfo(err: unknown): Record<string, unknown> {
  if (err instanceof Error) return { type: err.name, message: err.message.slice(0, 300) };
  return { type: typeof err };
}
