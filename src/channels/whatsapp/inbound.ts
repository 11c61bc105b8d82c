// A whatsapp-web.js message -> Pandu's channel-neutral Inbound, or a reasoned "ignore". Pure.
//
// Phone numbers are personal data (UU 27/2022): the WhatsApp id ("628123...@c.us") never enters
// an Inbound, a session key or a log line. It is replaced by a keyed hash (HMAC-SHA256 with a
// secret from the config) so the same person always maps to the same session, while nobody who
// reads Redis or the logs can recover the number or confirm a guess without the secret.
import { createHmac } from 'node:crypto';
import type { Message } from 'whatsapp-web.js';
import type { Inbound, MediaKind } from '../../core/types.ts';

/** The fields of whatsapp-web.js's declared `Message` that the channel reads. */
export type WAMessageLike = Pick<Message, 'id' | 'from' | 'author' | 'body' | 'type' | 'timestamp' | 'fromMe' | 'hasMedia' | 'isStatus' | 'broadcast'>;

export type IgnoreReason = 'own' | 'status' | 'broadcast' | 'group' | 'newsletter' | 'unsupported-chat' | 'system';

export type InboundDecision =
  | { kind: 'inbound'; inbound: Inbound }
  | { kind: 'ignore'; reason: IgnoreReason; detail?: string };

/** Length of the pseudonymous ids: 20 base64url characters = 120 bits of the HMAC. */
export const PSEUDONYM_LENGTH = 20;

/** Message types that carry something the user sent, mapped to the engine's media kinds. */
const MEDIA: Readonly<Record<string, MediaKind>> = {
  image: 'photo',
  album: 'photo',
  video: 'video',
  audio: 'audio',
  ptt: 'voice',
  document: 'document',
  sticker: 'sticker',
  location: 'location',
  vcard: 'contact',
  multi_vcard: 'contact',
  // Content a person sent on purpose that Pandu cannot read: answered like media.
  poll_creation: 'other',
  scheduled_event_creation: 'other',
  groups_v4_invite: 'other',
  order: 'other',
  product: 'other',
  payment: 'other',
  list: 'other',
  list_response: 'other',
  buttons_response: 'other',
  template_button_reply: 'other',
  interactive: 'other',
  native_flow: 'other',
  hsm: 'other',
  oversized: 'other',
};

/** Protocol and notification messages: nothing a person typed, never answered. */
const SYSTEM = new Set([
  'revoked', 'unknown', 'broadcast_notification', 'call_log', 'ciphertext', 'debug', 'e2e_notification', 'gp2',
  'group_notification', 'notification', 'notification_template', 'protocol', 'reaction',
]);

/** Chats Pandu answers: one-to-one chats (classic phone-number ids and the newer @lid ids). */
const PERSONAL_CHAT = /@(c\.us|s\.whatsapp\.net|lid)$/;

export function isPersonalChat(waId: string): boolean {
  return PERSONAL_CHAT.test(waId);
}

/** The keyed, truncated hash that stands in for a WhatsApp id everywhere outside this channel. */
export function pseudonymOf(waId: string, secret: string): string {
  if (!secret) throw new Error('WHATSAPP_ID_SECRET is empty: a secret is needed to pseudonymize phone numbers');
  const canonical = waId.trim().toLowerCase().replace(/@s\.whatsapp\.net$/, '@c.us');
  return createHmac('sha256', secret).update(canonical).digest('base64url').slice(0, PSEUDONYM_LENGTH);
}

/** `/start` or `/start payload` (a wa.me link with `?text=/start%20payload`) works like Telegram's deep link. */
const START = /^\s*\/start(?:\s+(\S+))?\s*$/i;

export function toInbound(msg: WAMessageLike, secret: string): InboundDecision {
  if (msg.fromMe || msg.id?.fromMe) return { kind: 'ignore', reason: 'own' };
  const from = msg.from ?? '';
  if (msg.isStatus || from === 'status@broadcast') return { kind: 'ignore', reason: 'status' };
  if (from.endsWith('@g.us')) return { kind: 'ignore', reason: 'group' };
  if (msg.broadcast || from.endsWith('@broadcast')) return { kind: 'ignore', reason: 'broadcast' };
  if (from.endsWith('@newsletter')) return { kind: 'ignore', reason: 'newsletter' };
  if (!PERSONAL_CHAT.test(from)) return { kind: 'ignore', reason: 'unsupported-chat' };
  const type = String(msg.type);
  if (SYSTEM.has(type)) return { kind: 'ignore', reason: 'system', detail: type };

  let event: Inbound['event'];
  if (type === 'chat') {
    const start = (msg.body ?? '').match(START);
    event = start ? { type: 'start', payload: start[1] } : { type: 'text', text: msg.body ?? '' };
  } else {
    event = { type: 'media', kind: MEDIA[type] ?? 'other' };
  }
  const id = pseudonymOf(from, secret);
  const inbound: Inbound = {
    channel: 'whatsapp',
    chatId: id,
    userId: id,
    // The serialized id ("false_628123...@c.us_3EB0...") contains the number, and the session
    // keeps recent message ids to drop retries: keep a keyed hash of it instead.
    messageId: msg.id?._serialized ? `wa:${pseudonymOf(msg.id._serialized, secret)}` : undefined,
    sentAt: Number.isFinite(msg.timestamp) && msg.timestamp > 0 ? msg.timestamp * 1000 : undefined,
    event,
  };
  return { kind: 'inbound', inbound };
}

/**
 * An error safe to log: whatsapp-web.js errors can quote the chat id ("628123...@c.us") they
 * failed on, so long digit runs are masked.
 */
export function safeError(err: unknown): { name: string; message: string } {
  const e = err instanceof Error ? err : new Error(typeof err === 'string' ? err : 'non-error thrown');
  return { name: e.name, message: maskNumbers(e.message).slice(0, 500) };
}

export function maskNumbers(s: string): string {
  return s.replace(/\+?\d[\d\s-]{6,}\d(@[\w.]+)?/g, '<number>');
}
