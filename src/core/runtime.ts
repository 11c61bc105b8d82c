// The runtime: the only place where a message meets I/O. For each inbound message it claims the
// chat's session, runs the pure `step`, performs the effects step asked for (feeding their results
// back into step), and hands the session back. Messages of one chat are handled one at a time, in
// arrival order, inside this process; the store extends that across processes.
//
// The replies are returned once the new session is handed to the store, not once the store has
// confirmed it: the store answers this process's next claim of the chat with that session, and
// keeps it should the write fail (SessionStore.commit). The message stays in flight (drain,
// metrics) until the write is confirmed.
import type { Logger } from 'pino';
import type { Engine } from './engine.ts';
import { InFlight } from './in-flight.ts';
import { personalAnswers, step } from './step.ts';
import { PERSONAL_TTL_MS, type Inbound, type Lang, type Reply, type Session, type StepResult } from './types.ts';
import { StoreUnavailableError, type Claim, type SessionStore } from '../store/session-store.ts';

/** Does one kind of `call` effect (a status lookup, opening a ticket...). Its result goes back into step. */
export type EffectHandler = (args: Record<string, unknown>, ctx: { inbound: Inbound; session: Session }) => Promise<unknown>;

/** Delivers replies to a chat of one channel, outside the answer to a user's message. */
export type Sender = (chatId: string, replies: Reply[]) => Promise<void>;

export type Outcome = 'ok' | 'duplicate' | 'unavailable' | 'error';

export interface RuntimeHooks {
  /** After a message was handled (for metrics). */
  handled?(inbound: Inbound, ms: number, outcome: Outcome): void;
  /** A user asked to delete their data: other stores forget the chat too. */
  forgetChat?(chatKey: string): Promise<void>;
}

export interface RuntimeOptions {
  engine: Engine;
  store: SessionStore;
  logger: Logger;
  effects?: Record<string, EffectHandler>;
  hooks?: RuntimeHooks;
  now?: () => number;
}

/** One message's place in its chat's queue: its promise once queued, and whether it has ended. */
interface Turn {
  run: Promise<Reply[]> | undefined;
  ended: boolean;
}

/** A claim that took longer than this waited for another holder: the guessed step's clock is stale. */
const CLAIM_WAIT_MS = 1000;

/** Effect results fed back into step in one turn before we call it a loop. */
const MAX_EFFECT_ROUNDS = 8;

function holdsPersonal(engine: Engine, session: Session): boolean {
  const personal = personalAnswers(engine);
  for (const name in session.answers) if (personal.has(name)) return true;
  return false;
}

/**
 * The time to live a session is stored with: short while it holds personal answers, or when it
 * could not be read (null: it may hold some); the store's own otherwise.
 */
function ttlOf(engine: Engine, session: Session | null): number | undefined {
  return session && !holdsPersonal(engine, session) ? undefined : PERSONAL_TTL_MS;
}

/** A store failure as logged: its message and its cause's, nothing of the session. */
function storeFailure(err: StoreUnavailableError): { message: string; cause: string } {
  return { message: err.message, cause: String((err.cause as Error)?.message ?? '') };
}

export function chatKeyOf(inbound: Pick<Inbound, 'channel' | 'chatId'>): string {
  return `${inbound.channel}:${inbound.chatId}`;
}

export class Runtime {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly senders = new Map<Inbound['channel'], Sender>();
  private readonly inFlight = new InFlight();
  private readonly now: () => number;

  constructor(private readonly o: RuntimeOptions) {
    this.now = o.now ?? Date.now;
  }

  get engine(): Engine {
    return this.o.engine;
  }

  /** Handle one message; resolves with the replies to send (in order). Never rejects. */
  handle(inbound: Inbound): Promise<Reply[]> {
    const key = chatKeyOf(inbound);
    const before = this.tails.get(key);
    this.inFlight.enter();
    // Nothing of this chat in progress: start at once (no extra promise and turn of the queue).
    // The chat's queue is tidied by handleNow itself when it ends (see Turn), not by a further
    // promise chained on each message.
    const turn: Turn = { run: undefined, ended: false };
    // The one before never rejects; should it ever, this message is still handled. (No named
    // closure: tsx keeps function names, which costs a property definition on every message.)
    let run: Promise<Reply[]>;
    if (before) {
      const go = this.handleNow.bind(this, key, inbound, turn);
      run = before.then(go, go);
    } else run = this.handleNow(key, inbound, turn);
    if (!turn.ended) {
      turn.run = run;
      this.tails.set(key, run);
    }
    return run;
  }

  /**
   * Channels register how to deliver replies that do not answer a message of the user's own
   * (a staff member closing a ticket, a reminder): `push` sends through them.
   */
  setSender(channel: Inbound['channel'], send: Sender): void {
    this.senders.set(channel, send);
  }

  /**
   * Handle an event that did not come from the user (e.g. `{ type: 'effect', name: 'ticketClosed' }`)
   * exactly like a message, in the chat's order, and deliver the replies through the channel's sender.
   */
  async push(inbound: Inbound): Promise<Reply[]> {
    const replies = await this.handle(inbound);
    const send = this.senders.get(inbound.channel);
    if (!send) throw new Error(`no sender registered for ${inbound.channel}`);
    if (replies.length) await send(inbound.chatId, replies);
    return replies;
  }

  /** Resolves when every message accepted so far has been handled (graceful shutdown). */
  drain(): Promise<void> {
    return this.inFlight.idle();
  }

  private async handleNow(key: string, inbound: Inbound, turn: Turn): Promise<Reply[]> {
    const started = performance.now();
    const { engine, store, logger } = this.o;
    let claim: Claim | undefined;
    let outcome: Outcome = 'ok';
    let lang: Lang = engine.defaultLang;
    let saving: Promise<void> | undefined;
    /** The session as it was (null: none, or unreadable): a hand-back that leaves it so keeps its TTL. */
    let session: Session | null = null;
    try {
      // Read before the claim: the moment the message is handled is when it arrived here.
      let now = this.now();
      const claiming = store.claim(key);
      // While the claim is on its way to the store and back (a network round trip), step the
      // session this process expects it to return. `step` is pure, so when the claim does return
      // that very session the result is the same as stepping it afterwards, and the user waits for
      // one step less; otherwise the guess is dropped. Effects only run once the chat is held.
      const expected = store.peek?.(key);
      let guess: StepResult | undefined;
      if (expected) {
        try {
          guess = step(engine, expected, inbound, now);
        } catch {
          guess = undefined; // the real step below meets the same problem and reports it
        }
      }
      claim = await claiming;
      // A claim that waited for another process to hand the chat back: step at the time it got it.
      const claimed = this.now();
      if (claimed - now > CLAIM_WAIT_MS) {
        now = claimed;
        guess = undefined;
      }
      const loaded = claim.loaded;
      const prefix: Reply[] = [];
      if (loaded.status === 'ok') {
        session = loaded.session;
        lang = session.lang;
      } else if (loaded.status === 'reset') {
        logger.warn({ chat: key, reason: loaded.reason }, 'session reset');
        prefix.push({ text: engine.t(lang, 'common.sessionReset'), lang });
      }
      let res = guess && session === expected ? guess : step(engine, session, inbound, now);
      if (res.duplicate || res.unchanged) {
        // Nothing to apply: a stray effect (a push for a chat that moved on, or deleted its
        // data) must not create or refresh a session.
        if (res.duplicate) outcome = 'duplicate';
        await store.release(claim, ttlOf(engine, session));
        return [];
      }
      const replies = prefix.length > 0 ? [...prefix, ...res.replies] : res.replies;
      let forget = false;
      for (let round = 0; res.effects.length > 0; round++) {
        if (round >= MAX_EFFECT_ROUNDS) throw new Error('effects kept asking for more effects');
        const effects: StepResult['effects'] = res.effects;
        res = { ...res, effects: [] };
        for (const ef of effects) {
          if (ef.type === 'deleteUserData') {
            forget = true;
            continue;
          }
          const handler = this.o.effects?.[ef.name];
          const result = handler
            ? await handler(ef.args, { inbound, session: res.session })
            : { error: 'unavailable' };
          const next = step(engine, res.session, { ...inbound, messageId: undefined, event: { type: 'effect', name: ef.name, result } }, now);
          replies.push(...next.replies);
          res = { ...next, effects: [...res.effects, ...next.effects] };
        }
      }
      if (forget) {
        await store.remove(claim);
        await this.o.hooks?.forgetChat?.(key);
        logger.info({ chat: key }, 'user data deleted on request');
      } else {
        // Personal answers (a NIK mid-lookup) are not kept for weeks because the user walked away.
        saving = store.commit(claim, res.session, ttlOf(engine, res.session));
      }
      return replies;
    } catch (err) {
      if (err instanceof StoreUnavailableError) {
        outcome = 'unavailable';
        logger.warn({ chat: key, err: storeFailure(err) }, 'session store unavailable');
        return [{ text: engine.t(lang, 'common.unavailable'), lang }];
      }
      outcome = 'error';
      logger.error({ chat: key, channel: inbound.channel, event: inbound.event.type, err }, 'message handling failed');
      if (claim) await store.release(claim, ttlOf(engine, session)).catch(() => undefined);
      return [{ text: engine.t(lang, 'common.error'), lang }];
    } finally {
      turn.ended = true;
      // Still the chat's last message: the queue is empty now. (A later one has taken its place
      // otherwise; it tidies up when it ends.)
      if (turn.run !== undefined && this.tails.get(key) === turn.run) this.tails.delete(key);
      if (saving) {
        saving.then(
          () => this.settled(key, inbound, started, outcome),
          (err: unknown) => this.notSaved(key, inbound, started, err),
        );
      } else this.settled(key, inbound, started, outcome);
    }
  }

  /** The user was answered, but the store could not confirm the new session (it keeps it: SessionStore.commit). */
  private notSaved(key: string, inbound: Inbound, started: number, err: unknown): void {
    if (err instanceof StoreUnavailableError) {
      this.o.logger.warn({ chat: key, err: storeFailure(err) }, 'session store unavailable after the reply: the new session is kept in this process until it is back');
    } else this.o.logger.error({ chat: key, channel: inbound.channel, err }, 'session commit failed');
    this.settled(key, inbound, started, 'unavailable');
  }

  /** The message is done with, its new session (if any) written: no longer in flight. */
  private settled(key: string, inbound: Inbound, started: number, outcome: Outcome): void {
    this.inFlight.leave();
    this.report(key, inbound, performance.now() - started, outcome);
  }

  private report(key: string, inbound: Inbound, ms: number, outcome: Outcome): void {
    try {
      // Never the message itself: what was said may be personal data. (The level check spares
      // building the log object on every message when debug is off, as in production.)
      const { logger } = this.o;
      if (logger.isLevelEnabled('debug')) logger.debug({ chat: key, event: inbound.event.type, outcome, ms: Math.round(ms * 100) / 100 }, 'message handled');
      this.o.hooks?.handled?.(inbound, ms, outcome);
    } catch {
      // A metrics hook or a log sink that fails must not fail the message (handle never rejects).
    }
  }
}
