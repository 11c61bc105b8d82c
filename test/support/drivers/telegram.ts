// The Telegram channel as a ConversationDriver: the real channel (grammY, its real HTTP client,
// the runner, auto-retry, the throttler) against the fake Bot API server, in polling mode by
// default. `startTelegram` also gives tests the fake, the channel, the captured log and a way to
// wait for any update to be fully handled (its replies sent).
import { Writable } from 'node:stream';
import { createTelegramChannel, type TelegramChannel, type TelegramChannelOptions, type TelegramRuntime, type UpdateDone } from '../../../src/channels/telegram/channel.ts';
import type { Engine } from '../../../src/core/engine.ts';
import { loadEngine } from '../../../src/core/loader.ts';
import { Runtime } from '../../../src/core/runtime.ts';
import { createHttpServer, type HttpServer } from '../../../src/http/server.ts';
import { createLogger, type Logger } from '../../../src/log.ts';
import { createActions } from '../../../src/prakerja/actions.ts';
import { MemorySessionStore } from '../../../src/store/memory-store.ts';
import type { ConversationDriver, SeenReply } from '../conversation-driver.ts';
import { FakeBotApi, inlineButtons, visibleText, type FakeUser, type SentMessage } from '../fake-bot-api.ts';

export const WEBHOOK_SECRET = 'test-secret_123';

let engineCache: Engine | undefined;
/** The repository's flows and texts with its actions and a no-op understanding, built once per file. */
export function testEngine(): Engine {
  engineCache ??= loadEngine({
    flowsDir: 'flows',
    localesDir: 'locales',
    actions: createActions({ policyFile: 'policy/prakerja.yaml' }),
    nlu: { understand: () => ({ kind: 'none' }) },
    defaultLang: 'id',
  });
  return engineCache;
}

export interface LogCapture {
  logger: Logger;
  lines: string[];
  text(): string;
  /** Parsed JSON lines. */
  entries(): Record<string, any>[];
}

/** The project's logger (with its scrubbing) writing into memory. */
export function captureLogs(level = 'debug'): LogCapture {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level, destination: stream });
  return {
    logger,
    lines,
    text: () => lines.join(''),
    entries: () => lines.flatMap((l) => l.split('\n').filter(Boolean)).map((l) => JSON.parse(l) as Record<string, any>),
  };
}

export interface TelegramKitOptions {
  mode?: 'polling' | 'webhook';
  /** Default: a real Runtime on a MemorySessionStore with testEngine(). */
  runtime?: TelegramRuntime;
  /** More channel options (throttle, retry...). */
  channel?: Partial<TelegramChannelOptions>;
  /** Don't call channel.start() (tests of start itself). */
  noStart?: boolean;
}

export interface TelegramKit {
  fake: FakeBotApi;
  channel: TelegramChannel;
  runtime: TelegramRuntime;
  log: LogCapture;
  /** Webhook mode: Pandu's HTTP server and the webhook URL. */
  http?: HttpServer;
  webhookUrl?: string;
  driver: TelegramDriver;
  /** A stable test user for a name ("u1" -> id 1001...). */
  user(name: string, extra?: Partial<FakeUser>): FakeUser;
  /** Resolves when the update is fully handled (replies sent), or fails after `timeoutMs`. */
  waitDone(updateId: number, timeoutMs?: number): Promise<UpdateDone>;
  /** Every update the channel finished, in order. */
  done: UpdateDone[];
  close(): Promise<void>;
}

/**
 * The throttler stays in the chain (per-chat queues, one send at a time), without Telegram's
 * pacing (30 a second in all, about 1 a second per chat), which would only slow the suites.
 */
export const FAST_THROTTLE = {
  global: {},
  out: { maxConcurrent: 1 },
};

export async function startTelegram(opts: TelegramKitOptions = {}): Promise<TelegramKit> {
  const fake = await FakeBotApi.start();
  const log = captureLogs();
  const runtime: TelegramRuntime =
    opts.runtime ?? new Runtime({ engine: testEngine(), store: new MemorySessionStore(86_400_000), logger: log.logger });

  const done: UpdateDone[] = [];
  const waiters = new Map<number, (d: UpdateDone) => void>();
  const onUpdateDone = (d: UpdateDone) => {
    done.push(d);
    waiters.get(d.updateId)?.(d);
    waiters.delete(d.updateId);
    opts.channel?.onUpdateDone?.(d);
  };

  let http: HttpServer | undefined;
  let webhookUrl: string | undefined;
  if (opts.mode === 'webhook') {
    http = createHttpServer({ host: '127.0.0.1', port: 0, logger: log.logger });
    const { port } = await http.listen();
    webhookUrl = `http://127.0.0.1:${port}/telegram/webhook`;
  }

  const channel = createTelegramChannel({
    token: fake.token,
    apiRoot: fake.apiRoot,
    runtime,
    logger: log.logger,
    throttle: FAST_THROTTLE,
    pollingTimeoutSeconds: 2,
    ...(webhookUrl ? { webhook: { url: webhookUrl, secret: WEBHOOK_SECRET } } : {}),
    ...opts.channel,
    onUpdateDone,
  });
  if (http) http.route('POST', channel.webhookPath!, channel.webhookHandler!);
  if (!opts.noStart) await channel.start();

  const users = new Map<string, FakeUser>();
  const kit: TelegramKit = {
    fake,
    channel,
    runtime,
    log,
    http,
    webhookUrl,
    done,
    driver: undefined as unknown as TelegramDriver,
    user(name, extra = {}) {
      let u = users.get(name);
      if (!u) {
        u = fake.user(1000 + users.size + 1, { first_name: name, ...extra });
        users.set(name, u);
      }
      return u;
    },
    waitDone(updateId, timeoutMs = 8000) {
      const hit = done.find((d) => d.updateId === updateId);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(updateId);
          reject(new Error(`update ${updateId} was not handled within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.set(updateId, (d) => {
          clearTimeout(timer);
          resolve(d);
        });
      });
    },
    async close() {
      await channel.stop();
      await http?.close();
      await fake.close();
    },
  };
  kit.driver = new TelegramDriver(kit);
  return kit;
}

/**
 * What the user sees of a message: its text and the options of its keyboard. Bold is written back
 * as *bold*, the engine's own notation, so one dialogue script fits every channel; all other
 * markup is removed and entities decoded.
 */
export function seen(m: SentMessage): SeenReply {
  const inline = inlineButtons(m.sentMarkup).map((b) => b.text);
  const reply = Array.isArray(m.sentMarkup?.keyboard)
    ? (m.sentMarkup.keyboard as { text: string; request_contact?: boolean }[][]).flat().filter((b) => !b.request_contact).map((b) => b.text)
    : [];
  const text = m.parseMode === 'HTML' ? visibleText(m.raw.replace(/<\/?b>/g, '*')) : m.text;
  return { text, choices: [...inline, ...reply] };
}

export class TelegramDriver implements ConversationDriver {
  readonly name = 'telegram';

  constructor(private readonly kit: TelegramKit) {}

  say(user: string, text: string): Promise<SeenReply[]> {
    const u = this.kit.user(user);
    return this.turn(u, () => this.kit.fake.text(u, text));
  }

  start(user: string, payload?: string): Promise<SeenReply[]> {
    const u = this.kit.user(user);
    return this.turn(u, () => this.kit.fake.start(u, payload));
  }

  /** Presses the button like `label` on the latest keyboard the user was shown. */
  press(user: string, label: string): Promise<SeenReply[]> {
    const u = this.kit.user(user);
    const shown = [...this.kit.fake.messagesTo(u.id)].reverse().find((m) => seen(m).choices.length > 0);
    if (!shown) throw new Error(`no keyboard was shown to ${user}`);
    const want = label.toLowerCase();
    const button = inlineButtons(shown.sentMarkup).find((b) => b.text.toLowerCase().includes(want));
    if (button?.callback_data) return this.turn(u, () => this.kit.fake.press(u, button.callback_data!, { message: shown }));
    // A reply keyboard (with the contact button): its buttons type their label.
    const typed = seen(shown).choices.find((c) => c.toLowerCase().includes(want));
    if (typed && !button) return this.say(user, typed);
    throw new Error(`no button like "${label}" for ${user}; shown: ${JSON.stringify(seen(shown).choices)}`);
  }

  async close(): Promise<void> {
    await this.kit.close();
  }

  private async turn(u: FakeUser, act: () => number): Promise<SeenReply[]> {
    const since = this.kit.fake.sent.length;
    const id = act();
    await this.kit.waitDone(id);
    return this.kit.fake.messagesTo(u.id, since).map(seen);
  }
}
