// The WhatsApp channel end to end through a fake whatsapp-web.js client (typed from the library's
// declarations) and the real engine on ./flows and ./locales: conversations by numbers and by
// labels, what is ignored, media, the offline backlog, calls, reconnection, the login QR, and
// that no phone number ever reaches a log line.
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { Client as WAClient } from 'whatsapp-web.js';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { RedisAddressBook } from '../src/channels/whatsapp/address-book.ts';
import { createWhatsAppChannel, type WAClientLike, type WhatsAppChannelOptions } from '../src/channels/whatsapp/channel.ts';
import { pseudonymOf } from '../src/channels/whatsapp/inbound.ts';
import { QR_PNG_NAME } from '../src/channels/whatsapp/qr.ts';
import { parseRendered, replyHint } from '../src/channels/whatsapp/render.ts';
import type { Engine } from '../src/core/engine.ts';
import type { Runtime } from '../src/core/runtime.ts';
import type { Inbound, Lang, Reply } from '../src/core/types.ts';
import { MemorySessionStore } from '../src/store/memory-store.ts';
import { repoEngine, testRuntime } from './support/app.ts';
import type { SeenReply } from './support/conversation-driver.ts';
import { TEST_ID_SECRET, WhatsAppDriver } from './support/drivers/whatsapp.ts';
import { FakeWhatsAppClient } from './support/fake-whatsapp.ts';

// The real Client fits the channel's Pick (checked by the compiler).
const realFits: (c: WAClient) => WAClientLike = (c) => c;
void realFits;

/** A pino logger with no redaction at all, capturing every line: what the channel itself logs. */
function rawLog(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}

let engine: Engine;
const t = (lang: Lang, key: string) => engine.t(lang, key);
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  engine = repoEngine();
});
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanups.splice(0).reverse()) await c();
});

function driver(over: Partial<WhatsAppChannelOptions> = {}, logger?: Logger): { d: WhatsAppDriver; runtime: Runtime; store: MemorySessionStore } {
  const log = logger ?? rawLog().logger;
  const store = new MemorySessionStore(86_400_000);
  const { runtime } = testRuntime({ engine, store, logger: log });
  const d = new WhatsAppDriver(runtime, { logger: log, ...over });
  cleanups.push(() => d.close());
  return { d, runtime, store };
}

const lastChoices = (rs: SeenReply[]) => [...rs].reverse().find((r) => r.choices.length > 0)?.choices ?? [];
const allText = (rs: SeenReply[]) => rs.map((r) => r.text).join('\n');

describe('whatsapp channel: conversations', () => {
  it('renders the menu as a numbered list with a "Balas dengan angka" line', async () => {
    const { d } = driver();
    const replies = await d.start('ani');
    const menu = lastChoices(replies);
    expect(menu).toContain(t('id', 'menu.options.agent'));
    const raw = d.fake.sentTo(d.waIdOf('ani'));
    const last = raw[raw.length - 1]!;
    expect(last).toContain(`1. ${menu[0]}`);
    expect(last.endsWith(`\n\n${replyHint(menu.length, 'id')}`)).toBe(true);
    expect(parseRendered(last).choices).toEqual(menu);
  });

  it('walks the menu by typed numbers and by typed labels', async () => {
    const { d } = driver();
    await d.start('budi');
    // By number: "petugas" is an option of the menu; press() types its number.
    const agent = await d.press('budi', t('id', 'menu.options.agent'));
    expect(allText(agent)).toContain('Formulir Pengaduan');
    expect(lastChoices(agent)).toEqual([t('id', 'agent.options.back'), t('id', 'agent.options.menu')]);
    // By label: the user types the option's text.
    const menu = await d.say('budi', t('id', 'agent.options.menu'));
    expect(lastChoices(menu)).toContain(t('id', 'menu.options.agent'));
    const again = await d.say('budi', t('id', 'menu.options.agent').toLowerCase());
    expect(allText(again)).toContain('Formulir Pengaduan');
  });

  // Answers that make a user eligible, by the `save` name of each question of flows/eligibility.yaml.
  // The walk reads the flow itself (which question is asked, its input and options), so it follows
  // the flow as it changes; a question with a new `save` name fails here, naming it.
  const ELIGIBLE: Record<string, string | number | boolean> = {
    citizen: true, age: 25, education: 'not_studying', occupation: 'none', otherRole: 'none',
    kkAny: false, kkRecipients: 0, previousRecipient: 'never', residence: 'indonesia', returningMigrant: false,
  };

  const eligibilityWalk = async (mode: 'numbers' | 'labels') => {
    const { d } = driver();
    const user = `eli-${mode}`;
    const flow = engine.flows.get('eligibility');
    expect(flow, 'flows/eligibility.yaml').toBeDefined();
    const steps = Object.entries(flow!.steps).filter(([, st]) => st.ask && st.input && st.save);
    const resultChoices = ['register', 'again', 'menu'].map((o) => t('id', `eligibility.result.options.${o}`));
    const pick = (label: string) => (mode === 'numbers' ? d.press(user, label) : d.say(user, label));

    await d.start(user);
    let r = await pick(t('id', 'menu.options.eligibility'));
    const asked: string[] = [];
    for (let turn = 0; turn < 20 && JSON.stringify(lastChoices(r)) !== JSON.stringify(resultChoices); turn++) {
      const text = allText(r);
      const found = steps.filter(([, st]) => text.includes(t('id', st.ask!).slice(0, 40))).pop();
      expect(found, `no eligibility question recognised in: ${text}`).toBeDefined();
      const [name, st] = found!;
      asked.push(name);
      const want = ELIGIBLE[st.save!];
      expect(want, `the walk has no answer for "${st.save}" (step ${name})`).toBeDefined();
      const input = st.input!;
      if (input.type === 'yesno') {
        expect(lastChoices(r)).toEqual([t('id', 'common.yes'), t('id', 'common.no')]);
        r = await pick(t('id', want ? 'common.yes' : 'common.no'));
      } else if (input.type === 'choice') {
        const option = input.options.find((o) => o.id === want)!;
        expect(lastChoices(r)).toContain(t('id', option.label));
        r = await pick(t('id', option.label));
      } else {
        r = await d.say(user, String(want));
      }
    }
    // The verdict: eligible, with the three ways on, as a numbered list.
    expect(asked.slice(0, 2)).toEqual(['citizen', 'age']);
    expect(asked.length).toBeGreaterThanOrEqual(8);
    expect(lastChoices(r)).toEqual(resultChoices);
    const raw = d.fake.sentTo(d.waIdOf(user));
    const tail = `\n\n${resultChoices.map((c, i) => `${i + 1}. ${c}`).join('\n')}\n\nBalas dengan angka 1, 2 atau 3`;
    expect(raw[raw.length - 1]!.endsWith(tail)).toBe(true);
    // And back to the menu by its number.
    r = await d.press(user, t('id', 'eligibility.result.options.menu'));
    expect(lastChoices(r)).toContain(t('id', 'menu.options.eligibility'));
  };

  it('the whole eligibility check by numbers', () => eligibilityWalk('numbers'));
  it('the whole eligibility check by labels', () => eligibilityWalk('labels'));

  it('says "Reply 1 or 2" once the user has switched to English', async () => {
    const { d } = driver();
    await d.start('eve');
    await d.say('eve', 'english');
    const r = await d.say('eve', 'bahasa');
    expect(lastChoices(r)).toHaveLength(2);
    const raw = d.fake.sentTo(d.waIdOf('eve'));
    expect(raw[raw.length - 1]!.endsWith('Reply 1 or 2')).toBe(true);
  });

  it('keys sessions by the pseudonym, never by the number', async () => {
    const { d, store } = driver();
    await d.say('fay', 'halo');
    const waId = d.waIdOf('fay');
    expect(store.rawOf(`whatsapp:${pseudonymOf(waId, TEST_ID_SECRET)}`)).toBeDefined();
    expect(store.rawOf(`whatsapp:${waId}`)).toBeUndefined();
    // Not even inside the session (message ids are hashed too).
    expect(store.rawOf(`whatsapp:${pseudonymOf(waId, TEST_ID_SECRET)}`)).not.toContain(waId.split('@')[0]);
  });

  it('shows "typing..." while a reply is prepared, and a failing indicator changes nothing', async () => {
    const { d } = driver();
    await d.say('gus', 'halo');
    expect(d.fake.typing).toEqual([d.waIdOf('gus')]);
    d.fake.typingFails = true;
    const r = await d.say('gus', 'menu');
    expect(lastChoices(r).length).toBeGreaterThan(0);
  });
});

describe('whatsapp channel: messages on Pandu\'s initiative (helpdesk relay)', () => {
  it('sends to a chat by its pseudonym once the user has written, paced like any reply', async () => {
    const { d } = driver();
    const from = d.waIdOf('mia');
    const chatId = pseudonymOf(from, TEST_ID_SECRET);
    expect(await d.channel.sendTo(chatId, [{ text: 'Halo dari petugas' }])).toBe(false); // never wrote: unknown
    await d.say('mia', 'halo');
    expect(await d.channel.sendTo(chatId, [{ text: 'Halo dari petugas *Sari*', choices: [{ id: 'ok', label: 'Terima kasih' }] }])).toBe(true);
    await d.channel.idle();
    const last = d.fake.sentTo(from).pop();
    expect(last).toBe('Halo dari petugas *Sari*\n\n1. Terima kasih\n\nBalas dengan angka 1');
  });

  it('still reaches the chat after a restart, from an encrypted address book, until the user deletes their data', async () => {
    const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
    cleanups.push(async () => void (await redis.quit()));
    const prefix = `test:wa-book:${process.pid}:${Date.now()}:`;
    const book = () => new RedisAddressBook(redis, { secret: TEST_ID_SECRET, prefix, ttlMs: 60_000 });
    const before = driver({ addressBook: book() }).d;
    const from = before.waIdOf('rini');
    const chatId = pseudonymOf(from, TEST_ID_SECRET);
    await before.say('rini', 'halo');
    await before.close();

    // What Redis holds names neither the number nor the WhatsApp id.
    const keys = await redis.keys(`${prefix}*`);
    expect(keys).toEqual([`${prefix}wa:addr:${chatId}`]);
    const raw = (await redis.getBuffer(keys[0]!))!.toString('latin1');
    expect(raw).not.toContain(from.split('@')[0]);

    const after = driver({ addressBook: book() }).d; // a new process: nothing in memory
    expect(await after.channel.sendTo(chatId, [{ text: 'Tiket Anda sudah diambil petugas' }])).toBe(true);
    await after.channel.idle();
    expect(after.fake.sentTo(from).pop()).toBe('Tiket Anda sudah diambil petugas');

    // Another secret cannot read it; deletion removes it everywhere.
    expect(await new RedisAddressBook(redis, { secret: 'another-secret-of-some-length', prefix, ttlMs: 60_000 }).get(chatId)).toBeUndefined();
    await after.channel.forget(chatId);
    expect(await redis.exists(keys[0]!)).toBe(0);
    expect(await after.channel.sendTo(chatId, [{ text: 'x' }])).toBe(false);
  });
});

describe('whatsapp channel: what is ignored, and media', () => {
  it('ignores group chats, status updates, broadcasts and the bot\'s own messages', async () => {
    const { d } = driver();
    const fake = d.fake;
    fake.receive({ from: '120363012345678901@g.us', author: '6281211110000@c.us', body: 'halo semua' });
    fake.receive({ from: 'status@broadcast', isStatus: true, body: 'status baru' });
    fake.receive({ from: '6281211110000@c.us', broadcast: true, body: 'promo' });
    fake.receive({ from: '6281211110000@c.us', fromMe: true, body: 'pesan saya sendiri' });
    await d.channel.idle();
    expect(fake.sent).toEqual([]);
    expect(fake.typing).toEqual([]);
    expect(d.channel.status().ignored).toBe(4);
  });

  it('answers media, voice, location and contact cards with a short friendly text', async () => {
    const { d } = driver();
    await d.start('hana');
    for (const type of ['image', 'ptt', 'location', 'vcard'] as const) {
      const r = await d.send('hana', { type, body: '' });
      expect(allText(r), type).toContain(t('id', 'common.media'));
      expect(lastChoices(r).length, type).toBeGreaterThan(0); // and the question again
    }
  });
});

describe('whatsapp channel: messages sent while Pandu was offline', () => {
  it('answers a chat\'s old messages once with "maaf baru membalas" and the menu, without replaying them', async () => {
    const { d } = driver({ maxBacklogAgeSec: 300 });
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    const from = d.waIdOf('ida');
    d.fake.receive({ from, body: 'halo', timestamp: hourAgo });
    d.fake.receive({ from, body: '1', timestamp: hourAgo + 5 });
    d.fake.receive({ from, body: 'cara daftar gimana?', timestamp: hourAgo + 10 });
    await d.channel.idle();
    const got = d.fake.sentTo(from);
    expect(got.filter((m) => /maaf baru membalas/i.test(m))).toHaveLength(1);
    expect(got[0]).toMatch(/^Maaf baru membalas/);
    // Then the welcome and the menu, and nothing else: "1" did not start the eligibility check.
    const seen = got.map(parseRendered);
    expect(seen[seen.length - 1]!.choices).toContain(t('id', 'menu.options.eligibility'));
    expect(got.join('\n')).not.toContain(t('id', 'eligibility.citizen.ask'));
    expect(d.channel.status().backlogSkipped).toBe(2);
    // A new message is handled normally.
    const r = await d.say('ida', String(seen[seen.length - 1]!.choices.indexOf(t('id', 'menu.options.eligibility')) + 1));
    expect(allText(r)).toContain(t('id', 'eligibility.citizen.ask'));
    // Another chat's backlog gets its own single apology.
    const other = d.waIdOf('joko');
    d.fake.receive({ from: other, body: 'p', timestamp: hourAgo });
    d.fake.receive({ from: other, body: 'p', timestamp: hourAgo + 1 });
    await d.channel.idle();
    expect(d.fake.sentTo(other).filter((m) => /maaf baru membalas/i.test(m))).toHaveLength(1);
  });

  it('a recent message is not backlog', async () => {
    const { d } = driver({ maxBacklogAgeSec: 300 });
    const r = await d.send('kiki', { body: 'halo', timestamp: Math.floor(Date.now() / 1000) - 200 });
    expect(allText(r)).not.toMatch(/maaf baru membalas/i);
  });
});

describe('whatsapp channel: calls', () => {
  it('rejects a call and says once that Pandu only reads messages', async () => {
    const { d } = driver();
    const from = d.waIdOf('lia');
    d.fake.call({ from });
    d.fake.call({ from, isVideo: true });
    await d.channel.idle();
    expect(d.fake.rejectedCalls).toEqual([from, from]);
    const texts = d.fake.sentTo(from);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(/tidak bisa menerima telepon/);
    // A group call is rejected without a text to anyone.
    d.fake.call({ from: '120363012345678901@g.us', isGroup: true });
    await d.channel.idle();
    expect(d.fake.rejectedCalls).toHaveLength(3);
    expect(d.fake.sent).toHaveLength(1);
  });
});

describe('whatsapp channel: connection life', () => {
  function bare(over: Partial<WhatsAppChannelOptions> = {}) {
    const log = rawLog();
    const fake = new FakeWhatsAppClient();
    const { runtime } = testRuntime({ engine, logger: log.logger });
    const channel = createWhatsAppChannel({
      client: fake,
      runtime,
      logger: log.logger,
      idSecret: TEST_ID_SECRET,
      maxBacklogAgeSec: 300,
      printQr: () => undefined,
      ...over,
    });
    return { fake, channel, log, runtime };
  }

  it('re-initialises after a disconnect (destroy, then initialize) with exponential backoff and a cap', async () => {
    vi.useFakeTimers();
    const { fake, channel, log } = bare({ reconnect: { baseMs: 1000, maxMs: 4000 }, readyTimeoutMs: 0 });
    await channel.start();
    expect(fake.initializeCalls).toBe(1);
    fake.emit('ready');
    expect(channel.status().ready).toBe(true);

    fake.emit('disconnected', 'NAVIGATION');
    expect(channel.status().ready).toBe(false);
    await vi.advanceTimersByTimeAsync(999);
    expect(fake.initializeCalls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.destroyCalls).toBe(1);
    expect(fake.initializeCalls).toBe(2);

    // WhatsApp Web unreachable: each failed initialize waits twice as long, up to the cap.
    fake.onInitialize = async () => {
      throw new Error('net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/');
    };
    fake.emit('disconnected', 'CONFLICT');
    await vi.advanceTimersByTimeAsync(2000); // attempt 2
    expect(fake.initializeCalls).toBe(3);
    await vi.advanceTimersByTimeAsync(3999); // attempt 3 waits 4000
    expect(fake.initializeCalls).toBe(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.initializeCalls).toBe(4);
    await vi.advanceTimersByTimeAsync(4000); // capped at 4000
    expect(fake.initializeCalls).toBe(5);

    // Back: ready resets the backoff.
    fake.onInitialize = undefined;
    await vi.advanceTimersByTimeAsync(4000);
    expect(fake.initializeCalls).toBe(6);
    fake.emit('ready');
    fake.emit('disconnected', 'TIMEOUT');
    await vi.advanceTimersByTimeAsync(1000);
    expect(fake.initializeCalls).toBe(7);
    expect(channel.status().reconnects).toBe(6);
    expect(log.lines.join('')).toContain('whatsapp initialisation failed');
    await channel.stop();
  });

  it('holds replies while disconnected and sends them once ready again', async () => {
    const { fake, channel } = bare({ pacing: { globalPerSec: 1000, perChatGapMs: 0, jitterMs: 0 }, reconnect: { baseMs: 60_000 }, readyTimeoutMs: 0 });
    await channel.start();
    fake.emit('ready');
    fake.emit('disconnected', 'TIMEOUT');
    fake.receive({ from: '6281233334444@c.us', body: 'halo' });
    await vi.waitFor(() => expect(channel.status().queued).toBeGreaterThan(0));
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.sent).toHaveLength(0);
    fake.emit('ready');
    await channel.idle();
    expect(fake.sent.length).toBeGreaterThan(0);
    await channel.stop();
  });

  it('re-initialises when neither a QR nor ready comes in time', async () => {
    vi.useFakeTimers();
    const { fake, channel } = bare({ readyTimeoutMs: 10_000, reconnect: { baseMs: 1000 } });
    await channel.start();
    await vi.advanceTimersByTimeAsync(10_999); // 10 s without a QR or ready, then the 1 s backoff
    expect(fake.initializeCalls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.initializeCalls).toBe(2);
    // A QR means a person must act: no restart while it waits.
    fake.emit('qr', 'qr-payload');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.initializeCalls).toBe(2);
    await channel.stop();
  });

  it('prints the login QR in the terminal and writes it as a PNG in the data folder, removed once ready', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pandu-wa-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const printed: string[] = [];
    const { fake, channel, log } = bare({ dataDir, printQr: (s) => printed.push(s) });
    await channel.start();
    const qr = '2@abcDEF123,xyz789,base64key==,secret==,1';
    fake.emit('qr', qr);
    const png = join(dataDir, QR_PNG_NAME);
    await vi.waitFor(() => {
      expect(printed).toHaveLength(1);
      expect(existsSync(png) && readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    });
    expect(printed[0]).toMatch(/[▀▄█]/);
    const text = log.lines.join('');
    expect(text).toContain(png);
    expect(text).toContain('Linked devices');
    expect(text).not.toContain(qr); // the QR is a login credential: never in the logs
    fake.emit('ready');
    await vi.waitFor(() => expect(existsSync(png)).toBe(false));
    await channel.stop();
  });

  it('on auth_failure tells the operator which folder to delete to link again', async () => {
    const { fake, channel, log } = bare({ dataDir: '/var/lib/pandu/whatsapp' });
    fake.emit('auth_failure', 'Unable to log in. Are the session details valid?');
    const line = log.lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.level === 50);
    expect(line?.msg).toContain('/var/lib/pandu/whatsapp/session');
    expect(line?.msg).toContain('whatsapp:login');
    await channel.stop();
  });

  it('logs ready and state changes; healthy() follows getState()', async () => {
    const { fake, channel, log } = bare();
    fake.emit('authenticated');
    fake.emit('ready');
    fake.emit('change_state', 'CONNECTED');
    expect(await channel.healthy()).toBe(true);
    fake.state = 'TIMEOUT';
    expect(await channel.healthy()).toBe(false);
    const text = log.lines.join('');
    expect(text).toContain('whatsapp ready');
    expect(text).toContain('whatsapp state changed');
    expect(text).toContain('whatsapp authenticated');
    await channel.stop();
  });

  it('stop() gives the queue a bounded time, drops the rest and destroys the client', async () => {
    const { fake, channel } = bare({ pacing: { globalPerSec: 1, perChatGapMs: 10_000, jitterMs: 0 }, stopTimeoutMs: 300 });
    fake.receive({ from: '6281255556666@c.us', body: 'halo' });
    await vi.waitFor(() => expect(fake.sent).toHaveLength(1));
    expect(channel.status().queued).toBeGreaterThan(0); // the menu waits for its 10 s gap
    const started = Date.now();
    await channel.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(fake.destroyCalls).toBe(1);
    expect(fake.sent).toHaveLength(1); // the first part went; the rest was dropped at the bound
    expect(channel.status().sends.stopped).toBeGreaterThan(0);
    // After stop, nothing is handled any more.
    fake.receive({ from: '6281255556666@c.us', body: 'halo lagi' });
    await channel.idle();
    expect(fake.sent).toHaveLength(1);
  });
});

describe('whatsapp channel: personal data', () => {
  it('never writes a phone number to a log line', async () => {
    const log = rawLog();
    const dataDir = mkdtempSync(join(tmpdir(), 'pandu-wa-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const { d } = driver({ dataDir, pacing: { globalPerSec: 1_000_000, perChatGapMs: 0, jitterMs: 0, backoffBaseMs: 10 } }, log.logger);
    const number = '6281298765432';
    const from = `${number}@c.us`;
    const say = async (body: string, extra: object = {}) => {
      d.fake.receive({ from, body, ...extra });
      await d.channel.idle();
    };
    await say('/start');
    await say('1');
    await say('ya');
    await say('xx', { type: 'image' });
    await say('old', { timestamp: Math.floor(Date.now() / 1000) - 7200 });
    d.fake.receive({ from: '120363012345678901@g.us', author: from, body: 'grup' });
    d.fake.call({ from });
    // A send failure whose error quotes the number, then success.
    let fails = 1;
    d.fake.onSend = () => {
      if (fails-- > 0) throw new Error(`Evaluation failed: No LID for user ${from}`);
    };
    await say('menu');
    d.fake.emit('auth_failure', `session for +${number} invalid`);
    d.fake.emit('disconnected', 'LOGOUT');
    await d.channel.idle();

    const text = log.lines.join('');
    expect(log.lines.length).toBeGreaterThan(10);
    expect(text).not.toContain(number);
    expect(text).not.toContain(number.slice(2)); // without the country code
    for (const line of log.lines) {
      const { time: _time, pid: _pid, ...rest } = JSON.parse(line) as Record<string, unknown>;
      expect(JSON.stringify(rest)).not.toMatch(/\d{8,}/);
    }
    // What the logs name instead: the pseudonym.
    expect(text).toContain(pseudonymOf(from, TEST_ID_SECRET));
    expect(text).toContain('whatsapp send failed: will retry');
  });
});

describe('whatsapp channel: proving the phone number by possession', () => {
  it('offers "Pakai nomor WhatsApp ini" when a reply asks for the contact, and answers with the sender\'s own number', async () => {
    const seen: Inbound[] = [];
    const asking: Reply = { text: 'Kirim nomor HP Anda yang terdaftar.', choices: [{ id: 'card', label: 'Pakai nomor kartu' }], requestContact: true, ask: 4 };
    const runtime = {
      engine,
      handle: async (inbound: Inbound): Promise<Reply[]> => {
        seen.push(inbound);
        return inbound.event.type === 'contact' ? [{ text: 'Terima kasih.' }] : [asking];
      },
    } as unknown as Runtime;
    const log = rawLog();
    const fake = new FakeWhatsAppClient();
    const channel = createWhatsAppChannel({
      client: fake,
      runtime,
      logger: log.logger,
      idSecret: TEST_ID_SECRET,
      maxBacklogAgeSec: 300,
      pacing: { globalPerSec: 1_000_000, perChatGapMs: 0, jitterMs: 0 },
    });
    cleanups.push(() => channel.stop());
    const from = '6281234500001@c.us';
    const say = async (body: string, who = from) => {
      fake.receive({ from: who, body });
      await channel.idle();
      return seen[seen.length - 1]!.event;
    };

    await say('cek status');
    expect(fake.sent[fake.sent.length - 1]!.content).toBe(
      'Kirim nomor HP Anda yang terdaftar.\n\n1. Pakai nomor kartu\n2. Pakai nomor WhatsApp ini\n\nBalas dengan angka 1 atau 2',
    );
    expect(await say('2')).toEqual({ type: 'contact', phone: '6281234500001', own: true });
    // Once used, the option is gone: "2" is text again.
    expect(await say('2')).toEqual({ type: 'text', text: '2' });
    // The label (or a near form of it) works too; the other option stays the engine's.
    expect(await say('pakai nomor whatsapp ini')).toEqual({ type: 'contact', phone: '6281234500001', own: true });
    await say('lagi');
    expect(await say('1')).toEqual({ type: 'text', text: '1' });
    // An @lid id hides the number: no option is offered, and "2" stays text.
    const lid = '123456789012345@lid';
    await say('cek status', lid);
    expect(fake.sentTo(lid)[0]).not.toContain('Pakai nomor WhatsApp ini');
    expect(await say('2', lid)).toEqual({ type: 'text', text: '2' });
    expect(log.lines.join('')).not.toContain('6281234500001');
  });
});
