// The user's side of the hand-off, through the console path (consoleTurn -> Runtime -> step ->
// the helpdeskHandoff action -> the helpdesk effect), with the staff side replaced by calls to the
// Helpdesk (what staff-telegram.ts does) and a recorder. What the staff side pushes into the
// user's chat is caught by the console channel's sender.
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { consoleTurn } from '../src/channels/console.ts';
import type { Reply } from '../src/core/types.ts';
import { hasKey, readLocales } from '../src/core/i18n.ts';
import { HANDOFF_KEYS } from '../src/helpdesk/actions.ts';
import type { Helpdesk } from '../src/helpdesk/service.ts';
import { RedisTicketStore } from '../src/helpdesk/tickets.ts';
import { RedisSessionStore } from '../src/store/redis-store.ts';
import { captureLog, testRuntime } from './support/app.ts';
import { CONFIG, coreDropsStrayEffects, coreRoutesMediaToActions, helpdeskEngine, makeHelpdesk, MONDAY_10_WIB, RecordingStaff } from './helpdesk-kit.ts';

const BUDI = { id: '501', name: 'Budi' };

interface World {
  helpdesk: Helpdesk;
  staff: RecordingStaff;
  /** Replies the runtime pushed to users (not answers to their own messages), per chat. */
  pushed: Map<string, Reply[]>;
  say(user: string, text: string): Promise<Reply[]>;
  /** Pushed replies of a user since the last call, as text. */
  took(user: string): string;
  runtime: ReturnType<typeof testRuntime>['runtime'];
  log: ReturnType<typeof captureLog>;
}

function world(o: { now?: () => number; config?: Partial<typeof CONFIG> } = {}): World {
  const staff = new RecordingStaff();
  const log = captureLog();
  const helpdesk = makeHelpdesk({ logger: log.logger, now: o.now, config: o.config });
  const { runtime } = testRuntime({
    engine: helpdeskEngine(),
    now: o.now,
    logger: log.logger,
    effects: helpdesk.effects(),
    hooks: { forgetChat: (k) => helpdesk.forgetChat(k) },
  });
  helpdesk.attachUsers(runtime);
  helpdesk.attachStaff(staff);
  const pushed = new Map<string, Reply[]>();
  runtime.setSender('console', async (chatId, replies) => {
    pushed.set(chatId, [...(pushed.get(chatId) ?? []), ...replies]);
  });
  return {
    helpdesk,
    staff,
    pushed,
    runtime,
    log,
    say: async (user, text) => {
      const r = await consoleTurn(runtime, user, text);
      await helpdesk.idle();
      return r;
    },
    took: (user) => {
      const r = pushed.get(user) ?? [];
      pushed.delete(user);
      return texts(r);
    },
  };
}

function texts(replies: Reply[]): string {
  return replies.map((r) => r.text).join('\n');
}

/** Brings a console user to the age question of the eligibility check. */
async function toAgeQuestion(w: World, user: string): Promise<void> {
  await w.say(user, '/start');
  await w.say(user, '1');
  const r = await w.say(user, 'ya');
  expect(texts(r)).toMatch(/umur/i);
}

describe('helpdesk hand-off, user side (console path)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: MONDAY_10_WIB, toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('every text the hand-off says exists in every locale', () => {
    const res = readLocales('locales');
    for (const lang of ['id', 'en'] as const) for (const k of HANDOFF_KEYS) expect(hasKey(res[lang], k), `${lang}: ${k}`).toBe(true);
  });

  it('petugas mid-flow: description, ticket, place in queue and hours; silent relays; staff close; rating; back at the step', async () => {
    const w = world();
    await toAgeQuestion(w, 'u1');

    const ask = texts(await w.say('u1', 'petugas'));
    expect(ask).toMatch(/satu kalimat/);
    expect(ask).toMatch(/batal/);

    const opened = texts(await w.say('u1', 'insentif belum masuk, NIK 3171234567890001'));
    expect(opened).toContain('Tiket #1 sudah dibuat');
    expect(opened).toContain('antrean nomor 1');
    expect(opened).toContain('Senin–Jumat 08.00–17.00 WIB');
    expect(opened).toMatch(/tidak membalas/);
    const [card] = w.staff.of('opened');
    expect(card?.ticket).toMatchObject({ id: '1', state: 'waiting', channel: 'console', chatId: 'u1', lang: 'id', place: 'eligibility.age' });
    expect(card?.ticket.description).toBe('insentif belum masuk, NIK [redacted]');

    // While the ticket is open the bot says nothing; every text goes to staff.
    expect(await w.say('u1', 'halo, ada orang?')).toEqual([]);
    expect(await w.say('u1', '25')).toEqual([]);
    expect(w.staff.of('userMessage').map((c) => c.entry.text)).toEqual(['halo, ada orang?', '25']);
    // Personal data typed during the hand-off reaches neither staff nor the transcript.
    expect(await w.say('u1', 'NIK saya 3171234567890001, lahir 17-08-1990')).toEqual([]);
    expect(w.staff.of('userMessage').at(-1)?.entry.text).toBe('NIK saya [redacted], lahir [redacted]');
    expect((await w.helpdesk.tickets.transcript('1')).at(-1)?.text).toBe('NIK saya [redacted], lahir [redacted]');

    // Staff take it: the user hears it without asking.
    expect((await w.helpdesk.claim('1', BUDI)).ok).toBe(true);
    await w.helpdesk.idle();
    expect(w.took('u1')).toContain('Petugas Budi sekarang membantu Anda');

    await w.helpdesk.staffMessage('1', BUDI, 'Halo, insentif pertama cair 5 hari kerja setelah rating.');
    await w.helpdesk.idle();
    expect(w.took('u1')).toBe('👤 *Budi* (petugas): Halo, insentif pertama cair 5 hari kerja setelah rating.');
    expect(await w.say('u1', 'oh begitu, terima kasih')).toEqual([]);

    // Staff close: the user is told, asked for a rating, and then back at the age question.
    await w.helpdesk.close('1', BUDI);
    await w.helpdesk.idle();
    const closed = w.pushed.get('u1') ?? [];
    expect(texts(closed)).toContain('Petugas sudah menyelesaikan percakapan ini');
    expect(closed.at(-1)?.choices?.map((c) => c.label)).toEqual(['1 - Buruk', '2 - Kurang', '3 - Cukup', '4 - Baik', '5 - Sangat baik', 'Lewati']);
    w.took('u1');
    const back = texts(await w.say('u1', '5'));
    expect(back).toContain('Terima kasih atas penilaian Anda');
    expect(back).toMatch(/umur/i);
    const t = await w.helpdesk.tickets.get('1');
    expect(t).toMatchObject({ state: 'closed', closeReason: 'staff', rating: 5, claimedBy: BUDI });
    expect(w.staff.of('rated')[0]?.rating).toBe(5);

    // And the conversation goes on normally.
    expect(texts(await w.say('u1', '30'))).toMatch(/sekolah atau kuliah/);
    const counts = await w.helpdesk.stats.counts();
    expect(counts).toMatchObject({ opened: 1, claimed: 1, closed: 1, waiting: 0, firstReply: { count: 1 } });
    expect(counts.ratings['5']).toBe(1);
  });

  it('from the menu option: the second user is number 2; after closing, back at the menu', async () => {
    const w = world();
    await w.say('a', '/start');
    await w.say('a', 'petugas');
    await w.say('a', 'kartu saya hilang');
    await w.say('b', '/start');
    expect(texts(await w.say('b', '6'))).toMatch(/satu kalimat/); // "Bicara dengan petugas" is option 6, the last
    expect(texts(await w.say('b', 'tidak bisa login'))).toContain('antrean nomor 2');
    await w.helpdesk.claim('1', BUDI);
    await w.helpdesk.idle();
    w.took('a');
    // Asking where they are (a global command) gets an answer; the queue moved up.
    expect(texts(await w.say('b', 'petugas'))).toContain('nomor 1');
    await w.helpdesk.claim('2', BUDI);
    await w.helpdesk.close('2', BUDI);
    await w.helpdesk.idle();
    w.took('b');
    expect(texts(await w.say('b', 'lewati'))).toMatch(/Apa yang bisa saya bantu/);
  });

  it('English, and the global commands still answer during the hand-off', async () => {
    const w = world();
    await w.say('e', '/start');
    await w.say('e', 'english');
    expect(texts(await w.say('e', 'talk to a person'))).toMatch(/one sentence/);
    expect(texts(await w.say('e', 'cannot log in'))).toContain('number 1 in the queue');
    const help = texts(await w.say('e', 'help'));
    expect(help).toContain('Commands you can type');
    expect(help).toContain('still in the queue, number 1');
    expect(await w.say('e', 'hello?')).toEqual([]);
    expect((await w.helpdesk.tickets.get('1'))?.lang).toBe('en');
  });

  it('"batal" leaves the queue and goes back to the step; staff are told', async () => {
    const w = world();
    await toAgeQuestion(w, 'u2');
    await w.say('u2', 'petugas');
    await w.say('u2', 'mau tanya');
    const r = texts(await w.say('u2', 'batal'));
    expect(r).toContain('keluar dari antrean');
    expect(r).toMatch(/umur/i);
    expect(await w.helpdesk.tickets.openOf('console', 'u2')).toBeUndefined();
    expect(w.staff.of('closed')[0]?.ticket.closeReason).toBe('user');
    expect(await w.helpdesk.stats.queueLength()).toBe(0);
    // "batal" while describing returns without a ticket.
    await w.say('u2', 'petugas');
    expect(texts(await w.say('u2', 'batal'))).toMatch(/umur/i);
    expect((await w.helpdesk.stats.counts()).opened).toBe(1);
  });

  it('"batal" while talking with staff ends the conversation', async () => {
    const w = world();
    await w.say('u3', '/start');
    await w.say('u3', 'petugas');
    await w.say('u3', 'mau tanya');
    await w.helpdesk.claim('1', BUDI);
    await w.helpdesk.idle();
    expect(texts(await w.say('u3', 'batal'))).toContain('sudah diakhiri');
    expect((await w.helpdesk.tickets.get('1'))?.closeReason).toBe('user');
  });

  it('outside the opening hours: says when staff return and keeps the ticket', async () => {
    vi.setSystemTime(Date.UTC(2026, 10, 28, 3, 0)); // Saturday 10.00 WIB
    const w = world();
    await w.say('s', '/start');
    await w.say('s', 'petugas');
    const r = texts(await w.say('s', 'saldo belum masuk'));
    expect(r).toContain('Petugas sedang tidak bertugas');
    expect(r).toContain('Senin, 30 November pukul 08.00 WIB');
    expect(await w.helpdesk.stats.queueLength()).toBe(1);
  });

  it('a ticket closed while the user was typing: the user is told and asked for a rating', async () => {
    const w = world();
    await w.say('r', '/start');
    await w.say('r', 'petugas');
    await w.say('r', 'halo');
    await w.helpdesk.claim('1', BUDI);
    await w.helpdesk.idle();
    w.took('r');
    await w.helpdesk.tickets.close('1', 'staff', BUDI, Date.now()); // the push has not happened yet
    const r = texts(await w.say('r', 'masih di sana?'));
    expect(r).toContain('Petugas sudah menyelesaikan');
    expect(r).toContain('Pilih nilai 1');
    expect(await w.helpdesk.tickets.unnotified()).toEqual([]);
  });

  it('a user who left the hand-off with "menu" is not followed by staff messages; the ticket closes as "left"', async () => {
    const w = world();
    await w.say('m', '/start');
    await w.say('m', 'petugas');
    await w.say('m', 'halo');
    expect(texts(await w.say('m', 'menu'))).toMatch(/Apa yang bisa saya bantu/);
    await w.helpdesk.claim('1', BUDI);
    await w.helpdesk.idle();
    const t = await w.helpdesk.tickets.get('1');
    expect(t).toMatchObject({ state: 'closed', closeReason: 'left' });
    expect(w.staff.of('closed')[0]?.ticket.closeReason).toBe('left');
    // With the proposed core patch the menu is not re-sent; without it, step re-asks where the user is.
    if (coreDropsStrayEffects()) expect(w.took('m')).toBe('');
    // Asking again later opens a new ticket.
    await w.say('m', 'petugas');
    expect(texts(await w.say('m', 'lagi'))).toContain('Tiket #2');
  });

  it('coming back to "petugas" after leaving finds the open ticket instead of opening another', async () => {
    const w = world();
    await w.say('k', '/start');
    await w.say('k', 'petugas');
    await w.say('k', 'halo');
    await w.say('k', 'menu');
    expect(texts(await w.say('k', 'petugas'))).toContain('Tiket #1: Anda masih di antrean');
    expect(await w.say('k', 'saya kembali')).toEqual([]);
    expect((await w.helpdesk.stats.counts()).opened).toBe(1);
  });

  it('media during the hand-off is noted for staff (with the core patch; otherwise the engine answers it)', async () => {
    const w = world();
    await w.say('p', '/start');
    await w.say('p', 'petugas');
    await w.say('p', 'halo');
    const photo = await w.runtime.handle({ channel: 'console', chatId: 'p', userId: 'p', event: { type: 'media', kind: 'photo' } });
    await w.helpdesk.idle();
    if (coreRoutesMediaToActions()) {
      expect(photo).toEqual([]);
      expect(w.staff.of('userMessage').at(-1)).toMatchObject({ media: 'photo', entry: { text: '[photo]' } });
    } else {
      expect(texts(photo)).toContain('hanya bisa membaca pesan teks');
      expect(texts(photo)).toContain('masih di antrean');
    }
  });

  it('an old button pressed during the hand-off gets the place in the queue, not silence', async () => {
    const w = world();
    await w.say('b', '/start');
    await w.say('b', 'petugas');
    await w.say('b', 'halo');
    const s = (await w.runtime.handle({ channel: 'console', chatId: 'b', userId: 'b', event: { type: 'text', text: 'petugas' } })).at(-1);
    expect(s?.text).toContain('masih di antrean');
    // The menu's buttons carried the ask number that is still current during the hand-off.
    const r = await w.runtime.handle({ channel: 'console', chatId: 'b', userId: 'b', event: { type: 'choice', ask: 1, id: 'eligibility' } });
    expect(texts(r)).toContain('masih di antrean');
    expect(w.staff.of('userMessage')).toHaveLength(0);
  });

  it('"hapus data saya" during the hand-off closes the ticket and forgets the chat', async () => {
    const w = world();
    await w.say('d', '/start');
    await w.say('d', 'petugas');
    await w.say('d', 'halo');
    await w.say('d', 'hapus data saya');
    await w.say('d', 'ya, hapus');
    expect(await w.helpdesk.tickets.get('1')).toBeUndefined();
    expect(w.staff.of('closed')[0]?.ticket.closeReason).toBe('deleted');
  });

  it('with no helpdesk behind it (console mode without one), petugas gives the official help channels', async () => {
    const { runtime } = testRuntime({ engine: helpdeskEngine() });
    await consoleTurn(runtime, 'o', '/start');
    const r = await consoleTurn(runtime, 'o', 'petugas');
    expect(texts(r)).toContain('Formulir Pengaduan');
    expect(r.at(-1)?.choices?.map((c) => c.label)).toEqual(['Kembali ke percakapan tadi', 'Ke menu utama']);
  });
});

describe('helpdesk reminders and auto-close (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: MONDAY_10_WIB, toFake: ['Date', 'setInterval', 'clearInterval'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reminds a waiting user after the configured time, at most 3 times, only within opening hours', async () => {
    const w = world({ config: { remindAfterMs: 10 * 60_000, maxReminders: 3 } });
    await w.say('w', '/start');
    await w.say('w', 'petugas');
    await w.say('w', 'halo');
    w.helpdesk.start();
    await vi.advanceTimersByTimeAsync(9 * 60_000);
    await w.helpdesk.idle();
    expect(w.took('w')).toBe('');
    await vi.advanceTimersByTimeAsync(60_000);
    await w.helpdesk.idle();
    expect(w.took('w')).toContain('Mohon maaf menunggu lama');
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    await w.helpdesk.idle();
    expect((w.pushed.get('w') ?? []).length).toBe(2);
    expect((await w.helpdesk.tickets.get('1'))?.reminders).toBe(3);
    await w.helpdesk.stop();
  });

  it('no reminders outside the opening hours', async () => {
    vi.setSystemTime(Date.UTC(2026, 10, 23, 9, 55)); // Monday 16.55 WIB
    const w = world();
    await w.say('x', '/start');
    await w.say('x', 'petugas');
    await w.say('x', 'halo');
    w.helpdesk.start();
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    await w.helpdesk.idle();
    expect(w.took('x')).toBe('');
    await w.helpdesk.stop();
  });

  it('closes a claimed ticket with no messages for the configured time, telling both sides', async () => {
    const w = world({ config: { idleCloseMs: 30 * 60_000 } });
    await toAgeQuestion(w, 'i');
    await w.say('i', 'petugas');
    await w.say('i', 'halo');
    await w.helpdesk.claim('1', BUDI);
    w.helpdesk.start();
    await vi.advanceTimersByTimeAsync(20 * 60_000);
    await w.say('i', 'masih menunggu'); // activity: the idle clock starts again
    await vi.advanceTimersByTimeAsync(20 * 60_000);
    await w.helpdesk.idle();
    expect((await w.helpdesk.tickets.get('1'))?.state).toBe('claimed');
    w.took('i');
    await vi.advanceTimersByTimeAsync(11 * 60_000);
    await w.helpdesk.idle();
    expect((await w.helpdesk.tickets.get('1'))?.closeReason).toBe('idle');
    expect(w.took('i')).toContain('tidak ada pesan selama 30 menit');
    expect(w.staff.of('closed')[0]?.ticket.closeReason).toBe('idle');
    expect(texts(await w.say('i', 'lewati'))).toMatch(/umur/i);
    await w.helpdesk.stop();
  });
});

describe('helpdesk on Redis: a restart loses nothing', () => {
  it('Pandu restarted while a ticket is claimed: messages still flow both ways, close and rating work', async () => {
    const url = inject('redisUrl');
    const prefix = `test:hdflow:${process.pid}:${Date.now()}:`;
    const conns: Redis[] = [];
    const boot = () => {
      const redis = new Redis(url, { maxRetriesPerRequest: 1 });
      conns.push(redis);
      const staff = new RecordingStaff();
      const parts = testRuntime({ engine: helpdeskEngine() });
      const helpdesk = makeHelpdesk({ logger: parts.log.logger, tickets: new RedisTicketStore(redis, { prefix }) });
      const { runtime } = testRuntime({
        engine: helpdeskEngine(),
        store: new RedisSessionStore(redis, { prefix, ttlMs: 3_600_000 }),
        effects: helpdesk.effects(),
      });
      const pushed: Reply[] = [];
      runtime.setSender('console', async (_c, r) => void pushed.push(...r));
      helpdesk.attachUsers(runtime);
      helpdesk.attachStaff(staff);
      const say = async (text: string) => {
        const r = await consoleTurn(runtime, 'z', text);
        await helpdesk.idle();
        return texts(r);
      };
      return { helpdesk, staff, pushed, say };
    };
    try {
      const a = boot();
      await a.say('/start');
      await a.say('1');
      await a.say('ya');
      await a.say('petugas');
      expect(await a.say('saldo belum masuk')).toContain('Tiket #1');
      await a.helpdesk.claim('1', BUDI);
      await a.helpdesk.idle();
      expect(texts(a.pushed)).toContain('Budi');

      // The process dies; a new one starts on the same Redis.
      const b = boot();
      expect(await b.say('apakah masih di sana?')).toBe('');
      expect(b.staff.of('userMessage')[0]?.entry.text).toBe('apakah masih di sana?');
      await b.helpdesk.staffMessage('1', BUDI, 'Masih, silakan.');
      await b.helpdesk.idle();
      expect(texts(b.pushed)).toContain('Masih, silakan.');
      const log = await b.helpdesk.tickets.transcript('1');
      expect(log.map((e) => `${e.from}:${e.text}`)).toEqual(['system:diambil oleh Budi', 'user:apakah masih di sana?', 'staff:Masih, silakan.']);
      await b.helpdesk.close('1', BUDI);
      await b.helpdesk.idle();
      expect(texts(b.pushed)).toContain('Pilih nilai');
      expect(await b.say('4')).toMatch(/umur/i);
      expect((await b.helpdesk.tickets.get('1'))?.rating).toBe(4);
    } finally {
      for (const c of conns) await c.quit();
    }
  });

  it('a close whose user notice was lost in a crash is delivered by the next sweep, once', async () => {
    const url = inject('redisUrl');
    const prefix = `test:hdnotice:${process.pid}:${Date.now()}:`;
    const redis = new Redis(url, { maxRetriesPerRequest: 1 });
    try {
      const parts = testRuntime({ engine: helpdeskEngine() });
      const helpdesk = makeHelpdesk({ logger: parts.log.logger, tickets: new RedisTicketStore(redis, { prefix }) });
      const { runtime } = testRuntime({ engine: helpdeskEngine(), store: new RedisSessionStore(redis, { prefix, ttlMs: 3_600_000 }), effects: helpdesk.effects() });
      const pushed: Reply[] = [];
      runtime.setSender('console', async (_c, r) => void pushed.push(...r));
      helpdesk.attachUsers(runtime);
      await consoleTurn(runtime, 'n', '/start');
      await consoleTurn(runtime, 'n', 'petugas');
      await consoleTurn(runtime, 'n', 'halo');
      await helpdesk.claim('1', BUDI);
      await helpdesk.idle();
      // Closed in Redis, then the process died before telling the user.
      await helpdesk.tickets.close('1', 'staff', BUDI, Date.now());
      pushed.length = 0;
      await helpdesk.sweep();
      await helpdesk.idle();
      expect(texts(pushed)).toContain('Petugas sudah menyelesaikan');
      expect(await helpdesk.tickets.unnotified()).toEqual([]);
      pushed.length = 0;
      await helpdesk.sweep();
      expect(pushed).toEqual([]);
    } finally {
      await redis.quit();
    }
  });
});
