// The Telegram channel: a grammY bot wired to the Runtime.
//
//   update -> inbound.ts (Update -> Inbound, or ignored) -> runtime.handle -> render.ts -> Bot API
//
// Polling or webhook:
// - Long polling (the default) runs through @grammyjs/runner, with updates in order per chat (`perChat`).
//   Plain `bot.start()` handles one update at a time for the whole bot, so one chat waiting on a
//   slow status lookup, or on a 429 `retry_after` (auto-retry waits inside the send), would stall
//   every other chat. The runner handles chats concurrently, and `perChat` (the runner's `sequentialize`, leaner) keeps each chat's
//   updates in arrival order end to end, sends included (verified in the stack notes: concurrency
//   per chat 1, order a1->a2->a3 kept). The Runtime serializes each chat's *steps* as well; that
//   alone would not stop two turns' replies from interleaving.
// - Webhook mode (when `webhook` is given): `setWebhook(url, { secret_token })` at start, and
//   `webhookHandler` for Pandu's own HTTP server (src/http/server.ts) at `webhookPath`. A request
//   without the right secret gets 401 and nothing is handled.
//
// Errors: no update ever crashes the process. Each update is handled inside one try/catch that
// logs once (chat id, update id, event type; never the text or a phone number) and apologises to
// the user; `bot.errorBoundary`, `bot.catch` (polling) and a catch around the webhook callback
// (grammY's webhook mode ignores `bot.catch`) are further nets.
//
// Outgoing calls pass through grammY's transformer chain: auto-retry (429 retry_after, 5xx,
// network) inside the throttler (Telegram's global and per-chat limits), so a retried message
// keeps its place in its chat's queue. A user who blocked the bot (403) is noted and skipped.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { autoRetry, type AutoRetryOptions } from '@grammyjs/auto-retry';
import { run, type RunnerHandle } from '@grammyjs/runner';
import { apiThrottler, type APIThrottlerOptions } from '@grammyjs/transformer-throttler';
import { Bot, BotError, Composer, Context, GrammyError, HttpError, webhookCallback, type BotConfig, type Middleware, type MiddlewareFn, type RawApi, type Transformer } from 'grammy';
import type { CallbackQuery, Update, UserFromGetMe } from 'grammy/types';
import type { Logger } from 'pino';
import type { Engine } from '../../core/engine.ts';
import { InFlight } from '../../core/in-flight.ts';
import type { Inbound, Lang, Reply } from '../../core/types.ts';
import { COMMAND_MENUS } from './commands.ts';
import { toInbound, updateChat, updateKind } from './inbound.ts';
import { renderReplies } from './render.ts';

/** What the channel needs of the Runtime (the real one, or a stand-in in tests). */
export interface TelegramRuntime {
  /** Never rejects in the real Runtime; the channel copes if a stand-in does. */
  handle(inbound: Inbound): Promise<Reply[]>;
  readonly engine: Pick<Engine, 't' | 'defaultLang' | 'commands'>;
}

export type UpdateOutcome = 'ok' | 'ignored' | 'blocked' | 'error';

export interface UpdateDone {
  updateId: number;
  /** "message", "callback_query", "edited_message"... */
  kind: string;
  chatId?: string;
  event?: Inbound['event']['type'];
  outcome: UpdateOutcome;
  ms: number;
}

export interface TelegramChannelOptions {
  token: string;
  runtime: TelegramRuntime;
  logger: Logger;
  /** Another Bot API server (self-hosted, or a fake in tests). No trailing "/". */
  apiRoot?: string;
  /** Skips the getMe call at start (tests; or a deployment that knows its bot). */
  botInfo?: UserFromGetMe;
  /** Webhook mode. Without it: long polling. */
  webhook?: {
    url: string;
    secret: string;
    /** After this long a webhook request is answered 200 while its update is still handled. Default 8000. */
    timeoutMs?: number;
  };
  /** Drop the updates that queued up while Pandu was down (deleteWebhook/setWebhook option). */
  dropPendingUpdates?: boolean;
  /** Long-polling timeout in seconds (getUpdates `timeout`). Default 30. */
  pollingTimeoutSeconds?: number;
  /** Options of @grammyjs/transformer-throttler; false turns throttling off. Default DEFAULT_THROTTLE. */
  throttle?: APIThrottlerOptions | false;
  /** Options of @grammyjs/auto-retry. Default DEFAULT_RETRY. */
  retry?: Partial<AutoRetryOptions>;
  /** Show "typing…" when a reply takes longer than this. Default 800 ms. */
  typingDelayMs?: number;
  /** How long stop() waits for updates in progress. Default 10 s. */
  stopTimeoutMs?: number;
  /** Called after every update (metrics, tests). Must not throw. */
  onUpdateDone?: (done: UpdateDone) => void;
  /** Polling stopped on its own (bad token, another instance polling): the process may want to exit. */
  onFatal?: (err: Error) => void;
  /**
   * Middleware that sees every update first, inside the error boundary (the helpdesk's staff
   * group). It calls `next()` for updates that are not its own; those reach the user handler.
   */
  before?: Middleware<Context>;
}

export interface TelegramChannel {
  readonly bot: Bot;
  readonly mode: 'polling' | 'webhook';
  /** Polling: resolves when polling is live. Webhook: resolves when setWebhook succeeded. */
  start(): Promise<void>;
  /** Stops taking updates and waits (bounded) for those in progress. Leaves a webhook set. */
  stop(): Promise<void>;
  /** Webhook mode: the request handler for POST `webhookPath`. */
  readonly webhookHandler?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Webhook mode: the path of the webhook URL, where the handler must be mounted. */
  readonly webhookPath?: string;
  /** Sends replies to a chat outside a turn (helpdesk relays later). */
  send(chatId: string, replies: Reply[]): Promise<'ok' | 'blocked'>;
}

/** Update kinds Pandu asks Telegram for (edited messages are not even fetched). */
export const ALLOWED_UPDATES = ['message', 'callback_query', 'my_chat_member'] as const;

/**
 * Telegram's limits: about 30 messages per second in all; in one chat about one per second, with
 * short bursts allowed (a turn is often 2-3 messages: let those go at once, then one a second);
 * 20 per minute in a group (the plugin's default, kept for the helpdesk group).
 */
export const DEFAULT_THROTTLE: APIThrottlerOptions = {
  global: { reservoir: 30, reservoirRefreshAmount: 30, reservoirRefreshInterval: 1000 },
  out: { maxConcurrent: 1, reservoir: 4, reservoirIncreaseAmount: 1, reservoirIncreaseInterval: 1000, reservoirIncreaseMaximum: 4 },
};

/** Methods that post a message: the ones Telegram's per-chat and per-group limits are about. */
export function postsMessage(method: string): boolean {
  return (method.startsWith('send') && method !== 'sendChatAction') || method === 'copyMessage' || method === 'forwardMessage';
}

/**
 * The throttler counts every call that names a chat. Editing a card, answering a button, checking
 * a staff member or opening a forum topic are not messages: counted, they would use up the staff
 * group's 20 messages a minute in two tickets, and make every button press wait a second.
 */
function onlyMessages(throttler: Transformer): Transformer {
  return (prev, method, payload, signal) => (postsMessage(method) ? throttler(prev, method, payload, signal) : prev(method, payload, signal));
}

/** A reply delayed by a minute is still worth sending; much longer, and the user has moved on. */
export const DEFAULT_RETRY: Partial<AutoRetryOptions> = { maxDelaySeconds: 60, maxRetryAttempts: 5 };

const MAX_WEBHOOK_BODY = 1_000_000;
const BLOCKED_MEMORY = 10_000;

/** A "typing…" indicator pending for one update (see onUpdate). */
interface Typing {
  readonly chatId: string;
  finished: boolean;
  timer: NodeJS.Timeout | undefined;
}

export function createTelegramChannel(opts: TelegramChannelOptions): TelegramChannel {
  return new TelegramChannelImpl(opts);
}

class TelegramChannelImpl implements TelegramChannel {
  readonly bot: Bot;
  readonly mode: 'polling' | 'webhook';
  readonly webhookHandler?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  readonly webhookPath?: string;

  private readonly log: Logger;
  /**
   * `bot.api.raw.sendMessage`, looked up once: `bot.api.sendMessage` goes through the raw API's
   * Proxy, which binds a new function on every call, and spreads its arguments into a payload.
   * The transformers still apply: the client reads its (transformed) call function on each call.
   */
  private readonly sendMessage: RawApi['sendMessage'];
  /** Updates accepted and not yet finished, and who waits for that number to reach 0 (stop). */
  private readonly inFlight = new InFlight();
  private readonly inOrder: (ctx: Context, next: () => Promise<void>) => Promise<void>;
  private readonly before?: MiddlewareFn<Context>;
  /** Chats whose user blocked the bot (logged once per block; forgotten once a send succeeds). */
  private readonly blocked = new Set<string>();
  /** Chats showing a "share my number" keyboard, removed with the next reply. */
  private readonly contactKeyboard = new Set<string>();
  private runner?: RunnerHandle;
  private started = false;
  /** stop() was called: a start() still on its way (getMe, setWebhook...) must not go live after it. */
  private stopped = false;
  private accepting = false;
  private lastPollWarn = 0;
  private lastSecretWarn = 0;

  constructor(private readonly o: TelegramChannelOptions) {
    this.log = o.logger.child({ channel: 'telegram' });
    this.mode = o.webhook ? 'webhook' : 'polling';
    const apiRoot = o.apiRoot?.replace(/\/+$/, '');
    this.bot = new ChannelBot(o.token, {
      ...(o.botInfo ? { botInfo: o.botInfo } : {}),
      ...(apiRoot ? { client: { apiRoot } } : {}),
    });

    this.sendMessage = this.bot.api.raw.sendMessage;

    // Transformers: the last installed runs first. Throttler outermost, so a retry keeps its slot.
    this.bot.api.config.use(this.pollingErrorLogger());
    this.bot.api.config.use(autoRetry({ ...DEFAULT_RETRY, ...o.retry }));
    if (o.throttle !== false) this.bot.api.config.use(onlyMessages(apiThrottler(o.throttle ?? DEFAULT_THROTTLE)));

    // One middleware does it all: counting, per-chat order, the error boundary, `before` and the
    // user handler. Every `use` (and `errorBoundary`) adds grammY's async wrappers and promises to
    // every update; calling these directly is the same chain without them.
    this.inOrder = perChat((ctx: Context) => ctx.chat?.id.toString());
    if (o.before) this.before = new Composer(o.before).middleware();
    this.bot.use((ctx) => this.track(ctx));
    this.bot.catch((err: BotError) => this.logFailure(err.ctx.update, err.error, 'bot.catch'));

    if (o.webhook) {
      this.webhookPath = new URL(o.webhook.url).pathname;
      const callback = webhookCallback(this.bot, 'http', {
        secretToken: o.webhook.secret,
        onTimeout: 'return',
        timeoutMilliseconds: o.webhook.timeoutMs ?? 8000,
      });
      this.webhookHandler = (req, res) => this.onWebhook(req, res, callback);
    }
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.started) return;
    this.stopped = false;
    await this.bot.init();
    await this.setCommands();
    const drop = this.o.dropPendingUpdates ?? false;
    if (this.o.webhook) {
      await this.bot.api.setWebhook(this.o.webhook.url, {
        secret_token: this.o.webhook.secret,
        allowed_updates: [...ALLOWED_UPDATES],
        drop_pending_updates: drop,
      });
      if (this.stopped) return;
      this.accepting = true;
    } else {
      // The runner never deletes a webhook itself; with one set, getUpdates fails with 409.
      await this.bot.api.deleteWebhook({ drop_pending_updates: drop });
      if (this.stopped) return;
      this.accepting = true;
      this.runner = run(this.bot, {
        runner: {
          fetch: { allowed_updates: [...ALLOWED_UPDATES], timeout: this.o.pollingTimeoutSeconds ?? 30 },
          silent: true, // fetch errors are logged by pollingErrorLogger instead of console.error
        },
      });
      this.runner.task()?.catch((err: unknown) => {
        this.log.fatal({ err: errInfo(err) }, 'telegram polling stopped');
        this.o.onFatal?.(err instanceof Error ? err : new Error(String(err)));
      });
    }
    this.started = true;
    this.log.info({ mode: this.mode, bot: this.bot.botInfo.username, path: this.webhookPath }, 'telegram channel started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.accepting = false;
    const runner = this.runner;
    this.runner = undefined;
    if (runner) await runner.stop()?.catch(() => undefined);
    if (this.inFlight.count > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), this.o.stopTimeoutMs ?? 10_000)));
      const idle = this.inFlight.idle().then(() => 'idle' as const);
      const res = await Promise.race([idle, timeout]);
      clearTimeout(timer);
      if (res === 'timeout') this.log.warn({ pending: this.inFlight.count }, 'telegram stopped with updates still in progress');
    }
    if (this.started) this.log.info({ mode: this.mode }, 'telegram channel stopped');
    this.started = false;
  }

  private async setCommands(): Promise<void> {
    const known = this.o.runtime.engine.commands;
    for (const menu of COMMAND_MENUS) {
      for (const c of menu.commands) {
        if (!known.has(`/${c.command}`)) this.log.warn({ command: c.command }, 'menu command is not an alias in flows/_commands.yaml');
      }
      try {
        await this.bot.api.setMyCommands(menu.commands, { scope: { type: 'all_private_chats' }, language_code: menu.languageCode });
      } catch (err) {
        // The bot works without its menu; say so and go on.
        this.log.warn({ lang: menu.languageCode ?? 'default', err: errInfo(err) }, 'setMyCommands failed');
      }
    }
  }

  // ---- webhook ----------------------------------------------------------------------------------

  private async onWebhook(
    req: IncomingMessage,
    res: ServerResponse,
    callback: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>,
  ): Promise<void> {
    try {
      if (!secretMatches(req.headers['x-telegram-bot-api-secret-token'], this.o.webhook!.secret)) {
        const now = Date.now();
        if (now - this.lastSecretWarn > 60_000) {
          this.lastSecretWarn = now;
          this.log.warn('webhook request without the right secret token refused');
        }
        return end(res, 401, 'secret token is wrong');
      }
      if (!this.accepting) {
        // Not started yet, or stopping: Telegram retries later.
        res.setHeader('retry-after', '5');
        return end(res, 503, 'not ready');
      }
      if (Number(req.headers['content-length'] ?? 0) > MAX_WEBHOOK_BODY) return end(res, 413, 'too large');
      await callback(req, res);
    } catch (err) {
      // A body that is not JSON, or anything grammY's callback throws: never an unhandled rejection.
      const badBody = err instanceof SyntaxError;
      if (badBody) this.log.warn('webhook request with a body that is not JSON');
      else this.log.error({ err: errInfo(err) }, 'webhook request failed');
      if (!res.headersSent) end(res, badBody ? 400 : 500, badBody ? 'bad request' : 'error');
      else if (!res.writableEnded) res.end();
    }
  }

  // ---- one update -------------------------------------------------------------------------------

  /** Every update: counted while in progress (stop waits for them), in its chat's order. */
  private async track(ctx: Context): Promise<void> {
    this.inFlight.enter();
    try {
      // Without `before`, straight to the handler: it catches everything it does itself.
      await this.inOrder(ctx, this.before ? () => this.guarded(ctx) : () => this.onUpdate(ctx));
    } catch (err) {
      this.logFailure(ctx.update, err, 'track');
    } finally {
      this.inFlight.leave();
    }
  }

  /** The error boundary: whatever `before` or the handler throws is logged, never passed on. */
  private async guarded(ctx: Context): Promise<void> {
    try {
      if (this.before) await this.before(ctx, () => this.onUpdate(ctx));
      else await this.onUpdate(ctx);
    } catch (err) {
      this.logFailure(ctx.update, err, 'error boundary');
    }
  }

  private async onUpdate(ctx: Context): Promise<void> {
    const update = ctx.update;
    const started = performance.now();
    const done: UpdateDone = { updateId: update.update_id, kind: updateKind(update), outcome: 'ignored', ms: 0 };
    try {
      if (update.callback_query) await this.answerCallback(update.callback_query);
      if (update.my_chat_member) return this.onMembership(update);
      const inbound = toInbound(update);
      if (!inbound) return;
      done.chatId = inbound.chatId;
      done.event = inbound.event.type;
      const pressed = update.callback_query?.message;
      if (pressed && 'reply_markup' in pressed && pressed.reply_markup) await this.removeButtons(inbound.chatId, pressed.message_id);
      // "typing…" if the answer takes a while. One state object and a shared tick, not a closure
      // per update (this runs for every one).
      const typing: Typing = { chatId: inbound.chatId, finished: false, timer: undefined };
      typing.timer = setTimeout(this.typingTick, this.o.typingDelayMs ?? 800, typing);
      let replies: Reply[];
      try {
        replies = await this.o.runtime.handle(inbound);
      } finally {
        typing.finished = true;
        clearTimeout(typing.timer);
      }
      done.outcome = await this.deliver(inbound.chatId, replies, inbound.event.type === 'contact');
    } catch (err) {
      done.outcome = 'error';
      this.logFailure(update, err, 'handler', done.event);
      if (done.chatId && !isBlockedError(err) && !isRateLimited(err)) await this.apologize(done.chatId);
    } finally {
      done.ms = performance.now() - started;
      try {
        this.o.onUpdateDone?.(done);
      } catch {
        /* a hook must not break the bot */
      }
    }
  }

  private onMembership(update: Update): void {
    const m = update.my_chat_member!;
    if (m.chat.type !== 'private') return;
    const chatId = String(m.chat.id);
    if (m.new_chat_member.status === 'kicked') this.noteBlocked(chatId);
    else this.blocked.delete(chatId);
  }

  /** Every callback query is answered, at once, so the button's spinner stops. */
  private async answerCallback(cq: CallbackQuery): Promise<void> {
    try {
      await this.bot.api.answerCallbackQuery(cq.id);
    } catch (err) {
      // Too old (Pandu was down), or already answered: nothing to do.
      this.log.debug({ err: errInfo(err) }, 'answerCallbackQuery failed');
    }
  }

  /** The buttons of a question the user answered go away, so they cannot be pressed again. */
  private async removeButtons(chatId: string, messageId: number): Promise<void> {
    try {
      await this.bot.api.editMessageReplyMarkup(Number(chatId), messageId);
    } catch (err) {
      // "message is not modified" (a double press), "message to edit not found", a 48 h old
      // message: the engine still ignores the stale question, so this is harmless.
      this.log.debug({ err: errInfo(err) }, 'removing buttons failed');
    }
  }

  private readonly typingTick = (typing: Typing): void => {
    if (typing.finished) return;
    this.bot.api.sendChatAction(Number(typing.chatId), 'typing').catch(() => undefined);
    typing.timer = setTimeout(this.typingTick, 4500, typing); // Telegram shows the action for about 5 s
  };

  // ---- sending ----------------------------------------------------------------------------------

  async send(chatId: string, replies: Reply[]): Promise<'ok' | 'blocked'> {
    return (await this.deliver(chatId, replies, false)) === 'blocked' ? 'blocked' : 'ok';
  }

  /** Sends a turn's replies in order. A 403 (blocked) stops the turn quietly; other errors throw. */
  private async deliver(chatId: string, replies: Reply[], contactShared: boolean): Promise<'ok' | 'blocked'> {
    const msgs = renderReplies(replies, { removeReplyKeyboard: contactShared || this.contactKeyboard.has(chatId) });
    const chat = Number(chatId);
    for (const m of msgs) {
      try {
        try {
          await this.sendMessage(m.reply_markup ? { chat_id: chat, text: m.html, parse_mode: 'HTML', reply_markup: m.reply_markup } : { chat_id: chat, text: m.html, parse_mode: 'HTML' });
        } catch (err) {
          if (!(err instanceof GrammyError && err.error_code === 400 && /parse entities/i.test(err.description))) throw err;
          // Should not happen (render escapes everything), but a reply must never be lost to markup.
          this.log.warn({ chat: chatId }, 'telegram refused the HTML of a reply; sent as plain text');
          await this.bot.api.sendMessage(chat, m.plain, m.reply_markup ? { reply_markup: m.reply_markup } : {});
        }
      } catch (err) {
        if (isBlockedError(err)) {
          this.noteBlocked(chatId);
          return 'blocked';
        }
        throw err;
      }
      this.blocked.delete(chatId); // delivered: not (or no longer) blocked
      const markup = m.reply_markup;
      if (markup && 'keyboard' in markup) this.contactKeyboard.add(chatId);
      if (markup && 'remove_keyboard' in markup) this.contactKeyboard.delete(chatId);
    }
    return 'ok';
  }

  private noteBlocked(chatId: string): void {
    if (this.blocked.has(chatId)) return;
    if (this.blocked.size >= BLOCKED_MEMORY) this.blocked.delete(this.blocked.values().next().value!);
    this.blocked.add(chatId);
    this.log.info({ chat: chatId }, 'telegram user has blocked the bot; replies skipped');
  }

  private async apologize(chatId: string): Promise<void> {
    try {
      const engine = this.o.runtime.engine;
      const lang: Lang = engine.defaultLang;
      await this.deliver(chatId, [{ text: engine.t(lang, 'common.error') }], false);
    } catch (err) {
      this.log.debug({ chat: chatId, err: errInfo(err) }, 'the apology could not be sent either');
    }
  }

  private logFailure(update: Update, err: unknown, where: string, event?: string): void {
    const inner = err instanceof BotError ? err.error : err;
    const chat = updateChat(update);
    this.log.error(
      { chat: chat ? String(chat.id) : undefined, update: update.update_id, kind: updateKind(update), event, where, err: errInfo(inner) },
      'telegram update failed',
    );
  }

  /** getUpdates failures are retried by the runner; say so in the log (at most once a minute). */
  private pollingErrorLogger(): Transformer {
    return async (prev, method, payload, signal) => {
      if (method !== 'getUpdates') return prev(method, payload, signal);
      try {
        const res = await prev(method, payload, signal);
        if (!res.ok) this.warnPolling({ code: res.error_code, description: res.description });
        return res;
      } catch (err) {
        if (!signal?.aborted) this.warnPolling({ err: errInfo(err) });
        throw err;
      }
    };
  }

  private warnPolling(details: object): void {
    const now = Date.now();
    if (now - this.lastPollWarn < 60_000) return;
    this.lastPollWarn = now;
    this.log.warn(details, 'telegram getUpdates failed; retrying');
  }
}

// ---- helpers ------------------------------------------------------------------------------------

/**
 * grammY's Bot, with every update's `ctx.api` being the bot's own `bot.api`. grammY's
 * `handleUpdate` builds a fresh `Api` client per update (a Proxy, with every transformer of
 * `bot.api` installed again) so that one update could use a webhook reply or a transformer of its
 * own; that was 2-3 % of a message's CPU and 2 KB of its garbage. Pandu uses neither: it sends
 * through `bot.api` (whose transformers, retry and throttling included, are the ones that count),
 * never sets `canUseWebhookReply`, and nothing in it calls `ctx.api.config.use` (which would now
 * install on the bot itself).
 */
export class ChannelBot extends Bot {
  constructor(token: string, config?: BotConfig<Context>) {
    // The two things a per-update Api or grammY's own handleUpdate would still be needed for.
    if (config?.client?.canUseWebhookReply) throw new Error('ChannelBot sends no webhook replies: canUseWebhookReply must stay unset');
    if (config?.ContextConstructor) throw new Error('ChannelBot builds plain Contexts: ContextConstructor must stay unset');
    super(token, config);
  }

  override async handleUpdate(update: Update): Promise<void> {
    const ctx = new Context(update, this.api, this.botInfo); // botInfo throws before init, as grammY does
    try {
      await this.middleware()(ctx, leaf);
    } catch (err) {
      throw new BotError(err, ctx);
    }
  }
}

function leaf(): Promise<void> {
  return Promise.resolve();
}

/**
 * Middleware that runs the updates of one chat one after another, in arrival order, and updates of
 * different chats concurrently: what `sequentialize` of @grammyjs/runner does for a single key,
 * which it replaces. An update waits for the previous one of its chat to settle (a failure there
 * is that update's own; it does not stop this one), and its own failure reaches its caller.
 * Updates without a chat run at once. The runner's version, written for any number of keys per
 * update, cost a `Promise.all`, several arrays and two async functions per update.
 */
export function perChat(keyOf: (ctx: Context) => string | undefined): (ctx: Context, next: () => Promise<void>) => Promise<void> {
  const chains = new Map<string, { tail: Promise<void>; waiting: number }>();
  return (ctx, next) => {
    const key = keyOf(ctx);
    if (!key) return next();
    let c = chains.get(key);
    let task: Promise<void>;
    if (c) task = c.tail.then(() => next(), () => next());
    else {
      c = { tail: undefined as unknown as Promise<void>, waiting: 0 };
      chains.set(key, c);
      task = next();
    }
    const chain = c;
    chain.waiting++;
    // What `task.finally(...)` does, without the promise and the turn `finally` adds on top.
    // (Inline arrows, not a named one: tsx keeps function names, a property definition each time.)
    const tail = task.then(
      () => {
        if (--chain.waiting === 0) chains.delete(key);
      },
      (err: unknown) => {
        if (--chain.waiting === 0) chains.delete(key);
        throw err;
      },
    );
    chain.tail = tail;
    return tail;
  };
}

function end(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end(body);
}

function secretMatches(header: string | string[] | undefined, secret: string): boolean {
  const got = Array.isArray(header) ? header[0] : header;
  if (got === undefined) return false;
  const a = Buffer.from(got);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function isBlockedError(err: unknown): boolean {
  return err instanceof GrammyError && err.error_code === 403;
}

function isRateLimited(err: unknown): boolean {
  return err instanceof GrammyError && err.error_code === 429;
}

/** An error as logged: what went wrong, never what the user wrote (no payloads, no texts). */
export function errInfo(err: unknown): Record<string, unknown> {
  if (err instanceof GrammyError) return { type: 'GrammyError', method: err.method, code: err.error_code, description: err.description };
  if (err instanceof HttpError) return { type: 'HttpError', message: err.message, cause: (err.error as Error | undefined)?.message };
  if (err instanceof Error) return { type: err.name, message: err.message.slice(0, 300), stack: err.stack?.split('\n').slice(1, 7).join('\n') };
  return { type: typeof err };
}
