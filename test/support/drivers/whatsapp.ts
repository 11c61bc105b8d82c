// The WhatsApp channel as a ConversationDriver: messages go in through the fake whatsapp-web.js
// client and the real channel (inbound mapping, runtime, rendering, send queue); what comes out
// is read back from the fake's sendMessage calls, with the numbered list parsed back into labels.
// `press` types the option's number, as a WhatsApp user does.
import type { Logger } from 'pino';
import { createWhatsAppChannel, type WhatsAppChannel, type WhatsAppChannelOptions } from '../../../src/channels/whatsapp/channel.ts';
import { parseRendered } from '../../../src/channels/whatsapp/render.ts';
import type { Runtime } from '../../../src/core/runtime.ts';
import type { ConversationDriver, SeenReply } from '../conversation-driver.ts';
import { FakeWhatsAppClient, type MessageInit } from '../fake-whatsapp.ts';

export const TEST_ID_SECRET = 'test-secret-for-whatsapp-ids-0123456789';

export interface WhatsAppDriverOptions extends Partial<Omit<WhatsAppChannelOptions, 'client' | 'runtime' | 'logger'>> {
  logger: Logger;
}

export class WhatsAppDriver implements ConversationDriver {
  readonly name = 'whatsapp';
  readonly fake = new FakeWhatsAppClient();
  readonly channel: WhatsAppChannel;
  private readonly lastChoices = new Map<string, string[]>();
  private readonly ids = new Map<string, string>();

  constructor(runtime: Runtime, opts: WhatsAppDriverOptions) {
    this.fake.autoReady = true;
    this.channel = createWhatsAppChannel({
      idSecret: TEST_ID_SECRET,
      maxBacklogAgeSec: 300,
      typing: true,
      // No pacing: conversations run at full speed (the pacing has tests of its own).
      pacing: { globalPerSec: 1_000_000, perChatGapMs: 0, jitterMs: 0 },
      printQr: () => undefined,
      ...opts,
      client: this.fake,
      runtime,
    });
  }

  /** The WhatsApp id ("62812...@c.us") the fake uses for a test user name (a name with "@" is one already). */
  waIdOf(user: string): string {
    if (user.includes('@')) return user;
    let id = this.ids.get(user);
    if (!id) {
      id = `62812${String(7000000 + this.ids.size + 1)}@c.us`;
      this.ids.set(user, id);
    }
    return id;
  }

  async start(user: string, payload?: string): Promise<SeenReply[]> {
    return this.say(user, payload ? `/start ${payload}` : '/start');
  }

  say(user: string, text: string): Promise<SeenReply[]> {
    return this.send(user, { body: text });
  }

  /** Any message (media, old timestamps...) from this user; resolves with what they got back. */
  async send(user: string, init: Omit<MessageInit, 'from'>): Promise<SeenReply[]> {
    const from = this.waIdOf(user);
    const before = this.fake.sent.length;
    this.fake.receive({ ...init, from });
    await this.channel.idle();
    const texts = this.fake.sent.slice(before).filter((s) => s.to === from).map((s) => s.content);
    return this.seen(user, texts);
  }

  async press(user: string, label: string): Promise<SeenReply[]> {
    const choices = this.lastChoices.get(user) ?? [];
    const i = choices.findIndex((c) => c.toLowerCase().includes(label.toLowerCase()));
    if (i < 0) throw new Error(`no choice like "${label}" was offered to ${user}; offered: ${JSON.stringify(choices)}`);
    return this.say(user, String(i + 1));
  }

  async close(): Promise<void> {
    await this.channel.stop();
  }

  private seen(user: string, texts: string[]): SeenReply[] {
    const out = texts.map((t) => parseRendered(t));
    const withChoices = [...out].reverse().find((r) => r.choices.length > 0);
    if (withChoices) this.lastChoices.set(user, withChoices.choices);
    return out;
  }
}
