// The WhatsApp channel: whatsapp-web.js events in, paced WhatsApp messages out. Thin on purpose:
// every decision about the conversation is the Runtime's; this file only translates (inbound.ts,
// render.ts), paces (send-queue.ts) and keeps the connection alive.
//
// Phone numbers: the real WhatsApp id is used in memory to address the reply to the message it
// answers, and kept encrypted in the address book (when there is one) so Pandu can write first
// later (helpdesk relays, after a restart too). Sessions, log lines and metrics see the keyed hash
// from inbound.ts.
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Call, Client as WAClient, Message } from 'whatsapp-web.js';
import type { Translate } from '../../core/engine.ts';
import { chatKeyOf, type Runtime } from '../../core/runtime.ts';
import { matchOption, type OptionCandidate } from '../../core/inputs.ts';
import { LANGS, type Inbound, type Lang, type Reply } from '../../core/types.ts';
import type { AddressBook } from './address-book.ts';
import { isPersonalChat, maskNumbers, pseudonymOf, safeError, toInbound } from './inbound.ts';
import { QR_PNG_NAME, qrForTerminal, removeQrPng, writeQrPng } from './qr.ts';
import { CONTACT_CHOICE, choicesOf, renderReply } from './render.ts';
import { SendQueue, type SendOutcome, type SendQueueOptions, type SendStats } from './send-queue.ts';
import { channelText } from './texts.ts';

/**
 * `on` as whatsapp-web.js declares it, except for the return type. (A `Pick` of Client's `on`
 * returns `Client` itself, as its overloads return `this`, which no fake can be. Its first
 * overload, `on(event: string, listener: (...args: any) => void)`, accepts any listener anyway,
 * so the listeners here annotate the declared argument types themselves.)
 */
export type WAOn = (event: string, listener: (...args: any[]) => void) => unknown;

/**
 * What the channel uses of whatsapp-web.js's `Client`, taken from its own declarations, so the
 * test fake is checked against the real API (and the real Client is checked to fit, below).
 */
export type WAClientLike = Pick<WAClient, 'initialize' | 'destroy' | 'sendMessage' | 'getState'> & { on: WAOn };

export interface WhatsAppChannelOptions {
  client: WAClientLike;
  runtime: Runtime;
  logger: Logger;
  /** Secret of the HMAC that replaces phone numbers in chat ids (WHATSAPP_ID_SECRET). */
  idSecret: string;
  /** Messages older than this when they reach Pandu (sent while it was offline) are not replayed; 0 turns this off. */
  maxBacklogAgeSec: number;
  /** Language of the channel's own texts and hints while a chat's language is not known. Default: the engine's. */
  lang?: Lang;
  now?: () => number;
  /** The WhatsApp data folder (WHATSAPP_DATA_DIR): the login QR PNG goes here; auth failures name it. */
  dataDir?: string;
  /** LocalAuth clientId, if one is used (it names the session folder). */
  clientId?: string;
  /** Where the terminal QR is printed. Default: stdout. */
  printQr?: (text: string) => void;
  /** Pacing (see send-queue.ts for the defaults and why). */
  pacing?: Omit<SendQueueOptions, 'send' | 'logger' | 'now'>;
  /** Re-initialisation after a disconnect: first delay, doubled each time, capped. Defaults 5 s / 5 min. */
  reconnect?: { baseMs?: number; maxMs?: number };
  /** Re-initialise when neither a QR nor `ready` came this long after `initialize()`. Default 3 min. */
  readyTimeoutMs?: number;
  /** Show "typing..." while a reply is prepared. Default true. */
  typing?: boolean;
  /** How long stop() waits for answers in progress and queued messages. Default 5 s. */
  stopTimeoutMs?: number;
  /** Split texts longer than this. */
  maxLength?: number;
  /** Keeps chats reachable by `sendTo` across restarts (encrypted, in Redis). Default: memory only. */
  addressBook?: AddressBook;
}

export interface WhatsAppStatus {
  ready: boolean;
  state: string | undefined;
  queued: number;
  sends: SendStats;
  reconnects: number;
  ignored: number;
  backlogSkipped: number;
}

export interface WhatsAppChannel {
  /** Start the client (initialize). Never rejects: a failure is logged and retried with backoff. */
  start(): Promise<void>;
  /** Stop: give answers in progress and the queue a bounded time, drop the rest, destroy the client. */
  stop(): Promise<void>;
  /** Resolves when every message received so far is answered and sent (tests, graceful shutdown). */
  idle(): Promise<void>;
  status(): WhatsAppStatus;
  /** True when WhatsApp Web reports CONNECTED (health checks). */
  healthy(): Promise<boolean>;
  /**
   * Send replies to a chat on Pandu's own initiative (the helpdesk relaying a staff answer),
   * paced like any reply. `chatId` is the Inbound chat id (the pseudonym). Resolves when the
   * messages are sent: true, or false when one was not (failed, expired, dropped at shutdown) or
   * the chat's WhatsApp address is not known: it is learned from the chat's messages and kept for
   * a week after the last one, in memory and in the address book (if any).
   */
  sendTo(chatId: string, replies: readonly Reply[]): Promise<boolean>;
  /** "hapus data saya": the chat's address goes, from memory and from the address book. */
  forget(chatId: string): Promise<void>;
}

/** After a backlog apology, further old messages of that chat within this window are skipped silently. */
const BACKLOG_MEMORY_MS = 30 * 60_000;
/** One "Pandu only reads messages" text per chat per this long, however often they call. */
const CALL_TEXT_COOLDOWN_MS = 10 * 60_000;
/** Bounds of the per-chat memories (languages, apologies, call cooldowns, addresses). */
const MEMORY_LIMIT = 10_000;
/** How long a chat stays reachable by `sendTo` after its last message. */
export const ADDRESS_TTL_MS = 7 * 86_400_000;
/** A chat's stored address is rewritten (its time to live renewed) at most this often. */
const ADDRESS_REFRESH_MS = 86_400_000;
/** How long a "use this WhatsApp number" option stays answerable. */
const CONTACT_WAIT_MS = 30 * 60_000;
/** Besides its number and its label (in either language), these answer the contact option. */
const CONTACT_ALIASES = ['pakai nomor ini', 'nomor ini', 'pakai nomor wa', 'pakai nomor wa ini', 'nomor wa ini', 'pakai nomor whatsapp', 'use this number', 'use my number', 'this number'];

/** The phone number inside a classic WhatsApp person id; none for @lid ids (they hide it). */
function phoneOf(waId: string): string | undefined {
  return /^(\d{8,15})@(?:c\.us|s\.whatsapp\.net)$/.exec(waId)?.[1];
}

/** How log lines name a chat: the runtime's session key ("whatsapp:<pseudonym>"), so one grep finds both. */
function keyOf(chatId: string): string {
  return chatKeyOf({ channel: 'whatsapp', chatId });
}

export function sessionDirOf(dataDir: string, clientId?: string): string {
  return join(dataDir, clientId ? `session-${clientId}` : 'session');
}

export function createWhatsAppChannel(opts: WhatsAppChannelOptions): WhatsAppChannel {
  const { client, runtime } = opts;
  if (!opts.idSecret) throw new Error('WHATSAPP_ID_SECRET is not set: the WhatsApp channel needs it to keep phone numbers out of sessions and logs');
  const log = opts.logger.child({ channel: 'whatsapp' });
  const now = opts.now ?? (() => Date.now());
  const engineT: Translate | undefined = runtime.engine?.t;
  const defaultLang: Lang = opts.lang ?? runtime.engine?.defaultLang ?? 'id';
  const maxBacklogMs = Math.max(0, opts.maxBacklogAgeSec) * 1000;
  const reconnectBase = opts.reconnect?.baseMs ?? 5_000;
  const reconnectMax = opts.reconnect?.maxMs ?? 5 * 60_000;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 3 * 60_000;
  const stopTimeoutMs = opts.stopTimeoutMs ?? 5_000;
  const qrPng = opts.dataDir ? join(opts.dataDir, QR_PNG_NAME) : undefined;
  const sessionDir = opts.dataDir ? sessionDirOf(opts.dataDir, opts.clientId) : undefined;
  const printQr = opts.printQr ?? ((s: string) => void process.stdout.write(`${s}\n`));

  const queue = new SendQueue({
    ...opts.pacing,
    logger: log,
    now,
    send: (to, text) => client.sendMessage(to, text, { linkPreview: false }),
  });

  // The language of each chat, from the engine's replies (see langOfReplies).
  const langs = new Map<string, Lang>();
  const apologized = new Map<string, number>();
  const callTexts = new Map<string, number>();
  // Pseudonym -> the real WhatsApp address, in memory only (never stored, never logged).
  const addresses = new Map<string, { to: string; at: number }>();
  // Chats that were offered "use this WhatsApp number", with the options of that list.
  const awaitingContact = new Map<string, { options: OptionCandidate[]; at: number }>();

  const pending = new Set<Promise<void>>();
  let ready = false;
  let state: string | undefined;
  let started = false;
  let stopped = false;
  let reconnects = 0;
  let attempt = 0;
  let generation = 0;
  let ignored = 0;
  let backlogSkipped = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;

  // ---- incoming ------------------------------------------------------------------------------

  client.on('message', (msg: Message) => {
    if (stopped) return;
    track(onMessage(msg));
  });

  client.on('call', (call: Call) => {
    if (stopped) return;
    track(onCall(call));
  });

  function track(p: Promise<void>): void {
    const guarded = p.catch((err) => log.error({ err: safeError(err) }, 'whatsapp handler failed'));
    pending.add(guarded);
    void guarded.finally(() => pending.delete(guarded));
  }

  async function onMessage(msg: Message): Promise<void> {
    const decision = toInbound(msg, opts.idSecret);
    if (decision.kind === 'ignore') {
      ignored++;
      log.debug({ reason: decision.reason, type: decision.detail }, 'whatsapp message ignored');
      return;
    }
    let inbound = decision.inbound;
    const chat = inbound.chatId;
    const to = msg.from; // the real address: never logged, kept only as the address book says
    const known = addresses.get(chat);
    remember(addresses, chat, { to, at: now() });
    // Written through when new or a day old, so its time to live follows the chat's activity.
    if (opts.addressBook && (known?.to !== to || now() - known.at > ADDRESS_REFRESH_MS)) {
      opts.addressBook.set(chat, to).catch((err: unknown) => log.warn({ chat: keyOf(chat), err: safeError(err) }, 'whatsapp address not saved'));
    }
    const age = inbound.sentAt === undefined ? 0 : now() - inbound.sentAt;
    if (maxBacklogMs > 0 && age > maxBacklogMs) return onBacklog(inbound, to, age);
    const waiting = awaitingContact.get(chat);
    if (waiting) {
      awaitingContact.delete(chat);
      const phone = phoneOf(to);
      if (phone && inbound.event.type === 'text' && now() - waiting.at < CONTACT_WAIT_MS && matchOption(inbound.event.text, waiting.options) === CONTACT_CHOICE) {
        // The user chose to prove their number by possession: it is the number they write from.
        inbound = { ...inbound, event: { type: 'contact', phone, own: true } };
        log.info({ chat: keyOf(chat) }, 'whatsapp user shared their own number');
      }
    }
    if (opts.typing !== false) showTyping(msg, chat);
    const replies = await runtime.handle(inbound);
    void deliver(to, chat, replies, inbound.event.type === 'text' ? inbound.event.text : undefined);
  }

  /** A message that waited while Pandu was offline: one apology and the menu per chat, no replay. */
  async function onBacklog(inbound: Inbound, to: string, ageMs: number): Promise<void> {
    const chat = inbound.chatId;
    const at = apologized.get(chat);
    if (at !== undefined && now() - at < BACKLOG_MEMORY_MS) {
      backlogSkipped++;
      log.info({ chat: keyOf(chat), ageSec: Math.round(ageMs / 1000) }, 'old whatsapp message skipped (chat already answered)');
      return;
    }
    remember(apologized, chat, now());
    log.info({ chat: keyOf(chat), ageSec: Math.round(ageMs / 1000) }, 'old whatsapp message: answering once with the menu');
    // The old message's id goes along, so a second delivery of it after a restart is a duplicate.
    const replies = await runtime.handle({ ...inbound, event: { type: 'start' } });
    if (replies.length === 0) return;
    const lang = langs.get(chat) ?? defaultLang;
    void queue.enqueue(to, keyOf(chat), channelText(engineT, lang, 'whatsapp.backlog'));
    void deliver(to, chat, replies, undefined);
  }

  async function onCall(call: Call): Promise<void> {
    if (call.fromMe) return;
    const from = call.from ?? '';
    const chat = from ? pseudonymOf(from, opts.idSecret) : 'unknown';
    try {
      await call.reject();
      log.info({ chat: keyOf(chat), video: call.isVideo, group: call.isGroup }, 'whatsapp call rejected');
    } catch (err) {
      log.warn({ chat: keyOf(chat), err: safeError(err) }, 'whatsapp call could not be rejected');
    }
    if (!from || call.isGroup || !isPersonalChat(from)) return;
    const last = callTexts.get(chat);
    if (last !== undefined && now() - last < CALL_TEXT_COOLDOWN_MS) return;
    remember(callTexts, chat, now());
    void queue.enqueue(from, keyOf(chat), channelText(engineT, langs.get(chat) ?? defaultLang, 'whatsapp.call'));
  }

  function showTyping(msg: Message, chat: string): void {
    void (async () => {
      try {
        const c = await msg.getChat();
        await c.sendStateTyping();
      } catch (err) {
        log.debug({ chat: keyOf(chat), err: safeError(err) }, 'typing indicator failed');
      }
    })();
  }

  // ---- outgoing ------------------------------------------------------------------------------

  /** Queues the replies; resolves with what became of each part (sent, failed, expired...). */
  function deliver(to: string, chat: string, replies: readonly Reply[], userText: string | undefined): Promise<SendOutcome[]> {
    const perReply = langOfReplies(chat, replies);
    const outcomes: Promise<SendOutcome>[] = [];
    const canShareNumber = phoneOf(to) !== undefined;
    replies.forEach((reply, i) => {
      const lang = perReply[i]!;
      // WhatsApp has no "share my contact" button: a numbered option stands in for it.
      const contactOption = reply.requestContact && canShareNumber ? channelText(engineT, lang, 'whatsapp.useThisNumber') : undefined;
      if (contactOption) {
        const names = [...LANGS.map((l) => channelText(engineT, l, 'whatsapp.useThisNumber')), ...CONTACT_ALIASES];
        const options = choicesOf(reply, contactOption).map((c) => ({ id: c.id, names: c.id === CONTACT_CHOICE ? names : [c.label] }));
        remember(awaitingContact, chat, { options, at: now() });
      } else if (reply.choices?.length) {
        awaitingContact.delete(chat); // a newer list replaced the one with the option
      }
      for (const part of renderReply(reply, { lang, userText, maxLength: opts.maxLength, contactOption })) {
        outcomes.push(queue.enqueue(to, keyOf(chat), part));
      }
    });
    return Promise.all(outcomes);
  }

  /**
   * The language each reply is in (the engine sets `lang` on its replies); the last one is
   * remembered for the chat's own texts (a call, a backlog apology) until it writes again.
   */
  function langOfReplies(chat: string, replies: readonly Reply[]): Lang[] {
    let lang = langs.get(chat) ?? defaultLang;
    const out = replies.map((r) => (lang = r.lang ?? lang));
    if (langs.has(chat) || lang !== defaultLang) remember(langs, chat, lang);
    return out;
  }

  // ---- connection life -----------------------------------------------------------------------

  let qrCount = 0;
  client.on('qr', (qr: string) => {
    if (stopped) return;
    disarmWatchdog();
    // WhatsApp renews the QR every ~20 s: the first one is a warning, the renewals are details.
    (++qrCount === 1 ? log.warn.bind(log) : log.debug.bind(log))(
      { qrPng },
      qrPng
        ? `WhatsApp is not linked: scan the QR code printed below, or the PNG file ${qrPng}, with the phone (WhatsApp > Linked devices > Link a device), or run npm run whatsapp:login`
        : 'WhatsApp is not linked: scan the QR code printed below with the phone (WhatsApp > Linked devices > Link a device), or run npm run whatsapp:login',
    );
    void qrForTerminal(qr)
      .then(printQr)
      .catch((err) => log.warn({ err: safeError(err) }, 'could not print the QR code'));
    if (qrPng) void writeQrPng(qr, qrPng).catch((err) => log.warn({ err: safeError(err), qrPng }, 'could not write the QR code PNG'));
  });

  client.on('authenticated', () => {
    log.info('whatsapp authenticated');
    armWatchdog();
  });

  client.on('auth_failure', (message: string) => {
    const where = sessionDir ?? 'the WhatsApp data folder (WHATSAPP_DATA_DIR)';
    log.error(
      { reason: maskNumbers(String(message)), sessionDir },
      `WhatsApp login failed. Stop Pandu, delete the folder ${where}, then link the phone again with npm run whatsapp:login`,
    );
  });

  client.on('ready', () => {
    disarmWatchdog();
    ready = true;
    attempt = 0;
    qrCount = 0;
    state = 'CONNECTED';
    queue.resume();
    log.info('whatsapp ready');
    if (qrPng) void removeQrPng(qrPng).catch(() => undefined);
  });

  client.on('change_state', (s: string) => {
    state = String(s);
    log.info({ state }, 'whatsapp state changed');
  });

  client.on('disconnected', (reason: string) => {
    ready = false;
    state = String(reason);
    queue.pause();
    if (stopped) return;
    if (reason === 'LOGOUT') {
      log.error(
        { reason },
        'whatsapp logged out: Pandu was removed from the phone\'s linked devices. It will show a new QR code; link again (WhatsApp > Linked devices) or run npm run whatsapp:login',
      );
    } else {
      log.warn({ reason: maskNumbers(String(reason)) }, 'whatsapp disconnected');
    }
    scheduleReconnect();
  });

  client.on('loading_screen', (percent: string) => log.debug({ percent }, 'whatsapp loading'));

  function scheduleReconnect(): void {
    if (stopped || reconnectTimer) return;
    disarmWatchdog();
    attempt++;
    const delay = Math.min(reconnectBase * 2 ** (attempt - 1), reconnectMax);
    log.info({ attempt, inMs: delay }, 'whatsapp re-initialisation scheduled');
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void reinitialize();
    }, delay);
  }

  async function reinitialize(): Promise<void> {
    if (stopped) return;
    reconnects++;
    generation++;
    try {
      await client.destroy();
    } catch (err) {
      log.warn({ err: safeError(err) }, 'whatsapp destroy before re-initialisation failed');
    }
    if (stopped) return;
    await initialize();
  }

  async function initialize(): Promise<void> {
    const gen = ++generation;
    armWatchdog();
    try {
      await client.initialize();
    } catch (err) {
      if (stopped || gen !== generation) return; // a newer attempt (or stop) replaced this one
      log.error({ err: safeError(err) }, 'whatsapp initialisation failed');
      scheduleReconnect();
    }
  }

  function armWatchdog(): void {
    disarmWatchdog();
    if (readyTimeoutMs <= 0) return;
    watchdog = setTimeout(() => {
      watchdog = undefined;
      if (stopped || ready) return;
      log.warn({ afterMs: readyTimeoutMs }, 'whatsapp neither ready nor asking for a login: re-initialising');
      scheduleReconnect();
    }, readyTimeoutMs);
  }

  function disarmWatchdog(): void {
    if (watchdog) clearTimeout(watchdog);
    watchdog = undefined;
  }

  // ---- the channel ---------------------------------------------------------------------------

  return {
    async start() {
      if (started) return;
      started = true;
      log.info({ dataDir: opts.dataDir }, 'whatsapp starting');
      await initialize();
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      disarmWatchdog();
      const started = now();
      await withTimeout(Promise.allSettled([...pending]), stopTimeoutMs).catch(() => log.warn('whatsapp answers still in progress at stop'));
      const dropped = await queue.close(Math.max(0, stopTimeoutMs - (now() - started)));
      try {
        await withTimeout(client.destroy(), 15_000);
      } catch (err) {
        log.warn({ err: safeError(err) }, 'whatsapp destroy failed');
      }
      log.info({ dropped, sends: queue.stats }, 'whatsapp stopped');
    },

    async idle() {
      for (;;) {
        while (pending.size) await Promise.allSettled([...pending]);
        await queue.onIdle();
        if (pending.size === 0) return;
      }
    },

    status() {
      return { ready, state, queued: queue.size, sends: { ...queue.stats }, reconnects, ignored, backlogSkipped };
    },

    async sendTo(chatId, replies) {
      let to: string | undefined;
      const a = addresses.get(chatId);
      if (a && now() - a.at <= ADDRESS_TTL_MS) to = a.to;
      else if (opts.addressBook) {
        to = await opts.addressBook.get(chatId).catch((err: unknown) => {
          log.warn({ chat: keyOf(chatId), err: safeError(err) }, 'whatsapp address book unavailable');
          return undefined;
        });
        // The stored copy's age is unknown here: count it as fresh, Redis expires it on time.
        if (to) remember(addresses, chatId, { to, at: now() });
      }
      if (stopped || !to) {
        log.warn({ chat: keyOf(chatId) }, 'whatsapp chat not reachable: its address is not known (yet)');
        return false;
      }
      // Only a message that reached WhatsApp counts: the helpdesk tells staff about the others.
      const outcomes = await deliver(to, chatId, replies, undefined);
      return outcomes.every((o) => o === 'sent');
    },

    async forget(chatId) {
      addresses.delete(chatId);
      langs.delete(chatId);
      await opts.addressBook?.forget(chatId);
    },

    async healthy() {
      try {
        return (await withTimeout(client.getState(), 5_000)) === 'CONNECTED';
      } catch {
        return false;
      }
    },
  };
}

/** Set, moving the key to the newest position; the oldest entries go beyond `MEMORY_LIMIT`. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MEMORY_LIMIT) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

/** Resolves with the promise's value, or rejects after `ms`; the timer never outlives it. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

/** Compile-time proof that the real Client fits (no runtime effect). */
export type RealClientFits = WAClient extends WAClientLike ? true : never;
const realClientFits: RealClientFits = true;
void realClientFits;
