// The ticket store: one contract suite, run against the in-memory store and the Redis store
// (each Redis test with a key prefix of its own), plus what only Redis can show: two processes
// racing for one ticket, and a restart that loses nothing.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MemoryTicketStore, RedisTicketStore, type OpenInput, type TicketStore } from '../src/helpdesk/tickets.ts';
import { describeHours, formatWhen, isOpen, nextOpening, parseHours, windowStart } from '../src/helpdesk/hours.ts';
import { z } from 'zod';
import { HELPDESK_ENV, helpdeskSettings } from '../src/helpdesk/config.ts';

const T0 = Date.UTC(2026, 10, 23, 3, 0); // Monday 23 Nov 2026, 10.00 WIB
const BUDI = { id: '501', name: 'Budi' };
const SARI = { id: '502', name: 'Sari' };

function input(chatId: string, o: Partial<OpenInput> = {}): OpenInput {
  return { channel: 'telegram', chatId, lang: 'id', place: 'eligibility.age', description: 'saldo belum masuk', ...o };
}

let redis: Redis;
let seq = 0;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await redis.quit();
});

function prefix(): string {
  return `test:hd:${process.pid}:${++seq}:`;
}

const stores: [string, () => TicketStore][] = [
  ['memory', () => new MemoryTicketStore({ transcriptSize: 5 })],
  ['redis', () => new RedisTicketStore(redis, { prefix: prefix(), transcriptSize: 5 })],
];

describe.each(stores)('%s ticket store', (_name, make) => {
  it('opens a waiting ticket with who, where and a scrubbed one-line description', async () => {
    const s = make();
    const { ticket, created } = await s.open(input('11', { description: 'NIK saya 3171234567890001\nsaldo  belum masuk, hp 081234567890' }), T0);
    expect(created).toBe(true);
    expect(ticket).toMatchObject({ state: 'waiting', channel: 'telegram', chatId: '11', lang: 'id', place: 'eligibility.age', openedAt: T0, reminders: 0 });
    expect(ticket.description).toBe('NIK saya [redacted] saldo belum masuk, hp [redacted]');
    expect(await s.get(ticket.id)).toEqual(ticket);
  });

  it('gives a chat one open ticket: asking again returns the same one', async () => {
    const s = make();
    const a = await s.open(input('11'), T0);
    const b = await s.open(input('11', { description: 'lagi' }), T0 + 1000);
    expect(b.created).toBe(false);
    expect(b.ticket.id).toBe(a.ticket.id);
    expect((await s.openOf('telegram', '11'))?.id).toBe(a.ticket.id);
    expect(await s.openOf('whatsapp', '11')).toBeUndefined();
  });

  it('keeps the queue in opening order and computes places from it', async () => {
    const s = make();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await s.open(input(`c${i}`), T0 + i)).ticket.id);
    expect((await s.waiting()).map((t) => t.id)).toEqual(ids);
    expect(await s.position(ids[0]!)).toBe(1);
    expect(await s.position(ids[11]!)).toBe(12);
    expect(await s.queueLength()).toBe(12);
    await s.claim(ids[0]!, BUDI, T0 + 100);
    expect(await s.position(ids[11]!)).toBe(11);
    expect(await s.position(ids[0]!)).toBeUndefined();
  });

  it('claims atomically: of two claimers exactly one wins, the other learns who has it', async () => {
    const s = make();
    const { ticket } = await s.open(input('11'), T0);
    const [a, b] = await Promise.all([s.claim(ticket.id, BUDI, T0 + 5), s.claim(ticket.id, SARI, T0 + 5)]);
    const wins = [a, b].filter((r) => r.ok);
    expect(wins).toHaveLength(1);
    const lost = [a, b].find((r) => !r.ok)!;
    expect(lost).toMatchObject({ ok: false, reason: 'taken', by: a.ok ? BUDI : SARI });
    const t = await s.get(ticket.id);
    expect(t).toMatchObject({ state: 'claimed', claimedAt: T0 + 5, claimedBy: a.ok ? BUDI : SARI });
    expect(await s.claim('999', BUDI, T0)).toEqual({ ok: false, reason: 'missing' });
  });

  it('puts a released ticket back at its original place', async () => {
    const s = make();
    const first = (await s.open(input('a'), T0)).ticket;
    await s.open(input('b'), T0 + 1);
    await s.claim(first.id, BUDI, T0 + 2);
    expect(await s.position(first.id)).toBeUndefined();
    const back = await s.release(first.id, T0 + 3);
    expect(back).toMatchObject({ state: 'waiting' });
    expect(back?.claimedBy).toBeUndefined();
    expect(await s.position(first.id)).toBe(1);
    expect(await s.release(first.id, T0 + 4)).toBeUndefined();
    expect((await s.claim(first.id, SARI, T0 + 5)).ok).toBe(true);
  });

  it('closes once: the first close wins, the chat may open a new ticket, the user is to be told', async () => {
    const s = make();
    const { ticket } = await s.open(input('11'), T0);
    await s.claim(ticket.id, BUDI, T0 + 1);
    const [a, b] = await Promise.all([s.close(ticket.id, 'staff', BUDI, T0 + 2), s.close(ticket.id, 'idle', undefined, T0 + 2)]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    const closed = (await s.get(ticket.id))!;
    expect(closed.state).toBe('closed');
    expect(await s.openOf('telegram', '11')).toBeUndefined();
    expect(await s.claimed()).toEqual([]);
    expect(await s.unnotified()).toEqual([ticket.id]);
    await s.markNotified(ticket.id);
    expect(await s.unnotified()).toEqual([]);
    expect((await s.claim(ticket.id, SARI, T0 + 3)).ok).toBe(false);
    const again = await s.open(input('11'), T0 + 4);
    expect(again.created).toBe(true);
    expect(again.ticket.id).not.toBe(ticket.id);
  });

  it('keeps the last N transcript entries, scrubbed; staff replies set the first-reply time once', async () => {
    const s = make();
    const { ticket } = await s.open(input('11'), T0);
    await s.claim(ticket.id, BUDI, T0 + 60_000);
    for (let i = 1; i <= 6; i++) await s.append(ticket.id, { at: T0 + i, from: 'user', text: `pesan ${i}` });
    const first = await s.append(ticket.id, { at: T0 + 120_000, from: 'staff', text: 'Halo, hubungi 0812-3456-7890', name: 'Budi' }, { activity: true });
    const second = await s.append(ticket.id, { at: T0 + 180_000, from: 'staff', text: 'ada lagi?', name: 'Budi' }, { activity: true });
    expect(first.firstReplyMs).toBe(120_000);
    expect(second.firstReplyMs).toBeUndefined();
    const log = await s.transcript(ticket.id);
    expect(log).toHaveLength(5);
    expect(log.map((e) => e.text)).toEqual(['pesan 4', 'pesan 5', 'pesan 6', 'Halo, hubungi [redacted]', 'ada lagi?']);
    const t = (await s.get(ticket.id))!;
    expect(t.firstReplyAt).toBe(T0 + 120_000);
    expect(t.lastActivityAt).toBe(T0 + 180_000);
  });

  it('orders claimed tickets by last activity (for the idle sweep)', async () => {
    const s = make();
    const a = (await s.open(input('a'), T0)).ticket;
    const b = (await s.open(input('b'), T0)).ticket;
    await s.claim(a.id, BUDI, T0 + 10);
    await s.claim(b.id, SARI, T0 + 20);
    await s.append(a.id, { at: T0 + 30, from: 'user', text: 'x' }, { activity: true });
    expect((await s.claimed()).map((t) => t.id)).toEqual([b.id, a.id]);
  });

  it('links topics, patches fields, rates once, counts everything', async () => {
    const s = make();
    const { ticket } = await s.open(input('11'), T0);
    await s.setTopic(ticket.id, 77);
    await s.update(ticket.id, { cardMessageId: 5, reminders: 2, remindedAt: T0 + 9 });
    expect((await s.byTopic(77))?.id).toBe(ticket.id);
    expect(await s.get(ticket.id)).toMatchObject({ topicId: 77, cardMessageId: 5, reminders: 2, remindedAt: T0 + 9 });
    expect(await s.rate(ticket.id, 5)).toBe(false); // not closed yet
    await s.claim(ticket.id, BUDI, T0 + 100);
    await s.append(ticket.id, { at: T0 + 400, from: 'staff', text: 'hai', name: 'Budi' });
    await s.close(ticket.id, 'staff', BUDI, T0 + 500);
    expect(await s.rate(ticket.id, 4)).toBe(true);
    expect(await s.rate(ticket.id, 5)).toBe(false);
    expect(await s.rate(ticket.id, 9)).toBe(false);
    await s.open(input('22'), T0);
    const c = await s.counts();
    expect(c).toMatchObject({ opened: 2, claimed: 1, closed: 1, waiting: 1, active: 0, firstReply: { count: 1, totalMs: 400 } });
    expect(c.closedBy.staff).toBe(1);
    expect(c.ratings['4']).toBe(1);
  });

  it('forgets a chat: its open ticket closes, its tickets and transcripts go', async () => {
    const s = make();
    const old = (await s.open(input('11'), T0)).ticket;
    await s.close(old.id, 'user', undefined, T0 + 1);
    const open = (await s.open(input('11'), T0 + 2)).ticket;
    await s.setTopic(open.id, 88);
    await s.append(open.id, { at: T0 + 3, from: 'user', text: 'rahasia' });
    const other = (await s.open(input('22'), T0 + 4)).ticket;
    const closed = await s.forgetChat('telegram', '11', T0 + 5);
    expect(closed?.id).toBe(open.id);
    expect(closed?.closeReason).toBe('deleted');
    expect(await s.get(old.id)).toBeUndefined();
    expect(await s.get(open.id)).toBeUndefined();
    expect(await s.transcript(open.id)).toEqual([]);
    expect(await s.byTopic(88)).toBeUndefined();
    expect(await s.openOf('telegram', '11')).toBeUndefined();
    expect((await s.get(other.id))?.state).toBe('waiting');
    expect(await s.queueLength()).toBe(1);
  });

  it('locks exclusively until unlocked', async () => {
    const s = make();
    expect(await s.tryLock('sweep', 10_000)).toBe(true);
    expect(await s.tryLock('sweep', 10_000)).toBe(false);
    await s.unlock('sweep');
    expect(await s.tryLock('sweep', 10_000)).toBe(true);
    await s.setMeta('queueTopic', '42');
    expect(await s.getMeta('queueTopic')).toBe('42');
  });
});

describe('redis ticket store across processes', () => {
  it('two connections (two Pandu processes) racing for 20 tickets: each ticket goes to exactly one', async () => {
    const p = prefix();
    const a = new Redis(inject('redisUrl'));
    const b = new Redis(inject('redisUrl'));
    try {
      const sa = new RedisTicketStore(a, { prefix: p });
      const sb = new RedisTicketStore(b, { prefix: p });
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await sa.open(input(`r${i}`), T0 + i)).ticket.id);
      const results = await Promise.all(ids.flatMap((id) => [sa.claim(id, BUDI, T0 + 50), sb.claim(id, SARI, T0 + 50)]));
      for (let i = 0; i < ids.length; i++) {
        const pair = [results[2 * i]!, results[2 * i + 1]!];
        expect(pair.filter((r) => r.ok)).toHaveLength(1);
        const loser = pair.find((r) => !r.ok)!;
        const winner = pair.find((r) => r.ok)!;
        expect(loser.ok === false && loser.reason === 'taken' && winner.ok && loser.by.id === winner.ticket.claimedBy?.id).toBe(true);
      }
      expect((await sa.counts()).claimed).toBe(20);
    } finally {
      await a.quit();
      await b.quit();
    }
  });

  it('a new store on the same Redis (Pandu restarted) sees every ticket, transcript and counter', async () => {
    const p = prefix();
    const before = new RedisTicketStore(redis, { prefix: p });
    const a = (await before.open(input('11'), T0)).ticket;
    const b = (await before.open(input('22', { channel: 'whatsapp' }), T0 + 1)).ticket;
    await before.claim(a.id, BUDI, T0 + 2);
    await before.setTopic(a.id, 99);
    await before.append(a.id, { at: T0 + 3, from: 'user', text: 'halo' }, { activity: true });
    const conn = new Redis(inject('redisUrl'));
    try {
      const after = new RedisTicketStore(conn, { prefix: p });
      expect(await after.get(a.id)).toEqual(await before.get(a.id));
      expect((await after.byTopic(99))?.id).toBe(a.id);
      expect(await after.transcript(a.id)).toEqual([{ at: T0 + 3, from: 'user', text: 'halo' }]);
      expect((await after.waiting()).map((t) => t.id)).toEqual([b.id]);
      expect((await after.openOf('whatsapp', '22'))?.id).toBe(b.id);
      expect((await after.counts()).opened).toBe(2);
      const c = await after.open(input('33'), T0 + 5);
      expect(Number(c.ticket.id)).toBeGreaterThan(Number(b.id));
    } finally {
      await conn.quit();
    }
  });

  it('closed tickets expire after the retention time', async () => {
    const p = prefix();
    const s = new RedisTicketStore(redis, { prefix: p, retentionMs: 60_000 });
    const { ticket } = await s.open(input('11'), T0);
    await s.append(ticket.id, { at: T0, from: 'user', text: 'x' });
    await s.close(ticket.id, 'user', undefined, T0 + 1);
    const ttl = await redis.pttl(`${p}hd:t:${ticket.id}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await redis.pttl(`${p}hd:t:${ticket.id}:log`)).toBeGreaterThan(0);
  });
});

describe('helpdesk hours', () => {
  const wib = (d: number, h: number, m = 0) => Date.UTC(2026, 10, d, h - 7, m); // 23 Nov 2026 is a Monday

  it('parses the documented formats and refuses bad ones with a reason', () => {
    const h = parseHours('Mon-Fri 08:00-17:00 Asia/Jakarta');
    expect(h).toEqual({ ok: true, hours: { always: false, tz: 'Asia/Jakarta', rules: [{ days: [1, 2, 3, 4, 5], from: 480, to: 1020 }] } });
    expect(parseHours('Mon-Fri 08:00-17:00; Sat 08:00-12:00')).toMatchObject({ ok: true, hours: { tz: 'Asia/Jakarta', rules: [{ days: [1, 2, 3, 4, 5] }, { days: [6], from: 480, to: 720 }] } });
    expect(parseHours('Sen,Rab,Jum 9.00-15.00 Asia/Makassar')).toMatchObject({ ok: true, hours: { tz: 'Asia/Makassar', rules: [{ days: [1, 3, 5], from: 540, to: 900 }] } });
    expect(parseHours('daily 07:00-24:00')).toMatchObject({ ok: true, hours: { rules: [{ days: [0, 1, 2, 3, 4, 5, 6], to: 1440 }] } });
    expect(parseHours('always')).toMatchObject({ ok: true, hours: { always: true } });
    expect(parseHours('Fri-Mon 10:00-12:00')).toMatchObject({ ok: true, hours: { rules: [{ days: [0, 1, 5, 6] }] } });
    for (const bad of ['', 'Mon-Fri', 'Mon-Fri 17:00-08:00', 'Xyz 08:00-10:00', 'Mon 25:00-26:00', 'Mon-Fri 08:00-17:00 Mars/Base']) {
      expect(parseHours(bad).ok, bad).toBe(false);
    }
  });

  it('knows when it is open, when it opened and when it opens next', () => {
    const h = (parseHours('Mon-Fri 08:00-17:00 Asia/Jakarta') as { ok: true; hours: import('../src/helpdesk/hours.ts').Hours }).hours;
    expect(isOpen(h, wib(23, 10))).toBe(true);
    expect(isOpen(h, wib(23, 17))).toBe(false);
    expect(isOpen(h, wib(28, 10))).toBe(false); // Saturday
    expect(windowStart(h, wib(23, 10, 30))).toBe(wib(23, 8));
    expect(nextOpening(h, wib(23, 18))).toBe(wib(24, 8));
    expect(nextOpening(h, wib(23, 6))).toBe(wib(23, 8));
    expect(nextOpening(h, wib(27, 20))).toBe(wib(30, 8)); // Friday evening -> Monday
    expect(describeHours(h, 'id')).toBe('Senin–Jumat 08.00–17.00 WIB');
    expect(describeHours(h, 'en')).toBe('Mon–Fri 08:00–17:00 WIB');
    expect(formatWhen(wib(24, 8), 'id', h.tz, wib(23, 18))).toBe('besok pukul 08.00 WIB');
    expect(formatWhen(wib(30, 8), 'en', h.tz, wib(27, 20))).toBe('Monday 30 November at 08:00 WIB');
  });
});

describe('helpdesk configuration (pieces for src/config.ts)', () => {
  const schema = z.object(HELPDESK_ENV).transform(helpdeskSettings);

  it('defaults: weekdays 08-17 WIB, remind after 10 min, close after 30 idle min', () => {
    const c = schema.parse({ HELPDESK_HOURS: '  ', HELPDESK_REMIND_AFTER_MIN: '' });
    expect(c).toEqual({ hours: { always: false, tz: 'Asia/Jakarta', rules: [{ days: [1, 2, 3, 4, 5], from: 480, to: 1020 }] }, remindAfterMs: 600_000, idleCloseMs: 1_800_000 });
  });

  it('reads the variables and names what is wrong', () => {
    expect(schema.parse({ HELPDESK_HOURS: 'always', HELPDESK_REMIND_AFTER_MIN: '5', HELPDESK_IDLE_CLOSE_MIN: '60' })).toMatchObject({ hours: { always: true }, remindAfterMs: 300_000, idleCloseMs: 3_600_000 });
    const bad = schema.safeParse({ HELPDESK_HOURS: 'Mon-Fri 17:00-08:00', HELPDESK_REMIND_AFTER_MIN: 'ten', HELPDESK_IDLE_CLOSE_MIN: '2' });
    expect(bad.success).toBe(false);
    const issues = bad.error!.issues.map((i) => `${String(i.path[0])}: ${i.message}`);
    expect(issues).toEqual([
      expect.stringMatching(/^HELPDESK_HOURS: expected opening hours such as "Mon-Fri 08:00-17:00 Asia\/Jakarta".*ends before it starts/),
      'HELPDESK_REMIND_AFTER_MIN: expected a whole number of minutes from 1 to 1440',
      'HELPDESK_IDLE_CLOSE_MIN: expected a whole number of minutes from 5 to 1440',
    ]);
  });
});
