// The two pure halves of the WhatsApp channel: rendering replies, and mapping whatsapp-web.js
// messages to Inbound (with pseudonymous ids).
import { describe, expect, it } from 'vitest';
import { pseudonymOf, safeError, toInbound, type WAMessageLike } from '../src/channels/whatsapp/inbound.ts';
import {
  neutralizeFormatting,
  parseRendered,
  protectUserText,
  renderReplies,
  renderReply,
  replyHint,
  splitText,
} from '../src/channels/whatsapp/render.ts';
import type { MessageTypes } from 'whatsapp-web.js';

const SECRET = 'unit-test-secret';

describe('whatsapp render', () => {
  it('says how to answer, in the user language, for any number of options', () => {
    expect(replyHint(1, 'id')).toBe('Balas dengan angka 1');
    expect(replyHint(2, 'id')).toBe('Balas dengan angka 1 atau 2');
    expect(replyHint(3, 'id')).toBe('Balas dengan angka 1, 2 atau 3');
    expect(replyHint(7, 'id')).toBe('Balas dengan angka 1-7');
    expect(replyHint(2, 'en')).toBe('Reply 1 or 2');
    expect(replyHint(3, 'en')).toBe('Reply 1, 2 or 3');
    expect(replyHint(5, 'en')).toBe('Reply 1-5');
  });

  it('renders choices as a numbered list under the text, keeping WhatsApp formatting', () => {
    const parts = renderReply(
      { text: 'Apa yang bisa saya bantu? Ketik *menu* kapan saja.', choices: [{ id: 'a', label: 'Cek syarat' }, { id: 'b', label: 'Panduan daftar' }, { id: 'c', label: 'Bicara dengan petugas' }] },
      { lang: 'id' },
    );
    expect(parts).toEqual(['Apa yang bisa saya bantu? Ketik *menu* kapan saja.\n\n1. Cek syarat\n2. Panduan daftar\n3. Bicara dengan petugas\n\nBalas dengan angka 1, 2 atau 3']);
  });

  it('a reply without choices is its text', () => {
    expect(renderReply({ text: '  _Halo_  ' }, { lang: 'en' })).toEqual(['_Halo_']);
  });

  it('reads a rendered message back into its text and labels', () => {
    const choices = [{ id: 'y', label: 'Ya' }, { id: 'n', label: 'Tidak' }];
    const [one] = renderReply({ text: 'Apakah Anda WNI?\n\n1. bukan daftar', choices }, { lang: 'id' });
    expect(parseRendered(one!)).toEqual({ text: 'Apakah Anda WNI?\n\n1. bukan daftar', choices: ['Ya', 'Tidak'] });
    expect(parseRendered('Halo')).toEqual({ text: 'Halo', choices: [] });
    const many = Array.from({ length: 8 }, (_, i) => ({ id: `o${i}`, label: `Pilihan ${i + 1}` }));
    const [r] = renderReply({ text: 'Pilih:', choices: many }, { lang: 'en' });
    expect(r!.endsWith('Reply 1-8')).toBe(true);
    expect(parseRendered(r!).choices).toHaveLength(8);
  });

  it('splits long texts at paragraph boundaries, each part within the limit', () => {
    const para = (n: number) => `Paragraf ${n}. ${'kata '.repeat(150).trim()}`; // ~760 chars
    const text = Array.from({ length: 8 }, (_, i) => para(i + 1)).join('\n\n');
    const parts = splitText(text, 2000);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(2000);
      expect(p.startsWith('Paragraf')).toBe(true); // every cut was at a paragraph break
    }
    expect(parts.join('\n\n')).toBe(text);
  });

  it('falls back to line breaks, spaces, then a hard cut that never halves an emoji', () => {
    expect(splitText(`${'a'.repeat(150)}\n${'b'.repeat(150)}`, 200)).toEqual(['a'.repeat(150), 'b'.repeat(150)]);
    const words = 'kata '.repeat(100).trim();
    for (const p of splitText(words, 200)) expect(p.length).toBeLessThanOrEqual(200);
    const emoji = '😀'.repeat(150); // 300 UTF-16 units
    const parts = splitText(emoji, 201);
    expect(parts.join('')).toBe(emoji);
    for (const p of parts) expect(p).not.toMatch(/[\ud800-\udbff]$/);
  });

  it('keeps the numbered list and its hint together in the last part of a long reply', () => {
    const text = Array.from({ length: 6 }, (_, i) => `Bagian ${i}: ${'x'.repeat(700)}`).join('\n\n');
    const parts = renderReply({ text, choices: [{ id: 'a', label: 'Lanjut' }, { id: 'b', label: 'Menu' }] }, { lang: 'id', maxLength: 1600 });
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(1600);
    const last = parts[parts.length - 1]!;
    expect(last).toContain('1. Lanjut\n2. Menu\n\nBalas dengan angka 1 atau 2');
    expect(parts.slice(0, -1).join('')).not.toContain('1. Lanjut');
    expect(renderReplies([{ text: 'a' }, { text: 'b' }], { lang: 'id' })).toEqual(['a', 'b']);
  });

  it('never lets what the user typed break the formatting of a reply quoting it', () => {
    expect(neutralizeFormatting('a*b_c~d`e')).toBe('a\u2217b\u02cdc\u223cd\u02cbe');
    const typed = 'Budi_Santoso *';
    const reply = `Jawaban Anda sebelumnya: ${typed}. Ketik *menu* untuk kembali.`;
    const out = protectUserText(reply, typed);
    expect(out).toContain('*menu*'); // the engine's own bold survives
    expect(out).not.toContain(typed);
    expect(out.match(/\*/g)).toHaveLength(2);
    // A user's own self-contained formatting, or text not quoted at all, is left alone.
    expect(protectUserText('Anda mengetik *menu*', '*menu*')).toBe('Anda mengetik *menu*');
    expect(protectUserText('Halo *semua*', '5*3')).toBe('Halo *semua*');
    const [rendered] = renderReply({ text: `Nama: ${typed}` }, { lang: 'id', userText: typed });
    expect(rendered).toBe('Nama: Budi\u02cdSantoso \u2217');
  });
});

function msg(over: Partial<Omit<WAMessageLike, 'type'>> & { type?: `${MessageTypes}` }): WAMessageLike {
  const from = over.from ?? '6281234567890@c.us';
  return {
    id: { fromMe: false, remote: from, id: 'ABC123', _serialized: `false_${from}_ABC123` },
    from,
    author: undefined,
    body: 'halo',
    timestamp: 1_700_000_000,
    fromMe: false,
    hasMedia: false,
    isStatus: false,
    broadcast: false,
    ...over,
    type: (over.type ?? 'chat') as MessageTypes,
  };
}

describe('whatsapp inbound', () => {
  it('maps a text message, with a pseudonymous chat id instead of the number', () => {
    const d = toInbound(msg({}), SECRET);
    expect(d.kind).toBe('inbound');
    if (d.kind !== 'inbound') return;
    const id = pseudonymOf('6281234567890@c.us', SECRET);
    expect(d.inbound).toEqual({
      channel: 'whatsapp',
      chatId: id,
      userId: id,
      messageId: `wa:${pseudonymOf('false_6281234567890@c.us_ABC123', SECRET)}`,
      sentAt: 1_700_000_000_000,
      event: { type: 'text', text: 'halo' },
    });
    expect(id).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(JSON.stringify(d.inbound.chatId + d.inbound.userId)).not.toMatch(/\d{6,}/);
  });

  it('a typed number goes through as text (the engine matches numbers, labels and near-misses)', () => {
    const d = toInbound(msg({ body: '2' }), SECRET);
    expect(d.kind === 'inbound' && d.inbound.event).toEqual({ type: 'text', text: '2' });
  });

  it('/start with a payload works like a Telegram deep link (wa.me/...?text=/start%20pmi)', () => {
    const d = toInbound(msg({ body: '/start pmi' }), SECRET);
    expect(d.kind === 'inbound' && d.inbound.event).toEqual({ type: 'start', payload: 'pmi' });
    const e = toInbound(msg({ body: '/START' }), SECRET);
    expect(e.kind === 'inbound' && e.inbound.event).toEqual({ type: 'start', payload: undefined });
  });

  it('the pseudonym is stable, secret-dependent, and the same for @c.us and @s.whatsapp.net', () => {
    const a = pseudonymOf('6281234567890@c.us', SECRET);
    expect(pseudonymOf('6281234567890@c.us', SECRET)).toBe(a);
    expect(pseudonymOf('6281234567890@s.whatsapp.net', SECRET)).toBe(a);
    expect(pseudonymOf('6281234567890@c.us', 'another-secret')).not.toBe(a);
    expect(pseudonymOf('6281234567891@c.us', SECRET)).not.toBe(a);
    expect(() => pseudonymOf('6281234567890@c.us', '')).toThrow(/WHATSAPP_ID_SECRET/);
  });

  it('ignores groups, status updates, broadcasts, channels and the bot\'s own messages, with the reason', () => {
    expect(toInbound(msg({ from: '120363012345678901@g.us', author: '6281234567890@c.us' }), SECRET)).toEqual({ kind: 'ignore', reason: 'group' });
    expect(toInbound(msg({ from: 'status@broadcast', isStatus: true }), SECRET)).toEqual({ kind: 'ignore', reason: 'status' });
    expect(toInbound(msg({ isStatus: true }), SECRET)).toEqual({ kind: 'ignore', reason: 'status' });
    expect(toInbound(msg({ broadcast: true }), SECRET)).toEqual({ kind: 'ignore', reason: 'broadcast' });
    expect(toInbound(msg({ from: '1234567890@broadcast' }), SECRET)).toEqual({ kind: 'ignore', reason: 'broadcast' });
    expect(toInbound(msg({ from: '120363000000000000@newsletter' }), SECRET)).toEqual({ kind: 'ignore', reason: 'newsletter' });
    expect(toInbound(msg({ fromMe: true }), SECRET)).toEqual({ kind: 'ignore', reason: 'own' });
    expect(toInbound(msg({ type: 'revoked' }), SECRET)).toEqual({ kind: 'ignore', reason: 'system', detail: 'revoked' });
    expect(toInbound(msg({ type: 'e2e_notification' }), SECRET).kind).toBe('ignore');
  });

  it('accepts the newer @lid person ids', () => {
    expect(toInbound(msg({ from: '123456789012345@lid' }), SECRET).kind).toBe('inbound');
  });

  it('maps media, voice, location and contact cards to media events', () => {
    const kinds: [`${MessageTypes}`, string][] = [
      ['image', 'photo'], ['video', 'video'], ['audio', 'audio'], ['ptt', 'voice'], ['document', 'document'],
      ['sticker', 'sticker'], ['location', 'location'], ['vcard', 'contact'], ['multi_vcard', 'contact'], ['poll_creation', 'other'],
    ];
    for (const [type, kind] of kinds) {
      const d = toInbound(msg({ type, body: '' }), SECRET);
      expect(d.kind === 'inbound' && d.inbound.event, type).toEqual({ type: 'media', kind });
    }
  });

  it('masks numbers in errors before they are logged', () => {
    const e = safeError(new Error('Evaluation failed: chat 6281234567890@c.us not found (+62 812-3456-7890)'));
    expect(e.message).not.toMatch(/\d{6,}/);
    expect(e.message).toContain('<number>');
  });
});
