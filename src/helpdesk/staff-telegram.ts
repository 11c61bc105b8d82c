// The staff side of the helpdesk on Telegram: a staff supergroup with topics (HELPDESK_CHAT_ID).
//
//   queue topic   every new ticket is a card there, with an "Ambil" (take) button. The topic is
//                 created on first start ("Antrean Pandu") and remembered in the ticket store;
//                 without topic rights the cards go to the General topic.
//   ticket topic  taking a ticket opens a forum topic for it with the transcript so far. What staff
//                 write there goes to the user (Telegram or WhatsApp, through the runtime's
//                 senders); what the user writes comes into the topic (text, and a note for media).
//   commands      in a ticket topic: /selesai closes and hands the chat back to Pandu, /lepas puts
//                 the ticket back in the queue, /catatan <text> keeps an internal note (never sent).
//                 Anywhere in the group: /antrean lists the waiting tickets with their age. Outside
//                 a ticket topic the ticket number may be given: /selesai 12.
//
// Only members of the staff group may take or answer tickets (getChatMember, cached briefly).
// Two staff pressing "Ambil" at once: the ticket store's atomic claim gives it to exactly one; the
// other is told who has it (answerCallbackQuery).
//
// Wiring: `createTelegramStaff(...)` gives a Composer that handles the updates of the staff chat
// and passes every other update on; install it on the Telegram channel's bot *before* the
// channel's own handler (which answers every callback query at once and ignores groups).
// Texts for staff are Indonesian and plain (no parse_mode), so nothing a user wrote can break
// the markup.
import { Composer, type Api, type Context } from 'grammy';
import type { ChatMember } from 'grammy/types';
import type { Logger } from 'pino';
import type { MediaKind } from '../core/types.ts';
import { ageText, timeOfDay, zoneName } from './hours.ts';
import { errInfo, type Helpdesk, type StaffSide } from './service.ts';
import type { StaffRef, Ticket, TranscriptEntry } from './tickets.ts';

export interface TelegramStaffOptions {
  /**
   * The bot's API (the Telegram channel's `bot.api`, with its retry and throttling), or a getter
   * for it: the composer is built before the channel that will run it.
   */
  api: Api | (() => Api);
  /** HELPDESK_CHAT_ID: the staff supergroup (topics on, the bot an admin allowed to manage topics). */
  chatId: number;
  helpdesk: Helpdesk;
  logger: Logger;
  /** A fixed queue topic (message_thread_id). Default: created once and remembered. */
  queueTopicId?: number;
  /** Name of the queue topic created on first start. */
  queueTopicName?: string;
  /** How long a membership check is trusted. Default 60 s. */
  memberCacheMs?: number;
  now?: () => number;
}

export interface TelegramStaff extends StaffSide {
  /** Handles the staff chat's updates; every other update goes on to the next middleware. */
  readonly composer: Composer<Context>;
  /** Finds or creates the queue topic and sets the staff commands menu. Never throws. */
  start(): Promise<void>;
  /** The queue topic in use (undefined: the General topic). */
  readonly queueTopicId: number | undefined;
  /** Resolves when relays in progress are sent (tests, shutdown). */
  idle(): Promise<void>;
}

/** Callback data of the "Ambil" button. */
export const CLAIM_PREFIX = 'hd:claim:';
const QUEUE_META = 'telegramQueueTopic';
/** Telegram's id for messages of anonymous group admins. */
const ANONYMOUS_ADMIN = 1087968824;
const TEXT_LIMIT = 4000;

const CHANNEL_NAMES: Record<string, string> = { telegram: 'Telegram', whatsapp: 'WhatsApp', console: 'Console' };
const MEDIA_NAMES: Record<MediaKind, string> = {
  photo: 'foto',
  sticker: 'stiker',
  voice: 'pesan suara',
  audio: 'audio',
  video: 'video',
  document: 'dokumen',
  location: 'lokasi',
  contact: 'kontak',
  other: 'lampiran',
};

export const STAFF_COMMANDS = [
  { command: 'antrean', description: 'Daftar tiket yang menunggu' },
  { command: 'selesai', description: 'Tutup tiket dan kembalikan pengguna ke Pandu' },
  { command: 'lepas', description: 'Kembalikan tiket ke antrean' },
  { command: 'catatan', description: 'Catatan internal (tidak dikirim ke pengguna)' },
];

export function createTelegramStaff(o: TelegramStaffOptions): TelegramStaff {
  return new TelegramStaffImpl(o);
}

class TelegramStaffImpl implements TelegramStaff {
  readonly composer = new Composer<Context>();
  private readonly log: Logger;
  private readonly now: () => number;
  private queueTopic: number | undefined;
  private readonly members = new Map<number, { ok: boolean; at: number }>();
  private readonly relays = new Map<string, { lines: string[]; running?: Promise<void> }>();

  constructor(private readonly o: TelegramStaffOptions) {
    this.log = o.logger.child({ part: 'helpdesk-staff' });
    this.now = o.now ?? Date.now;
    this.queueTopic = o.queueTopicId;
    const group = this.composer.filter((ctx) => ctx.chat?.id === o.chatId);
    group.use(async (ctx) => {
      try {
        await this.onUpdate(ctx);
      } catch (err) {
        this.log.error({ err: errInfo(err), update: ctx.update.update_id }, 'helpdesk staff update failed');
      }
    });
  }

  get queueTopicId(): number | undefined {
    return this.queueTopic;
  }

  private get api(): Api {
    return typeof this.o.api === 'function' ? this.o.api() : this.o.api;
  }

  private get tz(): string {
    return this.o.helpdesk.config.hours.tz;
  }

  async start(): Promise<void> {
    if (this.queueTopic === undefined) {
      try {
        const kept = await this.o.helpdesk.tickets.getMeta(QUEUE_META);
        if (kept) this.queueTopic = Number(kept);
        else {
          const topic = await this.api.createForumTopic(this.o.chatId, this.o.queueTopicName ?? '📥 Antrean Pandu');
          this.queueTopic = topic.message_thread_id;
          await this.o.helpdesk.tickets.setMeta(QUEUE_META, String(this.queueTopic));
          await this.send(this.queueTopic, 'Tiket baru dari pengguna Pandu muncul di sini. Tekan "Ambil" untuk menangani tiket; sebuah topik khusus akan dibuka untuknya.');
        }
      } catch (err) {
        this.log.warn({ err: errInfo(err) }, 'helpdesk queue topic could not be created; cards go to the General topic (are topics on, and may the bot manage topics?)');
      }
    }
    try {
      await this.api.setMyCommands(STAFF_COMMANDS, { scope: { type: 'chat', chat_id: this.o.chatId } });
    } catch (err) {
      this.log.warn({ err: errInfo(err) }, 'helpdesk staff commands could not be set');
    }
  }

  // ---- what the helpdesk tells staff (StaffSide) ---------------------------------------------------

  async opened(t: Ticket): Promise<void> {
    const cur = await this.o.helpdesk.tickets.get(t.id);
    if (!cur || cur.state !== 'waiting' || cur.cardMessageId !== undefined) return;
    // One card per ticket, also when the sweep and the opening race (or two processes sweep).
    if (!(await this.o.helpdesk.tickets.tryLock(`card:${t.id}`, 60_000))) return;
    await this.postCard(cur);
  }

  async userMessage(t: Ticket, entry: TranscriptEntry, media?: MediaKind): Promise<void> {
    const line = media ? `📎 Pengguna mengirim ${MEDIA_NAMES[media]} (tidak diteruskan; minta pengguna menuliskannya).` : `👤 ${entry.text}`;
    const q = this.relays.get(t.id) ?? { lines: [] };
    this.relays.set(t.id, q);
    q.lines.push(line);
    if (q.running) return q.running;
    // One send at a time per ticket, in order; lines that pile up meanwhile go as one message
    // (a staff group may get only about 20 messages a minute from a bot).
    q.running = (async () => {
      try {
        while (q.lines.length) {
          const lines = q.lines.splice(0);
          const cur = await this.o.helpdesk.tickets.get(t.id);
          if (cur?.topicId === undefined) continue; // still waiting: the transcript shows it when taken
          await this.send(cur.topicId, lines.join('\n'));
        }
      } catch (err) {
        // The lines are in the ticket's transcript already: staff see them there; none waits here.
        this.log.warn({ err: errInfo(err), ticket: t.id, dropped: q.lines.length }, 'helpdesk relay to the topic failed');
        q.lines.length = 0;
      } finally {
        q.running = undefined;
        this.relays.delete(t.id);
      }
    })();
    return q.running;
  }

  async closed(t: Ticket): Promise<void> {
    const minutes = Math.round(this.o.helpdesk.config.idleCloseMs / 60_000);
    const why: Record<string, string> = {
      staff: `✔️ Tiket #${t.id} ditutup oleh ${t.closedBy?.name ?? 'petugas'}. Pengguna kembali dilayani Pandu dan diminta memberi nilai.`,
      user: `🚪 Pengguna mengakhiri percakapan (batal). Tiket #${t.id} ditutup.`,
      idle: `⏱ Tiket #${t.id} ditutup otomatis: tidak ada pesan selama ${minutes} menit. Pengguna sudah diberi tahu.`,
      left: `🚪 Pengguna sudah meninggalkan percakapan (pindah ke menu). Tiket #${t.id} ditutup.`,
      deleted: `🗑 Pengguna meminta datanya dihapus. Tiket #${t.id} ditutup.`,
    };
    const text = why[t.closeReason ?? 'staff'] ?? why.staff!;
    if (t.topicId !== undefined) {
      await this.send(t.topicId, text);
      await this.api.editForumTopic(this.o.chatId, t.topicId, { name: topicName(t, '✔️') }).catch(() => undefined);
      await this.api.closeForumTopic(this.o.chatId, t.topicId).catch((err) => this.log.debug({ err: errInfo(err) }, 'closeForumTopic failed'));
    }
    if (t.cardMessageId !== undefined) await this.editCard(t, `${cardText(t, this.tz, this.now())}\n\n${text}`, false);
  }

  async rated(t: Ticket, rating: number): Promise<void> {
    if (t.topicId !== undefined) await this.send(t.topicId, `⭐ Nilai dari pengguna untuk tiket #${t.id}: ${rating}/5`);
  }

  async undelivered(t: Ticket, what: string): Promise<void> {
    const cur = (await this.o.helpdesk.tickets.get(t.id)) ?? t;
    if (cur.topicId === undefined) return;
    const which = what === 'staff' ? 'Pesan terakhir' : what === 'closed' ? 'Pemberitahuan penutupan' : 'Pemberitahuan';
    await this.send(cur.topicId, `⚠️ ${which} tidak bisa dikirim ke pengguna (saluran bermasalah, atau pengguna memblokir bot).`);
  }

  async repair(t: Ticket): Promise<void> {
    const cur = await this.o.helpdesk.tickets.get(t.id);
    if (!cur) return;
    if (cur.state === 'waiting' && cur.cardMessageId === undefined) return this.opened(cur);
    if (cur.state === 'claimed' && cur.topicId === undefined && cur.claimedBy) await this.ensureTopic(cur, cur.claimedBy);
  }

  // ---- cards and topics ------------------------------------------------------------------------------

  private async postCard(t: Ticket): Promise<void> {
    const msg = await this.api.sendMessage(this.o.chatId, cardText(t, this.tz, this.now()), {
      ...(this.queueTopic !== undefined ? { message_thread_id: this.queueTopic } : {}),
      reply_markup: { inline_keyboard: [[{ text: `Ambil #${t.id}`, callback_data: `${CLAIM_PREFIX}${t.id}` }]] },
    });
    await this.o.helpdesk.tickets.update(t.id, { cardMessageId: msg.message_id });
  }

  private async editCard(t: Ticket, text: string, withButton: boolean): Promise<void> {
    if (t.cardMessageId === undefined) return;
    try {
      await this.api.editMessageText(this.o.chatId, t.cardMessageId, clip(text), {
        reply_markup: withButton ? { inline_keyboard: [[{ text: `Ambil #${t.id}`, callback_data: `${CLAIM_PREFIX}${t.id}` }]] } : { inline_keyboard: [] },
      });
    } catch (err) {
      // "message is not modified", a card too old to edit: the ticket itself is what counts.
      this.log.debug({ err: errInfo(err), ticket: t.id }, 'helpdesk card not edited');
    }
  }

  /** The ticket's topic: created on the first claim (with the transcript), reused after /lepas. */
  private async ensureTopic(t: Ticket, staff: StaffRef): Promise<number | undefined> {
    if (t.topicId !== undefined) {
      await this.api.reopenForumTopic(this.o.chatId, t.topicId).catch(() => undefined);
      await this.send(t.topicId, `🙋 Tiket #${t.id} diambil oleh ${staff.name}.`);
      return t.topicId;
    }
    if (!(await this.o.helpdesk.tickets.tryLock(`topic:${t.id}`, 60_000))) return undefined;
    try {
      const topic = await this.api.createForumTopic(this.o.chatId, topicName(t, '🙋'));
      const id = topic.message_thread_id;
      await this.o.helpdesk.tickets.setTopic(t.id, id);
      const log = await this.o.helpdesk.tickets.transcript(t.id);
      await this.send(id, transcriptText({ ...t, topicId: id }, log, staff, this.tz, this.now()));
      return id;
    } catch (err) {
      this.log.warn({ err: errInfo(err), ticket: t.id }, 'helpdesk topic could not be created (may the bot manage topics?); the sweep retries');
      await this.o.helpdesk.tickets.unlock(`topic:${t.id}`);
      return undefined;
    }
  }

  private async send(threadId: number | undefined, text: string): Promise<void> {
    await this.api.sendMessage(this.o.chatId, clip(text), threadId !== undefined ? { message_thread_id: threadId } : {});
  }

  // ---- updates from the staff group ------------------------------------------------------------------

  private async onUpdate(ctx: Context): Promise<void> {
    const cq = ctx.callbackQuery;
    if (cq) {
      const data = cq.data ?? '';
      if (data.startsWith(CLAIM_PREFIX)) return this.onClaim(ctx, data.slice(CLAIM_PREFIX.length));
      await this.api.answerCallbackQuery(cq.id).catch(() => undefined);
      return;
    }
    const msg = ctx.message;
    if (!msg || !ctx.from) return; // edits, service messages, member changes: nothing to do
    if (msg.forum_topic_created || msg.forum_topic_closed || msg.forum_topic_reopened || msg.forum_topic_edited) return;
    if (ctx.from.is_bot && ctx.from.id !== ANONYMOUS_ADMIN) return;
    const thread = msg.is_topic_message ? msg.message_thread_id : undefined;
    const text = msg.text;
    const cmd = text ? /^\/([a-z]+)(?:@\w+)?(?:\s+([\s\S]*))?$/i.exec(text.trim()) : null;
    if (cmd) {
      const name = cmd[1]!.toLowerCase();
      if (['antrean', 'antrian', 'selesai', 'lepas', 'catatan'].includes(name)) {
        if (!(await this.isMember(ctx))) return this.reply(thread, 'Hanya anggota tim helpdesk yang bisa memakai perintah ini.');
        return this.onCommand(name, (cmd[2] ?? '').trim(), thread, staffOf(ctx));
      }
      return; // another bot's command, or a typo: never relayed to a user
    }
    if (thread === undefined || thread === this.queueTopic) return;
    const t = await this.o.helpdesk.tickets.byTopic(thread);
    if (!t) return;
    if (!(await this.isMember(ctx))) return this.reply(thread, 'Hanya anggota tim helpdesk yang bisa membalas pengguna.');
    if (text === undefined || text.trim() === '') return this.reply(thread, 'Hanya pesan teks yang diteruskan ke pengguna.');
    const r = await this.o.helpdesk.staffMessage(t.id, staffOf(ctx), text);
    if (!r.ok) return this.reply(thread, notOk(t.id, r.reason));
  }

  private async onClaim(ctx: Context, id: string): Promise<void> {
    const cq = ctx.callbackQuery!;
    const answer = (text: string, alert = false) => this.api.answerCallbackQuery(cq.id, { text, show_alert: alert }).catch(() => undefined);
    if (!(await this.isMember(ctx))) {
      await answer('Hanya anggota tim helpdesk yang bisa mengambil tiket.', true);
      return;
    }
    const staff = staffOf(ctx);
    const r = await this.o.helpdesk.claim(id, staff);
    if (!r.ok) {
      if (r.reason === 'taken') await answer(`Tiket #${id} sudah diambil oleh ${r.by.name}.`, true);
      else if (r.reason === 'closed') await answer(`Tiket #${id} sudah ditutup.`, true);
      else await answer(`Tiket #${id} tidak ditemukan.`, true);
      return;
    }
    await answer(`Tiket #${id} untuk Anda. Balas pengguna di topiknya.`);
    const topicId = await this.ensureTopic(r.ticket, staff);
    // The pressed button is on the card: its id is known here even when the claim came before
    // the card's id was saved (a press within moments of the card appearing).
    const cardMessageId = r.ticket.cardMessageId ?? cq.message?.message_id;
    const t = { ...r.ticket, ...(topicId !== undefined ? { topicId } : {}), ...(cardMessageId !== undefined ? { cardMessageId } : {}) };
    const link = topicId !== undefined ? `\n${topicLink(this.o.chatId, topicId)}` : '';
    await this.editCard(t, `${cardText(t, this.tz, this.now())}\n\n🙋 Diambil oleh ${staff.name}.${link}`, false);
  }

  private async onCommand(name: string, arg: string, thread: number | undefined, staff: StaffRef): Promise<void> {
    const h = this.o.helpdesk;
    if (name === 'antrean' || name === 'antrian') {
      const q = await h.queue();
      if (q.length === 0) return this.reply(thread, 'Antrean kosong.');
      const lines = q.map(({ ticket: t, position, ageMs }) => `${position}. #${t.id} · menunggu ${ageText(ageMs)} · ${CHANNEL_NAMES[t.channel] ?? t.channel} · ${t.description || '-'}`);
      return this.reply(thread, `Antrean (${q.length}):\n${lines.join('\n')}`);
    }
    // The ticket: the topic's, or a number given after the command (/selesai 12).
    let rest = arg;
    let t: Ticket | undefined;
    const num = /^#?(\d+)\b\s*([\s\S]*)$/.exec(arg);
    if (thread !== undefined && thread !== this.queueTopic) t = await h.tickets.byTopic(thread);
    if (!t && num) {
      t = await h.tickets.get(num[1]!);
      rest = num[2] ?? '';
      if (!t) return this.reply(thread, `Tiket #${num[1]} tidak ditemukan.`);
    }
    if (!t) return this.reply(thread, `Pakai perintah ini di topik tiket, atau tulis nomornya: /${name} 12`);
    switch (name) {
      case 'selesai': {
        const r = await h.close(t.id, staff);
        if (!r.ok) return this.reply(thread, notOk(t.id, r.reason));
        return; // closed() tells the topic and the card
      }
      case 'lepas': {
        const r = await h.release(t.id, staff);
        if (!r.ok) return this.reply(thread, notOk(t.id, r.reason));
        if (t.topicId !== undefined) await this.send(t.topicId, `↩️ Tiket #${t.id} dikembalikan ke antrean oleh ${staff.name}.`);
        if (thread !== t.topicId) await this.reply(thread, `↩️ Tiket #${t.id} dikembalikan ke antrean.`);
        // A fresh card at the bottom of the queue topic; the old one says where it went.
        await this.editCard(t, `${cardText(t, this.tz, this.now())}\n\n↩️ Dikembalikan ke antrean oleh ${staff.name}.`, false);
        await this.postCard(r.ticket);
        return;
      }
      case 'catatan': {
        if (rest === '') return this.reply(thread, 'Tulis catatannya setelah perintah: /catatan pengguna sudah dikirimi tautan panduan');
        const r = await h.note(t.id, staff, rest);
        if (!r.ok) return this.reply(thread, notOk(t.id, r.reason));
        return this.reply(thread, '📝 Catatan disimpan (tidak dikirim ke pengguna).');
      }
    }
  }

  private async reply(thread: number | undefined, text: string): Promise<void> {
    await this.send(thread, text);
  }

  /** Members of the staff group (creator, admins, members; restricted users who are still members). */
  private async isMember(ctx: Context): Promise<boolean> {
    const from = ctx.from;
    if (!from) return false;
    // An anonymous admin writes as the group itself.
    if (from.id === ANONYMOUS_ADMIN) return ctx.msg?.sender_chat?.id === this.o.chatId;
    const now = this.now();
    const hit = this.members.get(from.id);
    if (hit && now - hit.at < (this.o.memberCacheMs ?? 60_000)) return hit.ok;
    let ok = false;
    try {
      const m: ChatMember = await this.api.getChatMember(this.o.chatId, from.id);
      ok = m.status === 'creator' || m.status === 'administrator' || m.status === 'member' || (m.status === 'restricted' && m.is_member);
    } catch (err) {
      this.log.warn({ err: errInfo(err) }, 'helpdesk membership check failed');
      return false;
    }
    if (this.members.size > 1000) this.members.clear();
    this.members.set(from.id, { ok, at: now });
    return ok;
  }

  async idle(): Promise<void> {
    // A relay removes itself when it ends, whatever happened; new ones may start meanwhile.
    for (let running = this.runningRelays(); running.length > 0; running = this.runningRelays()) await Promise.allSettled(running);
  }

  private runningRelays(): Promise<void>[] {
    return [...this.relays.values()].flatMap((q) => (q.running ? [q.running] : []));
  }
}

// ---- texts ------------------------------------------------------------------------------------------

function staffOf(ctx: Context): StaffRef {
  const from = ctx.from!;
  if (from.id === ANONYMOUS_ADMIN) return { id: String(ctx.msg?.sender_chat?.id ?? from.id), name: 'Admin' };
  return { id: String(from.id), name: from.first_name || from.username || `#${from.id}` };
}

function notOk(id: string, reason: string): string {
  if (reason === 'closed') return `Tiket #${id} sudah ditutup; pesan tidak dikirim.`;
  if (reason === 'waiting') return `Tiket #${id} sedang di antrean. Tekan "Ambil" pada kartunya dulu.`;
  if (reason === 'missing') return `Tiket #${id} tidak ditemukan.`;
  return `Tiket #${id} tidak sedang ditangani.`;
}

function topicName(t: Ticket, mark: string): string {
  return `${mark} #${t.id} ${t.description || CHANNEL_NAMES[t.channel] || ''}`.slice(0, 120).trim();
}

export function topicLink(chatId: number, topicId: number): string {
  return `https://t.me/c/${String(chatId).replace(/^-100/, '')}/${topicId}`;
}

export function cardText(t: Ticket, tz: string, now: number): string {
  return [
    `🆕 Tiket #${t.id} · ${CHANNEL_NAMES[t.channel] ?? t.channel} · bahasa ${t.lang}`,
    `Masalah: ${t.description || '-'}`,
    `Dari langkah: ${t.place}`,
    `Dibuka ${timeOfDay(t.openedAt, tz)} ${zoneName(tz)} (${ageText(now - t.openedAt)} lalu)`,
  ].join('\n');
}

const FROM_MARK: Record<TranscriptEntry['from'], string> = { user: '👤', staff: '🧑‍💼', note: '📝', system: '⚙️' };

export function transcriptText(t: Ticket, log: TranscriptEntry[], staff: StaffRef, tz: string, now: number): string {
  const head = [
    `Tiket #${t.id} · ${CHANNEL_NAMES[t.channel] ?? t.channel} · bahasa ${t.lang}`,
    `Masalah: ${t.description || '-'}`,
    `Dari langkah: ${t.place}`,
    `Dibuka ${timeOfDay(t.openedAt, tz)} ${zoneName(tz)}, menunggu ${ageText(now - t.openedAt)} · diambil oleh ${staff.name}`,
  ].join('\n');
  const foot =
    'Tulis di topik ini untuk membalas pengguna. /selesai menutup tiket dan mengembalikan pengguna ke Pandu, /lepas mengembalikan tiket ke antrean, /catatan <teks> untuk catatan internal.';
  const lines = log.map((e) => `${timeOfDay(e.at, tz)} ${FROM_MARK[e.from]}${e.name ? ` ${e.name}:` : ''} ${e.text}`);
  // The newest lines are the ones that matter: older ones go first when it is too long.
  let body = lines.join('\n');
  const room = TEXT_LIMIT - head.length - foot.length - 40;
  if (body.length > room) body = `…\n${body.slice(body.length - room)}`;
  return `${head}\n\nRiwayat:\n${body || '(belum ada pesan)'}\n\n${foot}`;
}

function clip(s: string): string {
  return s.length > TEXT_LIMIT ? `${s.slice(0, TEXT_LIMIT - 1)}…` : s;
}
