// The staff side's Bot API methods for the fake (forum topics, membership, editing a card), added
// to a FakeBotApi by the tests that run the helpdesk through Telegram.
import type { FakeBotApi, SentMessage } from './fake-bot-api.ts';

export interface Topic {
  id: number;
  name: string;
  closed: boolean;
}

/** Adds the methods; `members` are the user ids getChatMember reports as members of any group. Returns the topics. */
export function addForumMethods(fake: FakeBotApi, members: Set<number>): Map<number, Topic> {
  const methods = (fake as unknown as { methods: Record<string, (p: Record<string, any>) => unknown> }).methods;
  const topics = new Map<number, Topic>();
  let next = 100;
  const topic = (p: Record<string, any>) => topics.get(Number(p.message_thread_id));
  methods.createForumTopic = (p) => {
    const t = { id: next++, name: String(p.name), closed: false };
    topics.set(t.id, t);
    return { message_thread_id: t.id, name: t.name, icon_color: 0x6fb9f0 };
  };
  methods.editForumTopic = (p) => {
    const t = topic(p);
    if (t && p.name) t.name = String(p.name);
    return true;
  };
  methods.closeForumTopic = (p) => {
    const t = topic(p);
    if (t) t.closed = true;
    return true;
  };
  methods.reopenForumTopic = (p) => {
    const t = topic(p);
    if (t) t.closed = false;
    return true;
  };
  methods.getChatMember = (p) => {
    const id = Number(p.user_id);
    const user = { id, is_bot: false, first_name: `User${id}` };
    return members.has(id) ? { status: 'member', user } : { status: 'left', user };
  };
  methods.editMessageText = (p) => {
    const msg = fake.sent.find((m) => m.chatId === Number(p.chat_id) && m.messageId === Number(p.message_id));
    if (!msg) return true;
    msg.text = String(p.text);
    msg.markup = p.reply_markup?.inline_keyboard?.length ? p.reply_markup : undefined;
    msg.sentMarkup = p.reply_markup;
    msg.message = { ...msg.message, text: msg.text } as SentMessage['message'];
    return msg.message;
  };
  return topics;
}
