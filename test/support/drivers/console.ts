// The console channel as a ConversationDriver: the same turn function `npm start` uses.
import { consoleTurn } from '../../../src/channels/console.ts';
import type { Runtime } from '../../../src/core/runtime.ts';
import type { Reply } from '../../../src/core/types.ts';
import type { ConversationDriver, SeenReply } from '../conversation-driver.ts';

export class ConsoleDriver implements ConversationDriver {
  readonly name = 'console';
  private lastChoices = new Map<string, string[]>();

  constructor(private readonly runtime: Runtime) {}

  async say(user: string, text: string): Promise<SeenReply[]> {
    return this.seen(user, await consoleTurn(this.runtime, user, text));
  }

  async press(user: string, label: string): Promise<SeenReply[]> {
    const choices = this.lastChoices.get(user) ?? [];
    const i = choices.findIndex((c) => c.toLowerCase().includes(label.toLowerCase()));
    if (i < 0) throw new Error(`no choice like "${label}" was offered to ${user}; offered: ${JSON.stringify(choices)}`);
    return this.say(user, String(i + 1));
  }

  start(user: string, payload?: string): Promise<SeenReply[]> {
    return this.say(user, payload ? `/start ${payload}` : '/start');
  }

  async close(): Promise<void> {}

  private seen(user: string, replies: Reply[]): SeenReply[] {
    const out = replies.map((r) => ({ text: r.text, choices: (r.choices ?? []).map((c) => c.label) }));
    const withChoices = [...out].reverse().find((r) => r.choices.length > 0);
    if (withChoices) this.lastChoices.set(user, withChoices.choices);
    return out;
  }
}
