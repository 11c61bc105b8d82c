// Every scripted dialogue in test/conversations/ (the same ones the console and WhatsApp run),
// through the Telegram channel: the real grammY bot against the fake Bot API, in polling mode.
// `press` presses the inline button, as a Telegram user would; `user` types.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { testRuntime } from './support/app.ts';
import { loadDialogues, runDialogue } from './support/dialogue.ts';
import { startTelegram, type TelegramKit } from './support/drivers/telegram.ts';

for (const { file, dialogues } of loadDialogues('test/conversations', 'telegram')) {
  describe(`telegram: ${file}`, () => {
    // One bot per file; every dialogue has its own user, so its own chat and session.
    let kit: TelegramKit;
    beforeAll(async () => {
      // Without the throttler (Bottleneck adds ~10 ms a message, 4x this suite's time); the
      // throttler is in the chain in test/telegram.test.ts.
      kit = await startTelegram({ runtime: testRuntime().runtime, channel: { throttle: false } });
    });
    afterAll(async () => {
      await kit?.close();
    });
    for (const [i, d] of dialogues.entries()) {
      it(d.name, async () => {
        await runDialogue(kit.driver, d, `u${i}`);
      });
    }
  });
}
