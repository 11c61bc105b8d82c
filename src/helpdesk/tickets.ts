// Helpdesk tickets: the queue of users waiting for a person, the conversations staff have taken,
// and what is left of them once closed. Two implementations of one interface:
//
// - RedisTicketStore: everything in Redis, so any Pandu process may restart at any moment and
//   another (or the same, restarted) picks up where it was. Every change of state is one Lua
//   script, so it is atomic: of two staff pressing "Ambil" at once exactly one gets the ticket,
//   and the other learns who has it; a ticket is closed once, whoever closes it.
// - MemoryTicketStore: the same behaviour in one process's memory (REDIS_URL unset). Every method
//   runs to completion without awaiting anything in between, which makes it just as atomic.
//
// Personal data: the description and the transcript are scrubbed (src/log.ts scrubText) before
// they are stored; chat ids are already non-personal (WhatsApp ids are keyed hashes). Closed
// tickets expire after the retention time; "hapus data saya" removes a chat's tickets at once.
//
// Redis layout (all keys under `<prefix>hd:`):
//   seq                 INCR counter of ticket ids; the id is also the ticket's place in the queue
//   t:<id>              HASH  the ticket (fields of `Ticket`, flattened)
//   t:<id>:log          LIST  the transcript, JSON entries, capped to the last `transcriptSize`
//   waiting             ZSET  waiting tickets, score = id (= order of opening)
//   claimed             ZSET  claimed tickets, score = last activity (for the idle sweep)
//   notify              ZSET  closed tickets whose user has not been told yet, score = closedAt
//   chat:<channel>:<id> STRING the open ticket of a chat (at most one)
//   chats:<channel>:<id> SET  every ticket of a chat still kept (for "hapus data saya")
//   topic:<thread id>   STRING the ticket of a staff forum topic
//   stats               HASH  counters (opened, claimed, closed, closed:<reason>, firstReplyCount,
//                             firstReplyMs, rating:<1-5>)
//   meta:<name>         STRING small settings of the staff side (the queue topic id)
//   lock:<name>         STRING short locks (the periodic sweep, one repair at a time)
import type { Redis } from 'ioredis';
import { scrubText } from '../log.ts';
import type { Channel, Lang } from '../core/types.ts';

export type TicketState = 'waiting' | 'claimed' | 'closed';
/** Why a ticket closed: staff (/selesai), the user ("batal"), idle (auto-close), the user left the hand-off, or deleted their data. */
export const CLOSE_REASONS = ['staff', 'user', 'idle', 'left', 'deleted'] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** A staff member as the helpdesk knows them: their Telegram user id and first name. */
export interface StaffRef {
  id: string;
  name: string;
}

export interface Ticket {
  id: string;
  state: TicketState;
  channel: Channel;
  chatId: string;
  lang: Lang;
  /** Where the user was when they asked for a person ("eligibility.age", or "menu"). */
  place: string;
  /** The one line they gave, scrubbed. */
  description: string;
  openedAt: number;
  claimedAt?: number;
  claimedBy?: StaffRef;
  firstReplyAt?: number;
  closedAt?: number;
  closedBy?: StaffRef;
  closeReason?: CloseReason;
  rating?: number;
  /** Last message either way (or the claim): the idle auto-close counts from here. */
  lastActivityAt: number;
  /** Reminders sent to the user while waiting, and when the last one went. */
  reminders: number;
  remindedAt?: number;
  /** The staff side's forum topic and queue card. */
  topicId?: number;
  cardMessageId?: number;
}

export interface TranscriptEntry {
  at: number;
  /** user: the user; staff: a staff member (name given); note: an internal staff note; system: what happened. */
  from: 'user' | 'staff' | 'note' | 'system';
  text: string;
  name?: string;
}

export interface OpenInput {
  channel: Channel;
  chatId: string;
  lang: Lang;
  place: string;
  description: string;
}

export type ClaimResult =
  | { ok: true; ticket: Ticket }
  | { ok: false; reason: 'taken'; by: StaffRef; ticket: Ticket }
  | { ok: false; reason: 'closed' | 'missing' };

export interface HelpdeskCounts {
  opened: number;
  /** Tickets claimed for the first time (a ticket put back and claimed again counts once). */
  claimed: number;
  closed: number;
  closedBy: Record<CloseReason, number>;
  /** Waiting now (the queue length) and claimed now. */
  waiting: number;
  active: number;
  /** Time from opening to the first staff message, summed over tickets that got one. */
  firstReply: { count: number; totalMs: number };
  ratings: Record<'1' | '2' | '3' | '4' | '5', number>;
}

/** Fields the service may set on a ticket besides its state. */
export type TicketPatch = Partial<Pick<Ticket, 'topicId' | 'cardMessageId' | 'reminders' | 'remindedAt' | 'lang'>>;

export interface TicketStore {
  /** Opens a ticket for the chat, or returns the chat's open one (`created: false`). */
  open(input: OpenInput, now: number): Promise<{ ticket: Ticket; created: boolean }>;
  get(id: string): Promise<Ticket | undefined>;
  /** The chat's open (waiting or claimed) ticket. */
  openOf(channel: Channel, chatId: string): Promise<Ticket | undefined>;
  byTopic(topicId: number): Promise<Ticket | undefined>;
  /** 1-based place in the queue; undefined when not waiting. */
  position(id: string): Promise<number | undefined>;
  /** Waiting tickets, first opened first. */
  waiting(): Promise<Ticket[]>;
  /** Claimed tickets, least recently active first. */
  claimed(): Promise<Ticket[]>;
  claim(id: string, staff: StaffRef, now: number): Promise<ClaimResult>;
  /** Claimed -> waiting, at its original place in the queue. Undefined when it was not claimed. */
  release(id: string, now: number): Promise<Ticket | undefined>;
  /** Closes an open ticket; undefined when it was already closed (or is unknown): the first close wins. */
  close(id: string, reason: CloseReason, by: StaffRef | undefined, now: number): Promise<Ticket | undefined>;
  /**
   * Adds to the transcript (scrubbed here). `activity` moves the idle clock; a staff entry sets
   * the first-reply time once. Returns the time to first reply when this entry was the first.
   */
  append(id: string, entry: TranscriptEntry, o?: { activity?: boolean }): Promise<{ firstReplyMs?: number }>;
  transcript(id: string): Promise<TranscriptEntry[]>;
  update(id: string, patch: TicketPatch): Promise<void>;
  /** Links a staff forum topic to the ticket (both ways). */
  setTopic(id: string, topicId: number): Promise<void>;
  /** The user's 1-5 rating of a closed ticket; once. */
  rate(id: string, rating: number): Promise<boolean>;
  /** Closed tickets whose user has not been told yet, and marking them told. */
  unnotified(): Promise<string[]>;
  markNotified(id: string): Promise<void>;
  /** Removes every ticket of the chat (closing an open one first, reason "deleted"); returns the open one it closed. */
  forgetChat(channel: Channel, chatId: string, now: number): Promise<Ticket | undefined>;
  counts(): Promise<HelpdeskCounts>;
  /** The waiting-queue length (cheap: for the metrics gauge). */
  queueLength(): Promise<number>;
  /** A short exclusive lock (the periodic sweep across processes); true when taken. */
  tryLock(name: string, ms: number): Promise<boolean>;
  unlock(name: string): Promise<void>;
  getMeta(name: string): Promise<string | undefined>;
  setMeta(name: string, value: string): Promise<void>;
}

export interface TicketStoreOptions {
  /** Transcript entries kept per ticket (the last N). Default 30. */
  transcriptSize?: number;
  /** How long a closed ticket is kept (for its rating, the staff's look back). Default 30 days. */
  retentionMs?: number;
}

const DEFAULT_TRANSCRIPT = 30;
const DEFAULT_RETENTION = 30 * 86_400_000;
/** Longest description and transcript entry kept. */
export const MAX_DESCRIPTION = 200;
export const MAX_ENTRY = 1000;

/** One line, at most MAX_DESCRIPTION characters, personal data scrubbed. */
export function cleanDescription(s: string): string {
  const line = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return scrubText(line).slice(0, MAX_DESCRIPTION);
}

/** An entry as it is stored (and shown to staff): personal data scrubbed, length capped. */
export function cleanEntry(e: TranscriptEntry): TranscriptEntry {
  const text = scrubText(e.text.replace(/\u0000/g, '')).slice(0, MAX_ENTRY);
  return e.name === undefined ? { at: e.at, from: e.from, text } : { at: e.at, from: e.from, text, name: e.name };
}

function emptyCounts(): HelpdeskCounts {
  return {
    opened: 0,
    claimed: 0,
    closed: 0,
    closedBy: { staff: 0, user: 0, idle: 0, left: 0, deleted: 0 },
    waiting: 0,
    active: 0,
    firstReply: { count: 0, totalMs: 0 },
    ratings: { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 },
  };
}

// =============================================================================================
// In memory
// =============================================================================================

export class MemoryTicketStore implements TicketStore {
  private seq = 0;
  private readonly tickets = new Map<string, Ticket>();
  private readonly logs = new Map<string, TranscriptEntry[]>();
  private readonly chats = new Map<string, string>();
  private readonly topics = new Map<number, string>();
  private readonly notify = new Set<string>();
  private readonly locks = new Map<string, number>();
  private readonly meta = new Map<string, string>();
  private readonly stats = emptyCounts();
  private readonly size: number;
  private readonly retention: number;

  constructor(o: TicketStoreOptions = {}) {
    this.size = o.transcriptSize ?? DEFAULT_TRANSCRIPT;
    this.retention = o.retentionMs ?? DEFAULT_RETENTION;
  }

  async open(input: OpenInput, now: number): Promise<{ ticket: Ticket; created: boolean }> {
    this.prune(now);
    const chatKey = `${input.channel}:${input.chatId}`;
    const had = this.chats.get(chatKey);
    const existing = had ? this.tickets.get(had) : undefined;
    if (existing && existing.state !== 'closed') return { ticket: copy(existing), created: false };
    const id = String(++this.seq);
    const t: Ticket = {
      id,
      state: 'waiting',
      channel: input.channel,
      chatId: input.chatId,
      lang: input.lang,
      place: input.place,
      description: cleanDescription(input.description),
      openedAt: now,
      lastActivityAt: now,
      reminders: 0,
    };
    this.tickets.set(id, t);
    this.logs.set(id, []);
    this.chats.set(chatKey, id);
    this.stats.opened++;
    return { ticket: copy(t), created: true };
  }

  async get(id: string): Promise<Ticket | undefined> {
    const t = this.tickets.get(id);
    return t ? copy(t) : undefined;
  }

  async openOf(channel: Channel, chatId: string): Promise<Ticket | undefined> {
    const id = this.chats.get(`${channel}:${chatId}`);
    const t = id ? this.tickets.get(id) : undefined;
    return t && t.state !== 'closed' ? copy(t) : undefined;
  }

  async byTopic(topicId: number): Promise<Ticket | undefined> {
    const id = this.topics.get(topicId);
    return id ? this.get(id) : undefined;
  }

  async position(id: string): Promise<number | undefined> {
    const t = this.tickets.get(id);
    if (!t || t.state !== 'waiting') return undefined;
    return this.waitingIds().indexOf(id) + 1;
  }

  async waiting(): Promise<Ticket[]> {
    return this.waitingIds().map((id) => copy(this.tickets.get(id)!));
  }

  async claimed(): Promise<Ticket[]> {
    return [...this.tickets.values()].filter((t) => t.state === 'claimed').sort((a, b) => a.lastActivityAt - b.lastActivityAt).map(copy);
  }

  async claim(id: string, staff: StaffRef, now: number): Promise<ClaimResult> {
    const t = this.tickets.get(id);
    if (!t) return { ok: false, reason: 'missing' };
    if (t.state === 'closed') return { ok: false, reason: 'closed' };
    if (t.state === 'claimed') return { ok: false, reason: 'taken', by: { ...t.claimedBy! }, ticket: copy(t) };
    if (t.claimedAt === undefined) this.stats.claimed++;
    t.state = 'claimed';
    t.claimedAt = now;
    t.claimedBy = { ...staff };
    t.lastActivityAt = now;
    return { ok: true, ticket: copy(t) };
  }

  async release(id: string, now: number): Promise<Ticket | undefined> {
    const t = this.tickets.get(id);
    if (!t || t.state !== 'claimed') return undefined;
    t.state = 'waiting';
    t.claimedBy = undefined;
    t.remindedAt = now;
    t.lastActivityAt = now;
    return copy(t);
  }

  async close(id: string, reason: CloseReason, by: StaffRef | undefined, now: number): Promise<Ticket | undefined> {
    const t = this.tickets.get(id);
    if (!t || t.state === 'closed') return undefined;
    t.state = 'closed';
    t.closedAt = now;
    t.closeReason = reason;
    if (by) t.closedBy = { ...by };
    const chatKey = `${t.channel}:${t.chatId}`;
    if (this.chats.get(chatKey) === id) this.chats.delete(chatKey);
    this.stats.closed++;
    this.stats.closedBy[reason]++;
    if (reason !== 'deleted') this.notify.add(id);
    return copy(t);
  }

  async append(id: string, entry: TranscriptEntry, o: { activity?: boolean } = {}): Promise<{ firstReplyMs?: number }> {
    const t = this.tickets.get(id);
    const log = this.logs.get(id);
    if (!t || !log) return {};
    log.push(cleanEntry(entry));
    if (log.length > this.size) log.splice(0, log.length - this.size);
    if (o.activity) t.lastActivityAt = Math.max(t.lastActivityAt, entry.at);
    if (entry.from === 'staff' && t.firstReplyAt === undefined) {
      t.firstReplyAt = entry.at;
      const ms = Math.max(0, entry.at - t.openedAt);
      this.stats.firstReply.count++;
      this.stats.firstReply.totalMs += ms;
      return { firstReplyMs: ms };
    }
    return {};
  }

  async transcript(id: string): Promise<TranscriptEntry[]> {
    return (this.logs.get(id) ?? []).map((e) => ({ ...e }));
  }

  async update(id: string, patch: TicketPatch): Promise<void> {
    const t = this.tickets.get(id);
    if (t) Object.assign(t, patch);
  }

  async setTopic(id: string, topicId: number): Promise<void> {
    const t = this.tickets.get(id);
    if (!t) return;
    t.topicId = topicId;
    this.topics.set(topicId, id);
  }

  async rate(id: string, rating: number): Promise<boolean> {
    const t = this.tickets.get(id);
    if (!t || t.state !== 'closed' || t.rating !== undefined || !validRating(rating)) return false;
    t.rating = rating;
    this.stats.ratings[String(rating) as '1']++;
    return true;
  }

  async unnotified(): Promise<string[]> {
    return [...this.notify];
  }

  async markNotified(id: string): Promise<void> {
    this.notify.delete(id);
  }

  async forgetChat(channel: Channel, chatId: string, now: number): Promise<Ticket | undefined> {
    const open = await this.openOf(channel, chatId);
    const closed = open ? await this.close(open.id, 'deleted', undefined, now) : undefined;
    for (const [id, t] of [...this.tickets]) if (t.channel === channel && t.chatId === chatId) this.drop(id);
    return closed;
  }

  async counts(): Promise<HelpdeskCounts> {
    const c = structuredClone(this.stats);
    c.waiting = this.waitingIds().length;
    c.active = [...this.tickets.values()].filter((t) => t.state === 'claimed').length;
    return c;
  }

  async queueLength(): Promise<number> {
    return this.waitingIds().length;
  }

  async tryLock(name: string, ms: number): Promise<boolean> {
    const until = this.locks.get(name);
    const now = Date.now();
    if (until !== undefined && until > now) return false;
    this.locks.set(name, now + ms);
    return true;
  }

  async unlock(name: string): Promise<void> {
    this.locks.delete(name);
  }

  async getMeta(name: string): Promise<string | undefined> {
    return this.meta.get(name);
  }

  async setMeta(name: string, value: string): Promise<void> {
    this.meta.set(name, value);
  }

  private waitingIds(): string[] {
    return [...this.tickets.values()].filter((t) => t.state === 'waiting').sort((a, b) => Number(a.id) - Number(b.id)).map((t) => t.id);
  }

  private drop(id: string): void {
    const t = this.tickets.get(id);
    if (t?.topicId !== undefined) this.topics.delete(t.topicId);
    this.tickets.delete(id);
    this.logs.delete(id);
    this.notify.delete(id);
  }

  /** Closed tickets past the retention time go, as Redis expires them. */
  private prune(now: number): void {
    for (const [id, t] of this.tickets) if (t.state === 'closed' && t.closedAt !== undefined && now - t.closedAt > this.retention) this.drop(id);
  }
}

function copy(t: Ticket): Ticket {
  return structuredClone(t);
}

function validRating(r: number): boolean {
  return Number.isInteger(r) && r >= 1 && r <= 5;
}

// =============================================================================================
// Redis
// =============================================================================================

// Each script gets the key prefix (`<prefix>hd:`) as ARGV[1] and builds the keys of one ticket
// from it. (Pandu runs against one Redis, not a cluster; the keys of a script are not all
// declared up front.)

const OPEN = `
local p = ARGV[1]
local chatKey = p .. 'chat:' .. ARGV[3] .. ':' .. ARGV[4]
local had = redis.call('GET', chatKey)
if had then
  local st = redis.call('HGET', p .. 't:' .. had, 'state')
  if st == 'waiting' or st == 'claimed' then return {had, 0} end
end
local id = tostring(redis.call('INCR', p .. 'seq'))
redis.call('HSET', p .. 't:' .. id, 'id', id, 'state', 'waiting', 'channel', ARGV[3], 'chatId', ARGV[4], 'lang', ARGV[5],
  'place', ARGV[6], 'description', ARGV[7], 'openedAt', ARGV[2], 'lastActivityAt', ARGV[2], 'reminders', '0')
redis.call('ZADD', p .. 'waiting', tonumber(id), id)
redis.call('SET', chatKey, id)
redis.call('SADD', p .. 'chats:' .. ARGV[3] .. ':' .. ARGV[4], id)
redis.call('HINCRBY', p .. 'stats', 'opened', 1)
return {id, 1}
`;

const CLAIM = `
local p = ARGV[1]
local id = ARGV[2]
local tk = p .. 't:' .. id
local st = redis.call('HGET', tk, 'state')
if not st then return {'missing'} end
if st == 'closed' then return {'closed'} end
if st == 'claimed' then return {'taken', redis.call('HGET', tk, 'claimedById'), redis.call('HGET', tk, 'claimedByName')} end
if redis.call('HSETNX', tk, 'firstClaimedAt', ARGV[3]) == 1 then redis.call('HINCRBY', p .. 'stats', 'claimed', 1) end
redis.call('HSET', tk, 'state', 'claimed', 'claimedAt', ARGV[3], 'claimedById', ARGV[4], 'claimedByName', ARGV[5], 'lastActivityAt', ARGV[3])
redis.call('ZREM', p .. 'waiting', id)
redis.call('ZADD', p .. 'claimed', tonumber(ARGV[3]), id)
return {'ok'}
`;

const RELEASE = `
local p = ARGV[1]
local id = ARGV[2]
local tk = p .. 't:' .. id
if redis.call('HGET', tk, 'state') ~= 'claimed' then return 0 end
redis.call('HSET', tk, 'state', 'waiting', 'remindedAt', ARGV[3], 'lastActivityAt', ARGV[3])
redis.call('HDEL', tk, 'claimedById', 'claimedByName')
redis.call('ZREM', p .. 'claimed', id)
redis.call('ZADD', p .. 'waiting', tonumber(id), id)
return 1
`;

const CLOSE = `
local p = ARGV[1]
local id = ARGV[2]
local tk = p .. 't:' .. id
local st = redis.call('HGET', tk, 'state')
if not st or st == 'closed' then return 0 end
local now, reason, retention = ARGV[3], ARGV[4], tonumber(ARGV[7])
redis.call('HSET', tk, 'state', 'closed', 'closedAt', now, 'closeReason', reason)
if ARGV[5] ~= '' then redis.call('HSET', tk, 'closedById', ARGV[5], 'closedByName', ARGV[6]) end
redis.call('ZREM', p .. 'waiting', id)
redis.call('ZREM', p .. 'claimed', id)
local f = redis.call('HMGET', tk, 'channel', 'chatId', 'topicId')
local chatKey = p .. 'chat:' .. f[1] .. ':' .. f[2]
if redis.call('GET', chatKey) == id then redis.call('DEL', chatKey) end
redis.call('HINCRBY', p .. 'stats', 'closed', 1)
redis.call('HINCRBY', p .. 'stats', 'closed:' .. reason, 1)
if reason ~= 'deleted' then redis.call('ZADD', p .. 'notify', tonumber(now), id) end
redis.call('PEXPIRE', tk, retention)
redis.call('PEXPIRE', tk .. ':log', retention)
if f[3] then redis.call('PEXPIRE', p .. 'topic:' .. f[3], retention) end
return 1
`;

const APPEND = `
local p = ARGV[1]
local id = ARGV[2]
local tk = p .. 't:' .. id
local st = redis.call('HGET', tk, 'state')
if not st then return -1 end
redis.call('RPUSH', tk .. ':log', ARGV[3])
redis.call('LTRIM', tk .. ':log', -tonumber(ARGV[4]), -1)
if st == 'closed' then redis.call('PEXPIRE', tk .. ':log', redis.call('PTTL', tk)) end
local at = tonumber(ARGV[5])
if ARGV[6] == '1' then
  local last = tonumber(redis.call('HGET', tk, 'lastActivityAt') or '0')
  if at > last then
    redis.call('HSET', tk, 'lastActivityAt', ARGV[5])
    if st == 'claimed' then redis.call('ZADD', p .. 'claimed', 'XX', at, id) end
  end
end
if ARGV[7] == '1' and redis.call('HSETNX', tk, 'firstReplyAt', ARGV[5]) == 1 then
  local ms = at - tonumber(redis.call('HGET', tk, 'openedAt'))
  if ms < 0 then ms = 0 end
  redis.call('HINCRBY', p .. 'stats', 'firstReplyCount', 1)
  redis.call('HINCRBY', p .. 'stats', 'firstReplyMs', ms)
  return ms
end
return -1
`;

const RATE = `
local p = ARGV[1]
local tk = p .. 't:' .. ARGV[2]
if redis.call('HGET', tk, 'state') ~= 'closed' then return 0 end
if redis.call('HSETNX', tk, 'rating', ARGV[3]) == 0 then return 0 end
redis.call('HINCRBY', p .. 'stats', 'rating:' .. ARGV[3], 1)
return 1
`;

/** HSET only on a ticket that still exists (a patch must not resurrect an expired ticket as a stub). */
const UPDATE = `
local tk = ARGV[1] .. 't:' .. ARGV[2]
if redis.call('EXISTS', tk) == 0 then return 0 end
for i = 3, #ARGV, 2 do redis.call('HSET', tk, ARGV[i], ARGV[i + 1]) end
return 1
`;

const SET_TOPIC = `
local p = ARGV[1]
local tk = p .. 't:' .. ARGV[2]
if redis.call('EXISTS', tk) == 0 then return 0 end
redis.call('HSET', tk, 'topicId', ARGV[3])
redis.call('SET', p .. 'topic:' .. ARGV[3], ARGV[2])
return 1
`;

const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface RedisTicketStoreOptions extends TicketStoreOptions {
  /** The deployment's key prefix (REDIS_KEY_PREFIX, e.g. "pandu:"); helpdesk keys go under `<prefix>hd:`. */
  prefix: string;
}

export class RedisTicketStore implements TicketStore {
  private readonly p: string;
  private readonly size: number;
  private readonly retention: number;
  private readonly lockTokens = new Map<string, string>();

  constructor(
    private readonly redis: Redis,
    o: RedisTicketStoreOptions,
  ) {
    this.p = `${o.prefix}hd:`;
    this.size = o.transcriptSize ?? DEFAULT_TRANSCRIPT;
    this.retention = o.retentionMs ?? DEFAULT_RETENTION;
  }

  private run(script: string, ...args: (string | number)[]): Promise<unknown> {
    return this.redis.eval(script, 0, this.p, ...args.map(String));
  }

  async open(input: OpenInput, now: number): Promise<{ ticket: Ticket; created: boolean }> {
    const [id, created] = (await this.run(OPEN, now, input.channel, input.chatId, input.lang, input.place, cleanDescription(input.description))) as [string, number];
    const ticket = await this.get(String(id));
    if (!ticket) throw new Error(`ticket ${id} vanished right after opening`);
    return { ticket, created: Number(created) === 1 };
  }

  async get(id: string): Promise<Ticket | undefined> {
    const h = await this.redis.hgetall(`${this.p}t:${id}`);
    return decodeTicket(h);
  }

  async openOf(channel: Channel, chatId: string): Promise<Ticket | undefined> {
    const id = await this.redis.get(`${this.p}chat:${channel}:${chatId}`);
    if (!id) return undefined;
    const t = await this.get(id);
    return t && t.state !== 'closed' ? t : undefined;
  }

  async byTopic(topicId: number): Promise<Ticket | undefined> {
    const id = await this.redis.get(`${this.p}topic:${topicId}`);
    return id ? this.get(id) : undefined;
  }

  async position(id: string): Promise<number | undefined> {
    const rank = await this.redis.zrank(`${this.p}waiting`, id);
    return rank === null ? undefined : rank + 1;
  }

  async waiting(): Promise<Ticket[]> {
    return this.many(await this.redis.zrange(`${this.p}waiting`, '0', '-1'));
  }

  async claimed(): Promise<Ticket[]> {
    return this.many(await this.redis.zrange(`${this.p}claimed`, '0', '-1'));
  }

  private async many(ids: string[]): Promise<Ticket[]> {
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(`${this.p}t:${id}`);
    const res = (await pipe.exec()) ?? [];
    return res.map(([, h]) => decodeTicket(h as Record<string, string>)).filter((t): t is Ticket => t !== undefined);
  }

  async claim(id: string, staff: StaffRef, now: number): Promise<ClaimResult> {
    const r = (await this.run(CLAIM, id, now, staff.id, staff.name)) as string[];
    if (r[0] === 'missing') return { ok: false, reason: 'missing' };
    if (r[0] === 'closed') return { ok: false, reason: 'closed' };
    const ticket = await this.get(id);
    if (!ticket) return { ok: false, reason: 'missing' };
    if (r[0] === 'taken') return { ok: false, reason: 'taken', by: { id: r[1] ?? '', name: r[2] ?? '' }, ticket };
    return { ok: true, ticket };
  }

  async release(id: string, now: number): Promise<Ticket | undefined> {
    const r = await this.run(RELEASE, id, now);
    return Number(r) === 1 ? this.get(id) : undefined;
  }

  async close(id: string, reason: CloseReason, by: StaffRef | undefined, now: number): Promise<Ticket | undefined> {
    const r = await this.run(CLOSE, id, now, reason, by?.id ?? '', by?.name ?? '', this.retention);
    return Number(r) === 1 ? this.get(id) : undefined;
  }

  async append(id: string, entry: TranscriptEntry, o: { activity?: boolean } = {}): Promise<{ firstReplyMs?: number }> {
    const e = cleanEntry(entry);
    const ms = Number(await this.run(APPEND, id, JSON.stringify(e), this.size, e.at, o.activity ? '1' : '0', e.from === 'staff' ? '1' : '0'));
    return ms >= 0 ? { firstReplyMs: ms } : {};
  }

  async transcript(id: string): Promise<TranscriptEntry[]> {
    const raw = await this.redis.lrange(`${this.p}t:${id}:log`, 0, -1);
    const out: TranscriptEntry[] = [];
    for (const r of raw) {
      try {
        out.push(JSON.parse(r) as TranscriptEntry);
      } catch {
        // a damaged entry is skipped, the rest of the transcript still shown
      }
    }
    return out;
  }

  async update(id: string, patch: TicketPatch): Promise<void> {
    const args: string[] = [];
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) args.push(k, String(v));
    if (args.length) await this.run(UPDATE, id, ...args);
  }

  async setTopic(id: string, topicId: number): Promise<void> {
    await this.run(SET_TOPIC, id, topicId);
  }

  async rate(id: string, rating: number): Promise<boolean> {
    if (!validRating(rating)) return false;
    return Number(await this.run(RATE, id, rating)) === 1;
  }

  async unnotified(): Promise<string[]> {
    return this.redis.zrange(`${this.p}notify`, '0', '-1');
  }

  async markNotified(id: string): Promise<void> {
    await this.redis.zrem(`${this.p}notify`, id);
  }

  async forgetChat(channel: Channel, chatId: string, now: number): Promise<Ticket | undefined> {
    const open = await this.openOf(channel, chatId);
    const closed = open ? await this.close(open.id, 'deleted', undefined, now) : undefined;
    const setKey = `${this.p}chats:${channel}:${chatId}`;
    const ids = await this.redis.smembers(setKey);
    if (ids.length) {
      const topics = await Promise.all(ids.map((id) => this.redis.hget(`${this.p}t:${id}`, 'topicId')));
      const keys = ids.flatMap((id) => [`${this.p}t:${id}`, `${this.p}t:${id}:log`]);
      for (const t of topics) if (t) keys.push(`${this.p}topic:${t}`);
      await this.redis.del(...keys);
      await this.redis.zrem(`${this.p}notify`, ...ids);
    }
    await this.redis.del(setKey, `${this.p}chat:${channel}:${chatId}`);
    return closed;
  }

  async counts(): Promise<HelpdeskCounts> {
    const [h, waiting, active] = await Promise.all([
      this.redis.hgetall(`${this.p}stats`),
      this.redis.zcard(`${this.p}waiting`),
      this.redis.zcard(`${this.p}claimed`),
    ]);
    const n = (k: string) => Number(h[k] ?? 0);
    const c = emptyCounts();
    c.opened = n('opened');
    c.claimed = n('claimed');
    c.closed = n('closed');
    for (const r of CLOSE_REASONS) c.closedBy[r] = n(`closed:${r}`);
    c.waiting = waiting;
    c.active = active;
    c.firstReply = { count: n('firstReplyCount'), totalMs: n('firstReplyMs') };
    for (const r of ['1', '2', '3', '4', '5'] as const) c.ratings[r] = n(`rating:${r}`);
    return c;
  }

  queueLength(): Promise<number> {
    return this.redis.zcard(`${this.p}waiting`);
  }

  async tryLock(name: string, ms: number): Promise<boolean> {
    const token = `${process.pid}:${Math.random().toString(36).slice(2)}`;
    const ok = await this.redis.set(`${this.p}lock:${name}`, token, 'PX', ms, 'NX');
    if (ok === 'OK') this.lockTokens.set(name, token);
    return ok === 'OK';
  }

  async unlock(name: string): Promise<void> {
    const token = this.lockTokens.get(name);
    if (!token) return;
    this.lockTokens.delete(name);
    await this.redis.eval(UNLOCK, 1, `${this.p}lock:${name}`, token);
  }

  async getMeta(name: string): Promise<string | undefined> {
    return (await this.redis.get(`${this.p}meta:${name}`)) ?? undefined;
  }

  async setMeta(name: string, value: string): Promise<void> {
    await this.redis.set(`${this.p}meta:${name}`, value);
  }
}

function decodeTicket(h: Record<string, string> | null | undefined): Ticket | undefined {
  if (!h || !h.id || !h.state) return undefined;
  const num = (k: string) => (h[k] === undefined || h[k] === '' ? undefined : Number(h[k]));
  const t: Ticket = {
    id: h.id,
    state: h.state as TicketState,
    channel: h.channel as Channel,
    chatId: h.chatId ?? '',
    lang: (h.lang === 'en' ? 'en' : 'id') as Lang,
    place: h.place ?? '',
    description: h.description ?? '',
    openedAt: num('openedAt') ?? 0,
    lastActivityAt: num('lastActivityAt') ?? 0,
    reminders: num('reminders') ?? 0,
  };
  const set = <K extends keyof Ticket>(k: K, v: Ticket[K] | undefined) => {
    if (v !== undefined) t[k] = v;
  };
  set('claimedAt', num('claimedAt'));
  if (h.claimedById) t.claimedBy = { id: h.claimedById, name: h.claimedByName ?? '' };
  set('firstReplyAt', num('firstReplyAt'));
  set('closedAt', num('closedAt'));
  if (h.closedById) t.closedBy = { id: h.closedById, name: h.closedByName ?? '' };
  if (h.closeReason) t.closeReason = h.closeReason as CloseReason;
  set('rating', num('rating'));
  set('remindedAt', num('remindedAt'));
  set('topicId', num('topicId'));
  set('cardMessageId', num('cardMessageId'));
  return t;
}
