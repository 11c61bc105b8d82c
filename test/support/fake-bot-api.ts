// A fake Telegram Bot API server on 127.0.0.1 (node:http, a free port), for driving a real grammY
// bot through its real HTTP client: `new Bot(fake.token, { client: { apiRoot: fake.apiRoot } })`.
//
// - Records every call (`calls`), including unknown methods (answered 404).
// - getUpdates long-polls like Telegram: held until an update is queued or `timeout` passes;
//   `offset` confirms (drops) earlier updates; `allowed_updates` is remembered and applied.
// - While a webhook is set, getUpdates answers 409 and queued updates are POSTed to the webhook
//   URL with the secret header, as Telegram does.
// - sendMessage checks what Telegram checks and answers with a Message: HTML must parse (the
//   fake's parser is strict), the text is at most 4096 characters after parsing, callback data
//   1-64 bytes. Messages keep their keyboard; editMessageReplyMarkup changes it.
// - Tests script failures: `failNext` (any method, optionally matching a payload), `rateLimitNext`
//   (429 with retry_after), `block` (403 for every send to a chat).
// - Update builders for private chats by default; any chat (groups, supergroups with topics via
//   `threadId`, channels) can be given, for the helpdesk tests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  BotCommand,
  CallbackQuery,
  Chat,
  InlineKeyboardMarkup,
  Message,
  MessageEntity,
  Update,
  User,
  UserFromGetMe,
} from 'grammy/types';

export interface ApiCall {
  method: string;
  payload: Record<string, any>;
  /** HTTP status the fake answered with. */
  status: number;
  response: { ok: boolean; result?: unknown; error_code?: number; description?: string; parameters?: Record<string, unknown> };
  at: number;
}

export interface ApiErrorSpec {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

export interface FakeUser {
  id: number;
  first_name?: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export type FakeChat = Pick<Chat, 'id' | 'type'> & { title?: string; username?: string; first_name?: string; is_forum?: true };

export interface MessageOptions {
  /** Default: the user's private chat. */
  chat?: FakeChat;
  /** Forum topic (message_thread_id) of a supergroup. */
  threadId?: number;
  date?: number;
  /** Deliver as `edited_message` (of this message id when given). */
  edited?: boolean | number;
}

/** A message the bot sent, as the fake keeps it. */
export interface SentMessage {
  chatId: number;
  messageId: number;
  threadId?: number;
  /** The text as the user sees it (HTML tags removed, entities decoded). */
  text: string;
  /** The text as sent. */
  raw: string;
  parseMode?: string;
  /** The keyboard the message was sent with. */
  sentMarkup?: Record<string, any>;
  /** Its current inline keyboard (after edits); reply keyboards are not part of a message. */
  markup?: InlineKeyboardMarkup;
  message: Message;
}

interface Poller {
  offset: number;
  limit: number;
  res: ServerResponse;
  call: ApiCall;
  timer?: NodeJS.Timeout;
}

interface Failure {
  method: string;
  error: ApiErrorSpec;
  times: number;
  when?: (payload: Record<string, any>) => boolean;
}

const DEFAULT_ALLOWED_EXCLUDES = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);
const TEXT_LIMIT = 4096;

export class FakeBotApi {
  readonly token: string;
  readonly botInfo: UserFromGetMe;
  readonly calls: ApiCall[] = [];
  readonly sent: SentMessage[] = [];
  /** Every update ever queued, by id. */
  readonly updates = new Map<number, Update>();
  webhook: { url: string; secret?: string } | undefined;
  /** Results of webhook deliveries made by the fake (update id -> HTTP status, 0 = network error). */
  readonly webhookDeliveries: { updateId: number; status: number }[] = [];
  /** setMyCommands, by "<scope type>:<language code>". */
  readonly commands = new Map<string, BotCommand[]>();

  private server!: Server;
  private port = 0;
  private queue: Update[] = [];
  private pollers: Poller[] = [];
  private allowed: string[] = [];
  private nextUpdateId = 1;
  private nextMessageId = new Map<number, number>();
  private chats = new Map<number, FakeChat>();
  private failures: Failure[] = [];
  private blockedChats = new Set<number>();
  private openQueries = new Set<string>();
  private nextQueryId = 1;
  private listeners = new Set<(c: ApiCall) => void>();
  private sockets = new Set<import('node:net').Socket>();

  private constructor(token: string, bot: Partial<UserFromGetMe>) {
    this.token = token;
    this.botInfo = {
      id: Number(token.split(':')[0]),
      is_bot: true,
      first_name: 'Pandu',
      username: 'PanduTestBot',
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      ...bot,
    } as UserFromGetMe;
  }

  static async start(opts: { token?: string; bot?: Partial<UserFromGetMe> } = {}): Promise<FakeBotApi> {
    const fake = new FakeBotApi(opts.token ?? '123456:TEST-token_abc', opts.bot ?? {});
    fake.server = createServer((req, res) => void fake.onRequest(req, res));
    fake.server.on('connection', (s) => {
      fake.sockets.add(s);
      s.on('close', () => fake.sockets.delete(s));
    });
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  /** For grammY's `client.apiRoot` (no trailing slash). */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const p of this.pollers.splice(0)) {
      clearTimeout(p.timer);
      this.respond(p.res, p.call, 200, { ok: true, result: [] });
    }
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  // ---- users, chats, updates ----------------------------------------------------------------------

  /** A user; `id` also names their private chat. */
  user(id: number, extra: Partial<FakeUser> = {}): FakeUser {
    return { id, first_name: `User${id}`, language_code: 'id', ...extra };
  }

  privateChat(u: FakeUser): FakeChat {
    return { id: u.id, type: 'private', first_name: u.first_name ?? `User${u.id}` };
  }

  /** Builders: each returns a complete Update with a fresh update_id, not yet queued. */
  readonly build = {
    message: (from: FakeUser, fields: Partial<Message>, o: MessageOptions = {}): Update => {
      const chat = o.chat ?? this.privateChat(from);
      this.chats.set(chat.id, chat);
      const messageId = typeof o.edited === 'number' ? o.edited : this.newMessageId(chat.id);
      const msg = {
        message_id: messageId,
        date: o.date ?? Math.floor(Date.now() / 1000),
        chat,
        from: { is_bot: false, first_name: `User${from.id}`, ...from },
        ...(o.threadId !== undefined ? { message_thread_id: o.threadId, is_topic_message: true } : {}),
        ...(o.edited ? { edit_date: Math.floor(Date.now() / 1000) } : {}),
        ...fields,
      } as Message;
      return this.newUpdate((o.edited ? { edited_message: msg } : { message: msg }) as Omit<Update, 'update_id'>);
    },
    text: (from: FakeUser, text: string, o?: MessageOptions): Update => {
      const cmd = /^\/[A-Za-z0-9_]+(?:@\w+)?/.exec(text);
      const entities: MessageEntity[] | undefined = cmd ? [{ type: 'bot_command', offset: 0, length: cmd[0].length }] : undefined;
      return this.build.message(from, { text, ...(entities ? { entities } : {}) }, o);
    },
    /** `/start` or `/start <payload>` (a t.me/<bot>?start=<payload> deep link). */
    start: (from: FakeUser, payload?: string, o?: MessageOptions): Update => this.build.text(from, payload ? `/start ${payload}` : '/start', o),
    photo: (from: FakeUser, o?: MessageOptions): Update =>
      this.build.message(from, { photo: [{ file_id: 'photo-1', file_unique_id: 'p1', width: 90, height: 90 }] }, o),
    media: (from: FakeUser, kind: 'photo' | 'sticker' | 'voice' | 'audio' | 'video' | 'document' | 'location' | 'video_note' | 'animation' | 'dice', o?: MessageOptions): Update => {
      const file = { file_id: `${kind}-1`, file_unique_id: `${kind}1` };
      const fields: Record<string, Partial<Message>> = {
        photo: { photo: [{ ...file, width: 90, height: 90 }] },
        sticker: { sticker: { ...file, type: 'regular', width: 512, height: 512, is_animated: false, is_video: false } },
        voice: { voice: { ...file, duration: 3 } },
        audio: { audio: { ...file, duration: 3 } },
        video: { video: { ...file, width: 320, height: 240, duration: 3 } },
        document: { document: { ...file, file_name: 'ktp.pdf' } },
        location: { location: { latitude: -6.2, longitude: 106.8 } },
        video_note: { video_note: { ...file, length: 240, duration: 3 } },
        animation: { animation: { ...file, width: 320, height: 240, duration: 3 }, document: { ...file } },
        dice: { dice: { emoji: '🎲', value: 4 } },
      } as Record<string, Partial<Message>>;
      return this.build.message(from, fields[kind]!, o);
    },
    /** A shared contact; by default the sender's own (user_id = sender). `userId: null` = someone else's without an account. */
    contact: (from: FakeUser, c: { phone: string; userId?: number | null; firstName?: string }, o?: MessageOptions): Update => {
      const userId = c.userId === undefined ? from.id : c.userId;
      return this.build.message(
        from,
        { contact: { phone_number: c.phone, first_name: c.firstName ?? from.first_name ?? 'User', ...(userId !== null ? { user_id: userId } : {}) } },
        o,
      );
    },
    /**
     * A button press. `message` defaults to the latest message the bot sent to the user's chat
     * whose keyboard (as sent) holds this data, else the latest message to that chat.
     */
    callback: (from: FakeUser, data: string, o: { message?: SentMessage; chat?: FakeChat } = {}): Update => {
      const chatId = o.chat?.id ?? from.id;
      const mine = this.messagesTo(chatId);
      const msg =
        o.message ??
        [...mine].reverse().find((m) => inlineButtons(m.sentMarkup).some((b) => b.callback_data === data)) ??
        mine[mine.length - 1];
      if (!msg) throw new Error(`no bot message in chat ${chatId} to press a button on`);
      const id = `cq${this.nextQueryId++}`;
      this.openQueries.add(id);
      const cq: CallbackQuery = {
        id,
        from: { is_bot: false, first_name: `User${from.id}`, ...from },
        chat_instance: `ci${chatId}`,
        data,
        ...(msg ? { message: { ...msg.message, ...(msg.markup ? { reply_markup: msg.markup } : {}) } } : {}),
      } as CallbackQuery;
      return this.newUpdate({ callback_query: cq });
    },
    /** The user blocked (kicked) or unblocked (member) the bot. */
    myChatMember: (from: FakeUser, status: 'kicked' | 'member'): Update => {
      const chat = this.privateChat(from);
      const bot = { id: this.botInfo.id, is_bot: true, first_name: this.botInfo.first_name, username: this.botInfo.username };
      return this.newUpdate({
        my_chat_member: {
          chat,
          from: { is_bot: false, first_name: `User${from.id}`, ...from },
          date: Math.floor(Date.now() / 1000),
          old_chat_member: { status: status === 'kicked' ? 'member' : 'kicked', user: bot, ...(status === 'member' ? { until_date: 0 } : {}) },
          new_chat_member: { status, user: bot, ...(status === 'kicked' ? { until_date: 0 } : {}) },
        },
      } as unknown as Omit<Update, 'update_id'>);
    },
  };

  /** Queues an update (delivered to getUpdates, or POSTed to the webhook when one is set). */
  enqueue(update: Update): number {
    this.updates.set(update.update_id, update);
    if (this.webhook) {
      void this.deliverToWebhook(update).then((r) => this.webhookDeliveries.push({ updateId: update.update_id, status: r.status }));
    } else {
      this.queue.push(update);
      this.wakePollers();
    }
    return update.update_id;
  }

  // Shortcuts: build and queue; each returns the update id.
  text(from: FakeUser, text: string, o?: MessageOptions): number {
    return this.enqueue(this.build.text(from, text, o));
  }
  start(from: FakeUser, payload?: string, o?: MessageOptions): number {
    return this.enqueue(this.build.start(from, payload, o));
  }
  photo(from: FakeUser, o?: MessageOptions): number {
    return this.enqueue(this.build.photo(from, o));
  }
  contact(from: FakeUser, c: { phone: string; userId?: number | null }, o?: MessageOptions): number {
    return this.enqueue(this.build.contact(from, c, o));
  }
  press(from: FakeUser, data: string, o?: { message?: SentMessage; chat?: FakeChat }): number {
    return this.enqueue(this.build.callback(from, data, o));
  }

  /**
   * POSTs an update to the webhook URL as Telegram does. `secret`: the header to send (default:
   * the secret given to setWebhook; null: no header). `url` defaults to the webhook's.
   */
  async deliverToWebhook(update: Update, o: { secret?: string | null; url?: string; body?: string } = {}): Promise<{ status: number; body: string }> {
    const url = o.url ?? this.webhook?.url;
    if (!url) throw new Error('no webhook is set');
    const secret = o.secret === undefined ? this.webhook?.secret : o.secret;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (secret !== null && secret !== undefined) headers['x-telegram-bot-api-secret-token'] = secret;
    this.updates.set(update.update_id, update);
    try {
      const res = await fetch(url, { method: 'POST', headers, body: o.body ?? JSON.stringify(update) });
      return { status: res.status, body: await res.text() };
    } catch {
      return { status: 0, body: '' };
    }
  }

  // ---- scripted failures --------------------------------------------------------------------------

  /** The next `times` calls of `method` (matching `when`, if given) fail with `error`. */
  failNext(method: string, error: ApiErrorSpec, o: { times?: number; when?: (payload: Record<string, any>) => boolean } = {}): void {
    this.failures.push({ method, error, times: o.times ?? 1, when: o.when });
  }

  /** The next call of `method` gets 429 Too Many Requests with parameters.retry_after. */
  rateLimitNext(method = 'sendMessage', retryAfter = 1, o: { times?: number; chatId?: number } = {}): void {
    this.failNext(
      method,
      { error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } },
      { times: o.times, when: o.chatId === undefined ? undefined : (p) => Number(p.chat_id) === o.chatId },
    );
  }

  /** Every send to this chat fails with 403 "bot was blocked by the user" until unblocked. */
  block(chatId: number): void {
    this.blockedChats.add(chatId);
  }

  unblock(chatId: number): void {
    this.blockedChats.delete(chatId);
  }

  // ---- inspection ---------------------------------------------------------------------------------

  callsOf(method: string, since = 0): ApiCall[] {
    return this.calls.slice(since).filter((c) => c.method === method);
  }

  messagesTo(chatId: number, since = 0): SentMessage[] {
    return this.sent.slice(since).filter((m) => m.chatId === chatId);
  }

  /** Resolves with the first call of `method` (from index `since`) matching `pred`. */
  waitForCall(method: string, pred: (c: ApiCall) => boolean = () => true, o: { since?: number; timeoutMs?: number } = {}): Promise<ApiCall> {
    const hit = this.calls.slice(o.since ?? 0).find((c) => c.method === method && pred(c));
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listen);
        const recent = this.calls.slice(-8).map((c) => `${c.method}(${c.status})`).join(', ');
        reject(new Error(`no ${method} call within ${o.timeoutMs ?? 5000} ms; recent calls: ${recent}`));
      }, o.timeoutMs ?? 5000);
      const listen = (c: ApiCall) => {
        if (c.method !== method || !pred(c)) return;
        clearTimeout(timer);
        this.listeners.delete(listen);
        resolve(c);
      };
      this.listeners.add(listen);
    });
  }

  /** Resolves when a getUpdates long poll is being held (polling is live). */
  async waitForPoll(timeoutMs = 5000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.pollers.length === 0) {
      if (Date.now() > until) throw new Error('no getUpdates long poll is waiting');
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** getUpdates calls being held right now (not yet in `calls`, which records answered calls). */
  heldPolls(): ApiCall[] {
    return this.pollers.map((p) => p.call);
  }

  /** Updates queued and not yet confirmed by an offset. */
  get pending(): number {
    return this.queue.length;
  }

  // ---- HTTP ---------------------------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/bot([^/]+)\/(?:test\/)?([A-Za-z]+)$/.exec(url.pathname);
    const raw = await readBody(req);
    let payload: Record<string, any> = Object.fromEntries(url.searchParams);
    if (raw.length > 0) {
      try {
        payload = { ...payload, ...(JSON.parse(raw) as Record<string, any>) };
      } catch {
        payload = { ...payload, _raw: raw };
      }
    }
    const call: ApiCall = { method: m?.[2] ?? url.pathname, payload, status: 0, response: { ok: false }, at: Date.now() };
    if (!m) return this.respond(res, call, 404, { ok: false, error_code: 404, description: 'Not Found' });
    if (m[1] !== this.token) return this.respond(res, call, 401, { ok: false, error_code: 401, description: 'Unauthorized' });

    const failure = this.failures.find((f) => f.method === call.method && (!f.when || f.when(payload)));
    if (failure) {
      if (--failure.times <= 0) this.failures.splice(this.failures.indexOf(failure), 1);
      return this.respondError(res, call, failure.error);
    }
    if (call.method.startsWith('send') && this.blockedChats.has(Number(payload.chat_id))) {
      return this.respondError(res, call, { error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    }
    const handler = this.methods[call.method];
    if (!handler) return this.respond(res, call, 404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
    if (call.method === 'getUpdates') return this.getUpdates(res, call);
    const out = handler(payload);
    if (out instanceof ApiFailure) return this.respondError(res, call, out.spec);
    this.respond(res, call, 200, { ok: true, result: out });
  }

  private respondError(res: ServerResponse, call: ApiCall, e: ApiErrorSpec): void {
    this.respond(res, call, e.error_code, { ok: false, error_code: e.error_code, description: e.description, ...(e.parameters ? { parameters: e.parameters } : {}) });
  }

  private respond(res: ServerResponse, call: ApiCall, status: number, body: ApiCall['response']): void {
    call.status = status;
    call.response = body;
    this.calls.push(call);
    for (const l of [...this.listeners]) l(call);
    if (res.writableEnded || res.destroyed) return;
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  }

  // ---- methods ------------------------------------------------------------------------------------

  private readonly methods: Record<string, (p: Record<string, any>) => unknown> = {
    getMe: () => this.botInfo,
    getUpdates: () => [],
    deleteWebhook: (p) => {
      this.webhook = undefined;
      if (p.drop_pending_updates) this.queue = [];
      return true;
    },
    setWebhook: (p) => {
      if (typeof p.url !== 'string' || p.url === '') return fail(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
      this.webhook = { url: p.url, ...(p.secret_token ? { secret: String(p.secret_token) } : {}) };
      // A long poll in progress ends, as on Telegram.
      for (const poller of this.pollers.splice(0)) {
        clearTimeout(poller.timer);
        this.respondError(poller.res, poller.call, { error_code: 409, description: 'Conflict: terminated by setWebhook request' });
      }
      if (Array.isArray(p.allowed_updates)) this.allowed = p.allowed_updates;
      if (p.drop_pending_updates) this.queue = [];
      // Updates queued before the webhook was set go to it now, as Telegram would do.
      for (const u of this.queue.splice(0)) this.enqueue(u);
      return true;
    },
    getWebhookInfo: () => ({ url: this.webhook?.url ?? '', has_custom_certificate: false, pending_update_count: this.queue.length }),
    sendMessage: (p) => this.sendMessage(p),
    answerCallbackQuery: (p) => {
      const id = String(p.callback_query_id ?? '');
      if (!this.openQueries.delete(id)) return fail(400, 'Bad Request: query is too old and response timeout expired or query ID is invalid');
      return true;
    },
    editMessageReplyMarkup: (p) => {
      const msg = this.sent.find((m) => m.chatId === Number(p.chat_id) && m.messageId === Number(p.message_id));
      if (!msg) return fail(400, 'Bad Request: message to edit not found');
      const next = p.reply_markup && p.reply_markup.inline_keyboard?.length ? (p.reply_markup as InlineKeyboardMarkup) : undefined;
      if (JSON.stringify(next ?? null) === JSON.stringify(msg.markup ?? null)) {
        return fail(400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
      }
      if (next) {
        const bad = checkInlineKeyboard(next);
        if (bad) return bad;
      }
      msg.markup = next;
      msg.message = { ...msg.message, ...(next ? { reply_markup: next } : {}) } as Message;
      if (!next) delete (msg.message as { reply_markup?: unknown }).reply_markup;
      return msg.message;
    },
    setMyCommands: (p) => {
      const cmds = p.commands as BotCommand[] | undefined;
      if (!Array.isArray(cmds) || cmds.length > 100) return fail(400, 'Bad Request: commands are invalid');
      for (const c of cmds) {
        if (!/^[a-z0-9_]{1,32}$/.test(c.command)) return fail(400, 'Bad Request: BOT_COMMAND_INVALID');
        if (typeof c.description !== 'string' || c.description.length < 1 || c.description.length > 256) return fail(400, 'Bad Request: BOT_COMMAND_DESCRIPTION_INVALID');
      }
      this.commands.set(`${p.scope?.type ?? 'default'}:${p.language_code ?? ''}`, cmds);
      return true;
    },
    getMyCommands: (p) => this.commands.get(`${p.scope?.type ?? 'default'}:${p.language_code ?? ''}`) ?? [],
    deleteMyCommands: (p) => this.commands.delete(`${p.scope?.type ?? 'default'}:${p.language_code ?? ''}`) || true,
    sendChatAction: (p) => {
      const actions = ['typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice', 'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note'];
      if (!actions.includes(p.action)) return fail(400, 'Bad Request: wrong parameter action in request');
      return true;
    },
    close: () => true,
    logOut: () => true,
  };

  private sendMessage(p: Record<string, any>): unknown {
    const chatId = Number(p.chat_id);
    if (!Number.isSafeInteger(chatId) || chatId === 0) return fail(400, 'Bad Request: chat not found');
    const raw = typeof p.text === 'string' ? p.text : '';
    let text = raw;
    if (p.parse_mode === 'HTML') {
      const parsed = parseHtml(raw);
      if ('error' in parsed) return fail(400, `Bad Request: can't parse entities: ${parsed.error}`);
      text = parsed.text;
    } else if (p.parse_mode !== undefined) {
      return fail(400, `Bad Request: unsupported parse_mode ${String(p.parse_mode)} in the fake`);
    }
    if (text.trim() === '') return fail(400, 'Bad Request: message text is empty');
    if (text.length > TEXT_LIMIT) return fail(400, 'Bad Request: message is too long');
    const markup = p.reply_markup as Record<string, any> | undefined;
    let inline: InlineKeyboardMarkup | undefined;
    if (markup?.inline_keyboard) {
      const bad = checkInlineKeyboard(markup as InlineKeyboardMarkup);
      if (bad) return bad;
      inline = markup as InlineKeyboardMarkup;
    } else if (markup?.keyboard) {
      if (!Array.isArray(markup.keyboard) || markup.keyboard.flat().some((b: { text?: string }) => !b?.text)) return fail(400, 'Bad Request: keyboard button text is empty');
    }
    const chat = this.chats.get(chatId) ?? { id: chatId, type: chatId > 0 ? 'private' : 'group' };
    const messageId = this.newMessageId(chatId);
    const threadId = p.message_thread_id === undefined ? undefined : Number(p.message_thread_id);
    const message = {
      message_id: messageId,
      date: Math.floor(Date.now() / 1000),
      chat,
      from: { id: this.botInfo.id, is_bot: true, first_name: this.botInfo.first_name, username: this.botInfo.username },
      text,
      ...(threadId !== undefined ? { message_thread_id: threadId, is_topic_message: true } : {}),
      ...(inline ? { reply_markup: inline } : {}),
    } as Message;
    this.sent.push({ chatId, messageId, threadId, text, raw, parseMode: p.parse_mode, sentMarkup: markup, markup: inline, message });
    return message;
  }

  // ---- long polling -------------------------------------------------------------------------------

  private getUpdates(res: ServerResponse, call: ApiCall): void {
    const p = call.payload;
    if (this.webhook) return this.respondError(res, call, { error_code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first" });
    if (Array.isArray(p.allowed_updates)) this.allowed = p.allowed_updates;
    const offset = Number(p.offset ?? 0);
    const limit = Math.min(100, Math.max(1, Number(p.limit ?? 100)));
    const timeout = Math.max(0, Number(p.timeout ?? 0));
    if (offset > 0) this.queue = this.queue.filter((u) => u.update_id >= offset);
    const poller: Poller = { offset, limit, res, call };
    if (this.deliverable(poller).length > 0 || timeout === 0) return this.flushPoller(poller);
    poller.timer = setTimeout(() => this.flushPoller(poller), timeout * 1000);
    this.pollers.push(poller);
    res.on('close', () => {
      if (res.writableFinished) return;
      // The client gave up (bot.stop() aborts its long poll): record it, drop the poller.
      clearTimeout(poller.timer);
      const i = this.pollers.indexOf(poller);
      if (i >= 0) {
        this.pollers.splice(i, 1);
        this.respond(res, call, 499, { ok: false, error_code: 499, description: 'client closed the request' });
      }
    });
  }

  private deliverable(p: Poller): Update[] {
    this.queue = this.queue.filter((u) => this.isAllowed(u));
    return this.queue.filter((u) => u.update_id >= p.offset).slice(0, p.limit);
  }

  private isAllowed(u: Update): boolean {
    const kind = Object.keys(u).find((k) => k !== 'update_id') ?? '';
    return this.allowed.length > 0 ? this.allowed.includes(kind) : !DEFAULT_ALLOWED_EXCLUDES.has(kind);
  }

  private flushPoller(p: Poller): void {
    clearTimeout(p.timer);
    const i = this.pollers.indexOf(p);
    if (i >= 0) this.pollers.splice(i, 1);
    this.respond(p.res, p.call, 200, { ok: true, result: this.deliverable(p) });
  }

  private wakePollers(): void {
    for (const p of [...this.pollers]) if (this.deliverable(p).length > 0) this.flushPoller(p);
  }

  // ---- ids ----------------------------------------------------------------------------------------

  private newUpdate(body: Omit<Update, 'update_id'>): Update {
    return { update_id: this.nextUpdateId++, ...body } as Update;
  }

  private newMessageId(chatId: number): number {
    const n = (this.nextMessageId.get(chatId) ?? 0) + 1;
    this.nextMessageId.set(chatId, n);
    return n;
  }
}

// ---- helpers --------------------------------------------------------------------------------------

class ApiFailure {
  constructor(readonly spec: ApiErrorSpec) {}
}

function fail(code: number, description: string): ApiFailure {
  return new ApiFailure({ error_code: code, description });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}

export function inlineButtons(markup: Record<string, any> | undefined): { text: string; callback_data?: string }[] {
  return Array.isArray(markup?.inline_keyboard) ? (markup.inline_keyboard as { text: string; callback_data?: string }[][]).flat() : [];
}

function checkInlineKeyboard(markup: InlineKeyboardMarkup): ApiFailure | undefined {
  if (!Array.isArray(markup.inline_keyboard)) return fail(400, 'Bad Request: inline keyboard expected');
  for (const b of markup.inline_keyboard.flat()) {
    if (!b || typeof b.text !== 'string' || b.text === '') return fail(400, 'Bad Request: text buttons are unallowed in the inline keyboard');
    if ('callback_data' in b) {
      const n = Buffer.byteLength(String(b.callback_data), 'utf8');
      if (n < 1 || n > 64) return fail(400, 'Bad Request: BUTTON_DATA_INVALID');
    }
  }
  return undefined;
}

const HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span', 'tg-spoiler', 'a', 'code', 'pre', 'blockquote', 'tg-emoji']);

/**
 * Telegram's HTML, strictly: only its tags, properly nested; every "<", ">" and "&" that is not
 * markup must be an entity (&lt; &gt; &amp; &quot; or numeric). Returns the visible text.
 */
export function parseHtml(html: string): { text: string } | { error: string } {
  let out = '';
  const stack: string[] = [];
  let i = 0;
  while (i < html.length) {
    const ch = html[i]!;
    if (ch === '<') {
      const m = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:="[^"]*"|='[^']*')?)*)\s*>/.exec(html.slice(i));
      if (!m) return { error: `Unexpected "<" at byte offset ${Buffer.byteLength(html.slice(0, i))}` };
      const name = m[2]!.toLowerCase();
      if (!HTML_TAGS.has(name)) return { error: `Unsupported start tag "${name}" at byte offset ${Buffer.byteLength(html.slice(0, i))}` };
      if (m[1]) {
        const open = stack.pop();
        if (open !== name) return { error: `Unmatched end tag at byte offset ${Buffer.byteLength(html.slice(0, i))}, expected "</${open ?? ''}>", found "</${name}>"` };
      } else stack.push(name);
      i += m[0].length;
      continue;
    }
    if (ch === '>') return { error: `Unexpected ">" at byte offset ${Buffer.byteLength(html.slice(0, i))}` };
    if (ch === '&') {
      const m = /^&(?:(lt|gt|amp|quot)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/.exec(html.slice(i));
      if (!m) return { error: `Unexpected "&" at byte offset ${Buffer.byteLength(html.slice(0, i))}: use &amp;` };
      out += m[1] ? { lt: '<', gt: '>', amp: '&', quot: '"' }[m[1] as 'lt' | 'gt' | 'amp' | 'quot'] : String.fromCodePoint(m[2] ? Number(m[2]) : parseInt(m[3]!, 16));
      i += m[0].length;
      continue;
    }
    out += ch;
    i++;
  }
  if (stack.length) return { error: `Can't find end tag corresponding to start tag "${stack[stack.length - 1]}"` };
  return { text: out };
}

/** User-visible text of an HTML message (for drivers); throws if it does not parse. */
export function visibleText(html: string): string {
  const r = parseHtml(html);
  if ('error' in r) throw new Error(r.error);
  return r.text;
}

export type { Message, Update, User };
