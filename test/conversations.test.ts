// Every scripted dialogue in test/conversations/, through the console channel's path.
import { describe, it } from 'vitest';
import { ConsoleDriver } from './support/drivers/console.ts';
import { testRuntime } from './support/app.ts';
import { loadDialogues, runDialogue } from './support/dialogue.ts';

for (const { file, dialogues } of loadDialogues('test/conversations', 'console')) {
  describe(file, () => {
    for (const [i, d] of dialogues.entries()) {
      it(d.name, async () => {
        const driver = new ConsoleDriver(testRuntime().runtime);
        await runDialogue(driver, d, `u${i}`);
      });
    }
  });
}
