// Reply -> the text(s) sent on WhatsApp. Pure.
//
// Buttons and list messages no longer work for WhatsApp Web clients, so choices become a numbered
// list under the text plus a line saying how to answer ("Balas dengan angka 1, 2 atau 3"). The
// engine matches a typed number, a label or a near-miss of a label, so nothing else is needed.
// The engine's texts already use WhatsApp's own formatting (*tebal*, _miring_) and are kept.
import type { Choice, Lang, Reply } from '../../core/types.ts';

/** WhatsApp accepts ~65k characters, but long walls of text are unreadable on a phone; split well before. */
export const MAX_MESSAGE_LENGTH = 3500;

export interface RenderOptions {
  /** The language of the channel's own words (the "Balas ..." line) when the reply carries none (`Reply.lang`). */
  lang: Lang;
  /** Split texts longer than this (characters). */
  maxLength?: number;
  /**
   * What the user typed this turn. Where a reply quotes it, its formatting characters are
   * neutralized, so an odd `*` or `_` the user typed cannot pair with the engine's own markup.
   */
  userText?: string;
  /**
   * For a reply that asks for the user's phone number (`requestContact`): the label of an extra,
   * last numbered option that answers with the sender's own WhatsApp number.
   */
  contactOption?: string;
}

/** The choices shown for a reply: its own, plus the "use this WhatsApp number" option when asked for. */
export function choicesOf(reply: Reply, contactOption?: string): Choice[] {
  const own = reply.choices ?? [];
  return reply.requestContact && contactOption ? [...own, { id: CONTACT_CHOICE, label: contactOption }] : own;
}

export const CONTACT_CHOICE = '__whatsapp_contact';

/** "Balas dengan angka 1, 2 atau 3" / "Reply 1, 2 or 3"; "1-7" from four options on. */
export function replyHint(n: number, lang: Lang): string {
  const and = lang === 'en' ? 'or' : 'atau';
  let nums: string;
  if (n <= 1) nums = '1';
  else if (n === 2) nums = `1 ${and} 2`;
  else if (n === 3) nums = `1, 2 ${and} 3`;
  else nums = `1-${n}`;
  return lang === 'en' ? `Reply ${nums}` : `Balas dengan angka ${nums}`;
}

const HINT = /^(?:Balas dengan angka|Reply) 1(?:(?:, \d+)* (?:atau|or) \d+|-\d+)?$/;
const ITEM = /^(\d{1,2})\. (.*)$/;

export function numberedList(choices: readonly Choice[]): string {
  return choices.map((c, i) => `${i + 1}. ${oneLine(c.label)}`).join('\n');
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** One reply as the WhatsApp messages to send, in order (one, unless the text is very long). */
export function renderReply(reply: Reply, opts: RenderOptions): string[] {
  const max = Math.max(200, opts.maxLength ?? MAX_MESSAGE_LENGTH);
  const body = protectUserText(reply.text, opts.userText).trim();
  const choices = choicesOf(reply, opts.contactOption);
  if (choices.length === 0) return splitText(body, max);
  const tail = `${numberedList(choices)}\n\n${replyHint(choices.length, reply.lang ?? opts.lang)}`;
  // The list and its hint stay together, after the text, in the last message.
  const parts = splitText(body, max);
  const last = parts[parts.length - 1];
  if (last !== undefined && last.length + 2 + tail.length <= max) parts[parts.length - 1] = `${last}\n\n${tail}`;
  else parts.push(...splitText(tail, max));
  return parts;
}

export function renderReplies(replies: readonly Reply[], opts: RenderOptions): string[] {
  return replies.flatMap((r) => renderReply(r, opts));
}

/**
 * Splits at the last paragraph break that fits, else the last line break, else the last space;
 * a hard cut only for a single run of text longer than `max`. Parts are trimmed; none is empty.
 */
export function splitText(text: string, max = MAX_MESSAGE_LENGTH): string[] {
  const out: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    const floor = Math.floor(max / 3); // never cut off a uselessly small first part
    let cut = window.lastIndexOf('\n\n');
    if (cut < floor) cut = window.lastIndexOf('\n');
    if (cut < floor) cut = window.lastIndexOf(' ');
    if (cut < floor) {
      cut = max;
      // Do not cut a surrogate pair (emoji) in half.
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    }
    const part = rest.slice(0, cut).trim();
    if (part) out.push(part);
    rest = rest.slice(cut).trim();
  }
  if (rest) out.push(rest);
  return out;
}

// WhatsApp has no escape character. Formatting characters are swapped for look-alikes that
// WhatsApp does not treat as markup: * → ∗ (U+2217), _ → ˍ (U+02CD), ~ → ∼ (U+223C), ` → ˋ (U+02CB).
const LOOKALIKE: Readonly<Record<string, string>> = { '*': '\u2217', _: '\u02cd', '~': '\u223c', '`': '\u02cb' };
const MARKUP = /[*_~`]/g;

/** Text that must show as typed, never as formatting (a name, a quoted answer). */
export function neutralizeFormatting(s: string): string {
  return s.replace(MARKUP, (c) => LOOKALIKE[c] ?? c);
}

/** A user's own single formatted word or phrase ("*menu*") is harmless: it opens and closes itself. */
const SELF_CONTAINED = /^([*_~])[^*_~`\n]+\1$/;

/** Neutralizes the formatting characters of `userText` where the reply quotes it verbatim. */
export function protectUserText(text: string, userText: string | undefined): string {
  const quoted = userText?.trim();
  if (!quoted || quoted.length < 2 || !/[*_~`]/.test(quoted) || SELF_CONTAINED.test(quoted)) return text;
  if (!text.includes(quoted)) return text;
  return text.split(quoted).join(neutralizeFormatting(quoted));
}

/** What a WhatsApp user sees, read back: the text without its numbered list, and the list's labels. */
export function parseRendered(message: string): { text: string; choices: string[] } {
  const lines = message.split('\n');
  const hint = lines[lines.length - 1];
  if (hint === undefined || !HINT.test(hint)) return { text: message, choices: [] };
  let i = lines.length - 2;
  if (lines[i] === '') i--;
  const items: string[] = [];
  while (i >= 0) {
    const m = ITEM.exec(lines[i]!);
    if (!m) break;
    items.unshift(m[2]!);
    i--;
    if (Number(m[1]) === 1) break;
  }
  if (items.length === 0) return { text: message, choices: [] };
  return { text: lines.slice(0, i + 1).join('\n').trim(), choices: items };
}
