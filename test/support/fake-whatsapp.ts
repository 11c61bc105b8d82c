// A stand-in for whatsapp-web.js's Client, typed from the library's own declarations: it
// implements exactly the `Pick<Client, ...>` the channel and the login flow use, emits the real
// event names ('message', 'qr', 'code', 'ready', 'authenticated', 'disconnected', 'auth_failure',
// 'call', 'change_state'), and hands out `Message` / `Call` objects of the declared shape.
// Every sendMessage is recorded (with the time, for the pacing tests).
import { EventEmitter } from 'node:events';
import type { Call, Chat, Message, MessageContent, MessageId, MessageSendOptions, MessageTypes, WAState } from 'whatsapp-web.js';
import type { WAClientLike } from '../../src/channels/whatsapp/channel.ts';
import type { WALoginClientLike } from '../../src/channels/whatsapp/login.ts';

export interface SentMessage {
  to: string;
  content: string;
  options?: MessageSendOptions;
  /** Date.now() when sendMessage was called (fake timers move it). */
  at: number;
}

export interface MessageInit {
  /** The chat id: "628...@c.us" for a person, "...@g.us" for a group, "status@broadcast". */
  from: string;
  body?: string;
  /** A MessageTypes value: 'chat', 'image', 'ptt', 'location', 'vcard'... Default 'chat'. */
  type?: `${MessageTypes}`;
  /** Unix seconds. Default: now. */
  timestamp?: number;
  fromMe?: boolean;
  isStatus?: boolean;
  broadcast?: boolean;
  hasMedia?: boolean;
  author?: string;
  to?: string;
  id?: string;
}

export interface CallInit {
  from: string;
  isVideo?: boolean;
  isGroup?: boolean;
  fromMe?: boolean;
}

/** The bot's own WhatsApp id in the fake world. */
export const BOT_ID = '6289900000000@c.us';

let seq = 0;

export class FakeWhatsAppClient extends EventEmitter implements WAClientLike, WALoginClientLike {
  readonly sent: SentMessage[] = [];
  readonly typing: string[] = [];
  readonly rejectedCalls: string[] = [];
  readonly pairingRequests: { phone: string; showNotification?: boolean }[] = [];
  initializeCalls = 0;
  destroyCalls = 0;
  state: `${WAState}` = 'CONNECTED';
  /** Called on each sendMessage; throw (or return a rejected promise) to make that attempt fail. */
  onSend: ((to: string, content: string) => void | Promise<void>) | undefined;
  /** What initialize() does; default: resolves (a test emits 'ready' itself, or uses `autoReady`). */
  onInitialize: (() => Promise<void>) | undefined;
  /** Emit 'ready' right after initialize() resolves. */
  autoReady = false;
  pairingCode = 'K7PX2QWM';
  typingFails = false;

  async initialize(): Promise<void> {
    this.initializeCalls++;
    if (this.onInitialize) await this.onInitialize();
    if (this.autoReady) queueMicrotask(() => this.emit('ready'));
  }

  async destroy(): Promise<void> {
    this.destroyCalls++;
  }

  async getState(): Promise<WAState> {
    return this.state as WAState;
  }

  async sendMessage(chatId: string, content: MessageContent, options?: MessageSendOptions): Promise<Message> {
    if (typeof content !== 'string') throw new Error('the fake only sends text');
    const at = Date.now();
    if (this.onSend) await this.onSend(chatId, content);
    this.sent.push({ to: chatId, content, options, at });
    return buildMessage(this, { from: BOT_ID, to: chatId, body: content, fromMe: true });
  }

  async requestPairingCode(phoneNumber: string, showNotification?: boolean, _intervalMs?: number): Promise<string> {
    this.pairingRequests.push({ phone: phoneNumber, showNotification });
    return this.pairingCode;
  }

  // ---- what the test does ------------------------------------------------------------------

  /** A message arrives: emits 'message' with a `Message` and returns it. */
  receive(init: MessageInit): Message {
    const msg = buildMessage(this, init);
    this.emit('message', msg);
    return msg;
  }

  /** A call arrives: emits 'call'. */
  call(init: CallInit): Call {
    const call: Call = {
      id: `call-${++seq}`,
      from: init.from,
      timestamp: Math.floor(Date.now() / 1000),
      isVideo: init.isVideo ?? false,
      isGroup: init.isGroup ?? false,
      fromMe: init.fromMe ?? false,
      canHandleLocally: false,
      webClientShouldHandle: false,
      participants: {},
      reject: async () => {
        this.rejectedCalls.push(init.from);
      },
    };
    this.emit('call', call);
    return call;
  }

  sentTo(chatId: string): string[] {
    return this.sent.filter((s) => s.to === chatId).map((s) => s.content);
  }
}

/** A `Message` of the declared shape (the fields and methods the channel may touch). */
export function buildMessage(client: FakeWhatsAppClient, init: MessageInit): Message {
  const fromMe = init.fromMe ?? false;
  const remote = init.from;
  const idPart = init.id ?? `3EB0${(++seq).toString(16).toUpperCase().padStart(16, '0')}`;
  const id: MessageId = { fromMe, remote, id: idPart, _serialized: `${fromMe}_${remote}_${idPart}` };
  const chat = {
    id: { server: remote.split('@')[1] ?? '', user: remote.split('@')[0] ?? '', _serialized: remote },
    isGroup: remote.endsWith('@g.us'),
    sendStateTyping: async () => {
      if (client.typingFails) throw new Error(`Evaluation failed: chat ${remote} not found`);
      client.typing.push(remote);
    },
    clearState: async () => true,
  } satisfies Partial<Record<keyof Chat, unknown>>;
  const shape: Pick<
    Message,
    'id' | 'from' | 'to' | 'author' | 'body' | 'type' | 'timestamp' | 'fromMe' | 'hasMedia' | 'hasQuotedMsg' | 'isStatus' | 'broadcast' | 'isForwarded' | 'reply' | 'getChat'
  > = {
    id,
    from: init.from,
    to: init.to ?? BOT_ID,
    author: init.author,
    body: init.body ?? '',
    type: (init.type ?? 'chat') as MessageTypes,
    timestamp: init.timestamp ?? Math.floor(Date.now() / 1000),
    fromMe,
    hasMedia: init.hasMedia ?? (init.type !== undefined && ['image', 'video', 'audio', 'ptt', 'document', 'sticker'].includes(init.type)),
    hasQuotedMsg: false,
    isStatus: init.isStatus ?? init.from === 'status@broadcast',
    broadcast: init.broadcast ?? init.from.endsWith('@broadcast'),
    isForwarded: false,
    reply: (content, chatId, options) => client.sendMessage(chatId ?? init.from, content, options),
    getChat: async () => chat as unknown as Chat,
  };
  return shape as Message;
}
