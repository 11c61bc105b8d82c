// Reply.lang: channels word what they add themselves (WhatsApp's "Balas ..." line, Telegram's
// contact button) in the language the reply says it is in, without reading the session.
import { describe, expect, it } from 'vitest';
import { renderReply as renderTelegram, CONTACT_LABELS, DEFAULT_CONTACT_LABEL } from '../src/channels/telegram/render.ts';
import { renderReply as renderWhatsApp } from '../src/channels/whatsapp/render.ts';
import type { Reply } from '../src/core/types.ts';

const choices = [
  { id: 'a', label: 'A' },
  { id: 'b', label: 'B' },
  { id: 'c', label: 'C' },
];

describe('reply language in the channels', () => {
  it('WhatsApp: the reply language decides the "reply with a number" line', () => {
    const en: Reply = { text: 'Pick one', choices, ask: 1, lang: 'en' };
    const id: Reply = { text: 'Pilih', choices, ask: 1, lang: 'id' };
    expect(renderWhatsApp(en, { lang: 'id' }).at(-1)).toMatch(/\nReply 1, 2 or 3$/);
    expect(renderWhatsApp(id, { lang: 'en' }).at(-1)).toMatch(/\nBalas dengan angka 1, 2 atau 3$/);
    // No language on the reply: the channel's own choice.
    expect(renderWhatsApp({ text: 'x', choices }, { lang: 'en' }).at(-1)).toMatch(/\nReply 1, 2 or 3$/);
  });

  it('Telegram: the contact button is labelled in the reply language', () => {
    const label = (r: Reply) => {
      const kb = renderTelegram(r).at(-1)!.reply_markup as { keyboard: { text: string }[][] };
      return kb.keyboard[0]![0]!.text;
    };
    expect(label({ text: 'Nomor?', requestContact: true, lang: 'id' })).toBe(CONTACT_LABELS.id);
    expect(label({ text: 'Number?', requestContact: true, lang: 'en' })).toBe(CONTACT_LABELS.en);
    expect(label({ text: 'Number?', requestContact: true })).toBe(DEFAULT_CONTACT_LABEL);
  });
});
