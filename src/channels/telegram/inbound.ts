// Telegram Update -> Inbound. Pure: no I/O, no grammY runtime, only its types.
//
// Only private chats are Pandu's users: updates from groups, supergroups and channels are ignored
// here (the helpdesk staff group gets its own handler in its own issue), and so are edited
// messages, service messages and update kinds Pandu does not use. `null` means "ignore".
import type { Chat, Message, Update, User } from 'grammy/types';
import type { Inbound, InboundEvent, MediaKind } from '../../core/types.ts';
import { decodeCallback } from './callback-data.ts';

export function toInbound(update: Update): Inbound | null {
  if (update.message) return fromMessage(update, update.message);
  if (update.callback_query) {
    const cq = update.callback_query;
    const msg = cq.message;
    if (!msg || !isPrivate(msg.chat) || cq.from.is_bot) return null;
    const event = fromCallback(cq.data, msg);
    if (!event) return null;
    return base(update, msg.chat, cq.from, event);
  }
  return null;
}

function fromMessage(update: Update, msg: Message): Inbound | null {
  const from = msg.from;
  if (!isPrivate(msg.chat) || !from || from.is_bot) return null;
  const event = eventOf(msg);
  if (!event) return null;
  const inbound = base(update, msg.chat, from, event);
  inbound.sentAt = msg.date * 1000;
  return inbound;
}

function base(update: Update, chat: Pick<Chat, 'id'>, from: User, event: InboundEvent): Inbound {
  const inbound: Inbound = {
    channel: 'telegram',
    chatId: String(chat.id),
    userId: String(from.id),
    // Telegram repeats the update id (not the message id) when it redelivers, and a button press
    // has no message id of its own: the update id is what identifies "this same thing again".
    messageId: String(update.update_id),
    event,
  };
  if (from.language_code) inbound.langHint = from.language_code;
  return inbound;
}

function isPrivate(chat: Pick<Chat, 'type'>): boolean {
  return chat.type === 'private';
}

const START = /^\/start(?:@[A-Za-z0-9_]+)?(?:\s+([\s\S]*))?$/;

function eventOf(msg: Message): InboundEvent | null {
  if (typeof msg.text === 'string') {
    const start = START.exec(msg.text.trim());
    if (start) {
      const payload = start[1]?.trim();
      return payload ? { type: 'start', payload } : { type: 'start' };
    }
    return { type: 'text', text: msg.text };
  }
  if (msg.contact) {
    const own = msg.contact.user_id !== undefined && msg.from !== undefined && msg.contact.user_id === msg.from.id;
    return { type: 'contact', phone: msg.contact.phone_number, own };
  }
  const kind = mediaKindOf(msg);
  return kind ? { type: 'media', kind } : null;
}

/** What a non-text message holds; null for service messages (pins, timers...), which are ignored. */
export function mediaKindOf(msg: Message): MediaKind | null {
  if (msg.photo) return 'photo';
  if (msg.sticker) return 'sticker';
  if (msg.voice) return 'voice';
  if (msg.audio) return 'audio';
  if (msg.video || msg.video_note || msg.animation) return 'video';
  if (msg.document) return 'document';
  if (msg.location || msg.venue) return 'location';
  if (msg.poll || msg.dice || msg.game || msg.story || msg.paid_media || msg.invoice) return 'other';
  return null;
}

function fromCallback(data: string | undefined, msg: NonNullable<Update['callback_query']>['message']): InboundEvent | null {
  const d = decodeCallback(data);
  if (!d) return null;
  if (d.kind === 'choice') return { type: 'choice', ask: d.ask, id: d.id };
  // An id too long for the 64 bytes: the engine gets the option's position as "#<index>".
  if (d.kind === 'index') return { type: 'choice', ask: d.ask, id: `#${d.index}` };
  // A button without an ask: like typing its label.
  const label = msg && 'reply_markup' in msg ? msg.reply_markup?.inline_keyboard.flat()[d.index]?.text : undefined;
  return label ? { type: 'text', text: label } : null;
}

/** The kind of an update, for logs ("message", "callback_query", "edited_message"...). */
export function updateKind(update: Update): string {
  // Runs for every update: a loop instead of Object.keys(...).find (an array each time).
  for (const k in update) if (k !== 'update_id' && Object.hasOwn(update, k)) return k;
  return 'unknown';
}

/** The chat an update belongs to, if any. */
export function updateChat(update: Update): Pick<Chat, 'id' | 'type'> | undefined {
  return (
    update.message?.chat ??
    update.edited_message?.chat ??
    update.callback_query?.message?.chat ??
    update.my_chat_member?.chat ??
    update.channel_post?.chat ??
    update.edited_channel_post?.chat
  );
}
