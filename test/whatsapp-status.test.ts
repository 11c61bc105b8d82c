// The incentive status lookup through the WhatsApp channel, with the status effect wired (the
// runtime of test/status-helpers.ts over the demo records): WhatsApp has no "share my contact"
// button, so the channel offers "Pakai nomor WhatsApp ini" as a numbered option and answers it
// with the sender's own number; a typed number still proves nothing.
import { describe, expect, it } from 'vitest';
import type { SeenReply } from './support/conversation-driver.ts';
import { loadDialogues, runDialogue } from './support/dialogue.ts';
import { WhatsAppDriver } from './support/drivers/whatsapp.ts';
import { DEMO, statusApp } from './status-helpers.ts';

const lastChoices = (rs: SeenReply[]) => [...rs].reverse().find((r) => r.choices.length > 0)?.choices ?? [];
const allText = (rs: SeenReply[]) => rs.map((r) => r.text).join('\n');

async function whatsappStatus() {
  const app = await statusApp();
  const d = new WhatsAppDriver(app.runtime, { logger: app.log.logger });
  return { app, d };
}

async function toFactor(d: WhatsAppDriver, user: string, nik: string): Promise<SeenReply[]> {
  await d.start(user, 'status');
  await d.say(user, 'ya');
  return d.say(user, nik);
}

describe('whatsapp: status lookup by the sender\'s own number', () => {
  it('the registered number verifies through "Pakai nomor WhatsApp ini", chosen by its number', async () => {
    const { app, d } = await whatsappStatus();
    const user = '6280000000005@c.us'; // DEMO.gagal's registered phone, 080000000005
    await toFactor(d, user, DEMO.gagal.nik);
    const asked = await d.press(user, 'Nomor HP');
    expect(lastChoices(asked)).toContain('Pakai nomor WhatsApp ini');
    const out = await d.press(user, 'Pakai nomor WhatsApp ini');
    expect(allText(out)).toContain('Status: *Gagal*');
    const logs = app.log.text(); // a plain pino, no scrubbing
    expect(logs).not.toContain('6280000000005');
    expect(logs).not.toContain(DEMO.gagal.nik);
    await d.close();
  });

  it('another sender is not verified, and a typed phone number is not taken as a contact', async () => {
    const { d } = await whatsappStatus();
    const user = '6281399999999@c.us';
    await toFactor(d, user, DEMO.gagal.nik);
    await d.press(user, 'Nomor HP');
    const typed = await d.say(user, '080000000005');
    expect(allText(typed)).not.toContain('Status:');
    const out = await d.say(user, 'pakai nomor whatsapp ini');
    expect(allText(out)).toMatch(/tidak cocok/);
    expect(allText(out)).not.toContain('Status:');
    await d.close();
  });
});

for (const { file, dialogues } of loadDialogues().filter((f) => f.file.endsWith('status.yaml'))) {
  describe(`whatsapp: ${file} (with the status lookup wired)`, () => {
    for (const [i, dialogue] of dialogues.entries()) {
      it(dialogue.name, async () => {
        const { d } = await whatsappStatus();
        await runDialogue(d, dialogue, `s${i}`);
        await d.close();
      });
    }
  });
}
