// Every scripted dialogue in test/conversations/ (the same ones the console runs), through the
// WhatsApp channel: the fake whatsapp-web.js client, inbound mapping, runtime, numbered-list
// rendering and the send queue. `press` types the option's number, as a WhatsApp user would.
import { afterEach, describe, it } from 'vitest';
import { testRuntime } from './support/app.ts';
import { loadDialogues, runDialogue } from './support/dialogue.ts';
import { WhatsAppDriver } from './support/drivers/whatsapp.ts';

const drivers: WhatsAppDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
});

// status.yaml needs the status lookup effect wired into the runtime: test/whatsapp-status.test.ts
// runs it through this channel with that wiring.
for (const { file, dialogues } of loadDialogues('test/conversations', 'whatsapp').filter((f) => !f.file.endsWith('status.yaml'))) {
  describe(`whatsapp: ${file}`, () => {
    for (const [i, d] of dialogues.entries()) {
      it(d.name, async () => {
        const { runtime, log } = testRuntime();
        const driver = new WhatsAppDriver(runtime, { logger: log.logger });
        drivers.push(driver);
        await runDialogue(driver, d, `u${i}`);
      });
    }
  });
}
