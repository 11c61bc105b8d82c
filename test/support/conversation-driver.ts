// One conversation contract, many channels: every channel's test driver implements this, and the
// shared suite (test/contract/*.ts) runs the same dialogues through the console, Telegram and
// WhatsApp. Assertions only see what a user would see.

export interface SeenReply {
  /** The visible text, without the rendering of its choices (no keyboard, no numbered list). */
  text: string;
  /** The options offered with it, as their visible labels. */
  choices: string[];
}

export interface ConversationDriver {
  readonly name: string;
  /** The user types `text`; resolves with every reply they got for it, in order. */
  say(user: string, text: string): Promise<SeenReply[]>;
  /**
   * The user picks the option whose label contains `label` (case-insensitive) on the latest reply
   * that offered choices: a button press where the channel has buttons, else typing its number.
   */
  press(user: string, label: string): Promise<SeenReply[]>;
  /** /start, optionally with a deep-link payload. */
  start(user: string, payload?: string): Promise<SeenReply[]>;
  close(): Promise<void>;
}
