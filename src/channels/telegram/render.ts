// Reply -> Telegram messages. Pure: no I/O, no grammY runtime, only its types.
//
// The engine speaks plain text with WhatsApp-style *bold* markers. Telegram gets HTML (parse_mode
// HTML): &, < and > are escaped first, so nothing a text (or a user's answer quoted in it) contains
// can break the markup; then *x* becomes <b>x</b>. Each message also keeps a plain version, which
// the channel sends without parse_mode should Telegram refuse the HTML anyway.
import type { InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove } from 'grammy/types';
import type { Lang, Reply } from '../../core/types.ts';
import { encodeCallback } from './callback-data.ts';

/** Telegram's limit for one message's text (after entity parsing), in UTF-16 code units. */
export const TEXT_LIMIT = 4096;

/** The label of the "share my phone number" button in the reply's language (`Reply.lang`). */
export const CONTACT_LABELS: Readonly<Record<Lang, string>> = { id: '📱 Kirim nomor saya', en: '📱 Share my number' };
/** The label for a reply that does not say its language: both. */
export const DEFAULT_CONTACT_LABEL = '📱 Kirim nomor saya / Share my number';

export type ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove;

export interface OutgoingMessage {
  /** Text for parse_mode HTML. */
  html: string;
  /** The same text without markup (bold markers dropped). */
  plain: string;
  reply_markup?: ReplyMarkup;
}

export interface RenderOptions {
  /** Label of the request_contact button. */
  contactLabel?: string;
  /**
   * Put `remove_keyboard` on the first message that has no keyboard of its own (a contact
   * keyboard from an earlier turn is no longer wanted). Ignored when this turn shows a new one.
   */
  removeReplyKeyboard?: boolean;
}

export function renderReplies(replies: readonly Reply[], opts: RenderOptions = {}): OutgoingMessage[] {
  // Every turn of every user comes through here: plain loops, no intermediate arrays.
  const out: OutgoingMessage[] = [];
  for (const r of replies) renderInto(out, r, opts);
  if (opts.removeReplyKeyboard) {
    let bare: OutgoingMessage | undefined;
    let showsReplyKeyboard = false;
    for (const m of out) {
      if (!m.reply_markup) bare ??= m;
      else if ('keyboard' in m.reply_markup) showsReplyKeyboard = true;
    }
    if (bare && !showsReplyKeyboard) bare.reply_markup = { remove_keyboard: true };
  }
  return out;
}

/** One reply: its text (split when too long) with its keyboard on the last part. */
export function renderReply(reply: Reply, opts: RenderOptions = {}): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  renderInto(out, reply, opts);
  return out;
}

const NOT_BLANK = /\S/;

function renderInto(out: OutgoingMessage[], reply: Reply, opts: RenderOptions): void {
  const text = reply.text;
  const first = out.length;
  if (text.length <= TEXT_LIMIT) {
    // One part, the usual case (splitText would return the text itself).
    const r = rendered(NOT_BLANK.test(text) ? text : '…');
    out.push({ html: r.html, plain: r.plain });
  } else {
    for (const p of splitText(text, TEXT_LIMIT)) {
      if (!NOT_BLANK.test(p)) continue;
      const r = rendered(p);
      out.push({ html: r.html, plain: r.plain });
    }
    if (out.length === first) {
      const r = rendered(NOT_BLANK.test(text) ? text : '…');
      out.push({ html: r.html, plain: r.plain });
    }
  }
  const markup = keyboardOf(reply, opts);
  if (markup) out[out.length - 1]!.reply_markup = markup;
}

function keyboardOf(reply: Reply, opts: RenderOptions): ReplyMarkup | undefined {
  const choices = reply.choices ?? [];
  if (reply.requestContact) {
    // One message can carry one keyboard: the contact button, then any choices as plain buttons
    // (pressing one types its label, which the engine matches like a typed answer).
    const rows: KeyboardButton[][] = [[{ text: opts.contactLabel ?? (reply.lang ? CONTACT_LABELS[reply.lang] : DEFAULT_CONTACT_LABEL), request_contact: true }]];
    for (const c of choices) rows.push([{ text: buttonText(c.label, c.id) }]);
    return { keyboard: rows, one_time_keyboard: true, resize_keyboard: true };
  }
  if (choices.length === 0) return undefined;
  const rows: InlineKeyboardButton[][] = choices.map((c, i) => [{ text: buttonText(c.label, c.id), callback_data: encodeCallback(reply.ask, c.id, i) }]);
  return { inline_keyboard: rows };
}

function buttonText(label: string, fallback: string): string {
  let t = labels.get(label);
  if (t === undefined) {
    t = stripBold(label).replace(/\s+/g, ' ').trim();
    remember(labels, label, t);
  }
  return t === '' ? fallback : t;
}

// ---- cache --------------------------------------------------------------------------------------

// Most texts are the same questions and button labels again and again, and the bold pattern (with
// its Unicode classes) is the costly part of rendering them. Both functions are pure, so results
// are kept per text, in two bounded maps; a text longer than CACHE_TEXT_MAX (a long answer quoted
// back, a help page) is rendered each time, so the maps stay small (a few MB at the very most).
const CACHE_ENTRIES = 1000;
const CACHE_TEXT_MAX = 1024;
const texts = new Map<string, { html: string; plain: string }>();
const labels = new Map<string, string>();

function rendered(text: string): { html: string; plain: string } {
  let r = texts.get(text);
  if (r === undefined) {
    r = { html: toHtml(text), plain: stripBold(text) };
    remember(texts, text, r);
  }
  return r;
}

function remember<V>(m: Map<string, V>, key: string, value: V): void {
  if (key.length > CACHE_TEXT_MAX) return;
  if (m.size >= CACHE_ENTRIES) m.delete(m.keys().next().value!);
  m.set(key, value);
}

// ---- text ---------------------------------------------------------------------------------------

// *bold* as WhatsApp reads it: within one line, not touching spaces inside the stars, and not
// glued to a word or another star outside them ("2*3*4" and "**" stay as they are).
const BOLD = /(^|[^\p{L}\p{N}_*])\*(?=\S)([^*\n]*?\S)\*(?=$|[^\p{L}\p{N}_*])/gmu;

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Plain text with *bold* markers -> Telegram HTML. Escapes first, so the result always parses. */
export function toHtml(text: string): string {
  return escapeHtml(text).replace(BOLD, '$1<b>$2</b>');
}

export function stripBold(text: string): string {
  return text.replace(BOLD, '$1$2');
}

/**
 * Splits a text into parts of at most `limit` UTF-16 units: at a paragraph break if there is one
 * in the second half of the window, else at a line break, else at a space, else hard (never
 * inside a surrogate pair). The breaks themselves are dropped. Markers never span lines, so
 * *bold* survives any split made at a line break.
 */
export function splitText(text: string, limit: number = TEXT_LIMIT): string[] {
  if (limit < 2) throw new RangeError('limit must be at least 2');
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1);
    const min = Math.floor(limit / 2);
    let cut = -1;
    let skip = 0;
    // Preferred: a break in the second half of the window; then any break at all.
    for (const [sep, from] of [['\n\n', min], ['\n', min], [' ', min], ['\n', 1], [' ', 1]] as const) {
      const at = window.lastIndexOf(sep, limit - sep.length + 1);
      if (at >= from) {
        cut = at;
        skip = sep.length;
        break;
      }
    }
    if (cut <= 0) {
      cut = limit;
      skip = 0;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // keep a surrogate pair together
    }
    const head = rest.slice(0, cut).replace(/\s+$/, '');
    if (head !== '') parts.push(head);
    rest = rest.slice(cut + skip).replace(/^\n+/, '');
  }
  if (rest !== '' || parts.length === 0) parts.push(rest);
  return parts;
}
