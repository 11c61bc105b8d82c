// The pure halves of the Telegram channel: rendering replies, and reading updates.
import type { Update } from 'grammy/types';
import { describe, expect, it } from 'vitest';
import { CALLBACK_DATA_LIMIT, decodeCallback, encodeCallback } from '../src/channels/telegram/callback-data.ts';
import { toInbound } from '../src/channels/telegram/inbound.ts';
import { renderReplies, renderReply, splitText, TEXT_LIMIT, toHtml } from '../src/channels/telegram/render.ts';
import { parseHtml } from './support/fake-bot-api.ts';

describe('telegram render: text', () => {
  it('escapes &, < and > before turning *bold* into <b>', () => {
    expect(toHtml('Pilih *menu* & ketik <b>1</b> > 0')).toBe('Pilih <b>menu</b> &amp; ketik &lt;b&gt;1&lt;/b&gt; &gt; 0');
    expect(toHtml('*a <b>* dan *c&d*')).toBe('<b>a &lt;b&gt;</b> dan <b>c&amp;d</b>');
  });

  it('leaves stars that are not WhatsApp bold alone', () => {
    expect(toHtml('2*3*4, ** dan * x * dan *tebal*!')).toBe('2*3*4, ** dan * x * dan <b>tebal</b>!');
    expect(toHtml('baris *satu\ndua*')).toBe('baris *satu\ndua*');
  });

  it('always produces HTML that Telegram can parse, whatever the text', () => {
    const nasty = ['<', '>', '&', '&amp;', '<b>', '</b>', '*', '**', '*<i>*', '&#x1F600;', 'a*b*c', '<a href="x">', '"\'', '\n', 'emoji 😀', '*&*'];
    for (let i = 0; i < 500; i++) {
      let s = '';
      for (let j = 0; j < 8; j++) s += nasty[(i * 7 + j * 13 + ((i * j) % 5)) % nasty.length];
      const html = toHtml(s);
      const parsed = parseHtml(html);
      expect(parsed, `${JSON.stringify(s)} -> ${html}`).not.toHaveProperty('error');
    }
  });

  it('splits long texts at paragraph, then line, then word boundaries, each part within the limit', () => {
    const para = 'Kalimat yang cukup panjang untuk diulang. '.repeat(40).trim(); // ~1.7k
    const text = [para, para, para, para].join('\n\n'); // ~6.8k
    const parts = splitText(text);
    expect(parts.length).toBe(2);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(TEXT_LIMIT);
    expect(parts.join('\n\n')).toBe(text);

    const lines = Array.from({ length: 300 }, (_, i) => `baris ${i} dengan sedikit isi`).join('\n');
    const lp = splitText(lines, 1000);
    for (const p of lp) expect(p.length).toBeLessThanOrEqual(1000);
    expect(lp.join('\n')).toBe(lines);

    const oneWord = 'x'.repeat(9000);
    const wp = splitText(oneWord);
    expect(wp.map((p) => p.length)).toEqual([4096, 4096, 808]);

    const emoji = '😀'.repeat(3000); // 6000 UTF-16 units, no spaces
    const ep = splitText(emoji);
    for (const p of ep) expect(p.length).toBeLessThanOrEqual(TEXT_LIMIT);
    expect(ep.join('')).toBe(emoji);
    expect(ep[0]!.endsWith('\ud83d')).toBe(false);
  });

  it('puts the keyboard of a split reply on its last part only', () => {
    const msgs = renderReply({ text: 'a '.repeat(5000), ask: 3, choices: [{ id: 'x', label: 'X' }] });
    expect(msgs.length).toBe(3);
    expect(msgs.slice(0, -1).every((m) => !m.reply_markup)).toBe(true);
    expect(msgs.at(-1)!.reply_markup).toEqual({ inline_keyboard: [[{ text: 'X', callback_data: 'c:3:x' }]] });
  });
});

describe('telegram render: keyboards', () => {
  it('renders choices as an inline keyboard, one button per row, with c:<ask>:<id> data', () => {
    const [m] = renderReply({ text: 'Pilih:', ask: 12, choices: [{ id: 'eligibility', label: 'Cek *syarat*' }, { id: 'agent', label: 'Petugas' }] });
    expect(m!.html).toBe('Pilih:');
    expect(m!.reply_markup).toEqual({
      inline_keyboard: [[{ text: 'Cek syarat', callback_data: 'c:12:eligibility' }], [{ text: 'Petugas', callback_data: 'c:12:agent' }]],
    });
  });

  it('keeps callback data within 64 bytes, falling back to the option index', () => {
    const long = 'pilihan_yang_namanya_sangat_panjang_sekali_melebihi_batas_telegram';
    const data = encodeCallback(123456789, long, 4);
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(CALLBACK_DATA_LIMIT);
    expect(data).toBe('c:123456789:#4');
    expect(decodeCallback(data)).toEqual({ kind: 'index', ask: 123456789, index: 4 });
    const fits = encodeCallback(Number.MAX_SAFE_INTEGER, 'a'.repeat(64 - 'c:9007199254740991:'.length), 0);
    expect(Buffer.byteLength(fits)).toBe(64);
    expect(decodeCallback(fits)).toMatchObject({ kind: 'choice', ask: Number.MAX_SAFE_INTEGER });
    // Multi-byte ids are measured in bytes, not characters.
    expect(Buffer.byteLength(encodeCallback(1, 'é'.repeat(40), 2))).toBeLessThanOrEqual(64);
    expect(encodeCallback(undefined, 'x', 2)).toBe('t:2');
    expect(decodeCallback('c:7:yes')).toEqual({ kind: 'choice', ask: 7, id: 'yes' });
    expect(decodeCallback('rubbish')).toBeNull();
  });

  it('offers a one-time "share my number" keyboard for requestContact', () => {
    const [m] = renderReply({ text: 'Bagikan nomor Anda', ask: 2, requestContact: true, choices: [{ id: 'cancel', label: 'Batal' }] });
    const kb = m!.reply_markup as { keyboard: { text: string; request_contact?: boolean }[][]; one_time_keyboard: boolean };
    expect(kb.one_time_keyboard).toBe(true);
    expect(kb.keyboard[0]![0]!.request_contact).toBe(true);
    expect(kb.keyboard[1]).toEqual([{ text: 'Batal' }]);
  });

  it('removes an old reply keyboard on the first message without a keyboard of its own', () => {
    const msgs = renderReplies([{ text: 'Terima kasih' }, { text: 'Menu', ask: 1, choices: [{ id: 'a', label: 'A' }] }], { removeReplyKeyboard: true });
    expect(msgs[0]!.reply_markup).toEqual({ remove_keyboard: true });
    expect(msgs[1]!.reply_markup).toHaveProperty('inline_keyboard');
  });
});

describe('telegram inbound', () => {
  const from = { id: 42, is_bot: false, first_name: 'Siti', language_code: 'id' };
  const chat = { id: 42, type: 'private' as const, first_name: 'Siti' };
  const msg = (fields: object, c: object = chat) => ({ update_id: 900, message: { message_id: 5, date: 1_700_000_000, chat: c, from, ...fields } }) as unknown as Update;

  it('maps a text message', () => {
    expect(toInbound(msg({ text: 'halo' }))).toEqual({
      channel: 'telegram',
      chatId: '42',
      userId: '42',
      messageId: '900',
      langHint: 'id',
      sentAt: 1_700_000_000_000,
      event: { type: 'text', text: 'halo' },
    });
  });

  it('maps /start with and without a deep-link payload', () => {
    const entities = [{ type: 'bot_command', offset: 0, length: 6 }];
    expect(toInbound(msg({ text: '/start', entities }))!.event).toEqual({ type: 'start' });
    expect(toInbound(msg({ text: '/start pmi', entities }))!.event).toEqual({ type: 'start', payload: 'pmi' });
    expect(toInbound(msg({ text: '/start@PanduTestBot daftar', entities: [{ type: 'bot_command', offset: 0, length: 19 }] }))!.event).toEqual({
      type: 'start',
      payload: 'daftar',
    });
    expect(toInbound(msg({ text: '/menu', entities: [{ type: 'bot_command', offset: 0, length: 5 }] }))!.event).toEqual({ type: 'text', text: '/menu' });
  });

  it('maps button presses, contacts and media', () => {
    const cq = (data: string) =>
      ({ update_id: 901, callback_query: { id: 'q', from, chat_instance: 'c', data, message: { message_id: 3, date: 1, chat, text: 'x' } } }) as unknown as Update;
    expect(toInbound(cq('c:4:agent'))).toMatchObject({ chatId: '42', messageId: '901', event: { type: 'choice', ask: 4, id: 'agent' } });
    expect(toInbound(cq('c:4:#2'))!.event).toEqual({ type: 'choice', ask: 4, id: '#2' });
    expect(toInbound(cq('junk'))).toBeNull();

    expect(toInbound(msg({ contact: { phone_number: '+6281234567890', first_name: 'Siti', user_id: 42 } }))!.event).toEqual({
      type: 'contact',
      phone: '+6281234567890',
      own: true,
    });
    expect(toInbound(msg({ contact: { phone_number: '+6281234567890', first_name: 'Lain', user_id: 7 } }))!.event).toMatchObject({ own: false });
    expect(toInbound(msg({ contact: { phone_number: '+6281234567890', first_name: 'Lain' } }))!.event).toMatchObject({ own: false });

    const kinds: [object, string][] = [
      [{ photo: [{}] }, 'photo'],
      [{ sticker: {} }, 'sticker'],
      [{ voice: {} }, 'voice'],
      [{ audio: {} }, 'audio'],
      [{ video: {} }, 'video'],
      [{ video_note: {} }, 'video'],
      [{ animation: {}, document: {} }, 'video'],
      [{ document: {} }, 'document'],
      [{ location: {} }, 'location'],
      [{ venue: {}, location: {} }, 'location'],
      [{ dice: {} }, 'other'],
    ];
    for (const [fields, kind] of kinds) expect(toInbound(msg(fields))!.event, kind).toEqual({ type: 'media', kind });
  });

  it('ignores groups, supergroups, channels, edited messages, service messages and bots', () => {
    expect(toInbound(msg({ text: 'halo' }, { id: -100, type: 'group', title: 'G' }))).toBeNull();
    expect(toInbound(msg({ text: 'halo' }, { id: -1001, type: 'supergroup', title: 'S' }))).toBeNull();
    expect(toInbound({ update_id: 1, channel_post: { message_id: 1, date: 1, chat: { id: -1002, type: 'channel', title: 'C' }, text: 'x' } } as Update)).toBeNull();
    expect(toInbound({ update_id: 1, edited_message: { message_id: 1, date: 1, edit_date: 2, chat, from, text: 'x' } } as unknown as Update)).toBeNull();
    expect(toInbound(msg({ pinned_message: { message_id: 1, date: 1, chat } }))).toBeNull();
    expect(toInbound({ update_id: 1, message: { message_id: 1, date: 1, chat, from: { ...from, is_bot: true }, text: 'x' } } as unknown as Update)).toBeNull();
  });
});
