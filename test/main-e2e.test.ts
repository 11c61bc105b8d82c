// Pandu end to end, as an operator runs it: the real program (`node --import tsx src/main.ts`),
// configured only through its documented environment (docs/configuration.md), in long-polling
// mode against the fake Bot API on loopback (TELEGRAM_API_ROOT), with a throwaway redis-server of
// its own (test/support/redis-server.ts; never the Redis on 127.0.0.1:6379), a staff supergroup
// with topics (HELPDESK_CHAT_ID) and /healthz and /metrics on HTTP_HOST:HTTP_PORT.
//
// One story, told in order (each `it` continues where the one before left off):
//   1. Two users at once. Ani sends /start, picks the eligibility check by pressing buttons
//      (typing her age and some answers) and gets a verdict; Dewi checks her incentive status
//      through the menu ("Cek status insentif saya", NIK and card number of demo record 1).
//      /healthz is 200 with redis and telegram ok; /metrics counts Telegram messages in and has
//      the helpdesk (pandu_handoff_*) metrics.
//   2. Ani starts the check again, and at the age question types "petugas": she describes her
//      problem in one line and hears her place in the queue; a card with an "Ambil" button
//      appears in the staff group's queue topic; Sari (a member of the group) presses it; what
//      Sari writes in the ticket's topic reaches Ani and what Ani writes reaches the topic;
//      Sari sends /selesai; Ani is asked for a rating, rates, and is asked her age again.
//   3. Dewi asks for a person (mentioning her phone number); Sari takes the ticket and writes.
//      Pandu gets SIGTERM while the ticket is claimed and exits 0; Sari writes again while it is
//      down; a new Pandu starts on the same Redis; Sari's message reaches Dewi (once), Dewi's
//      reply reaches the same topic, /selesai works, Dewi rates and is back where she was.
//   5. The second Pandu also exits 0 on SIGTERM; no line either Pandu printed (stdout or stderr,
//      at LOG_LEVEL=debug) holds the NIK, the card number, the phone number, the record's name
//      or what users and staff wrote.
// And on its own:
//   4. A bad configuration (WHATSAPP_ENABLED=true without WHATSAPP_ID_SECRET, STATUS_PROVIDER=redis
//      without STATUS_HMAC_SECRET, a malformed TELEGRAM_WEBHOOK_SECRET) stops start-up with exit
//      code 2 and a message naming each variable, without printing any secret's value and without
//      calling Telegram.
//
// No timing assertions: every wait is for an event (a message, a log line, an exit), with a
// generous timeout that only turns a hang into a readable failure. The run takes about 50 s, most
// of it the pacing Pandu itself applies to Telegram (after a burst of 4, about one call a second
// per private chat; one call a second in the staff group), which no variable turns off.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBotApi, inlineButtons, type FakeChat, type FakeUser, type SentMessage } from './support/fake-bot-api.ts';
import { addForumMethods, type Topic } from './support/fake-forum.ts';
import { freePort, startRedis, type RedisServer } from './support/redis-server.ts';

const MAIN = 'src/main.ts';
const GROUP: FakeChat = { id: -1001234567890, type: 'supergroup', title: 'Helpdesk Pandu', is_forum: true };

// Personal data typed in the test: none of it may appear in any log line (the phone number also
// in its +62 and bare forms). Nor may the demo record's full name, or what users and staff wrote
// (docs/configuration.md, LOG_LEVEL: message texts are removed from every line).
const NIK = '3201010101909901';
const CARD = '9999000000000001';
const PHONE = '081234567890';
const NOT_IN_LOGS = [NIK, CARD, PHONE, PHONE.replace(/^0/, '62'), PHONE.replace(/^0/, ''), 'Santoso', 'insentif pertama belum masuk', 'tiga hari lalu', 'Halo Dewi', 'dana dijadwalkan cair'];

/** Waiting for an event: long enough for a loaded CI machine, short enough to fail readably. */
const WAIT_MS = 20_000;
/** Per test: several waits in a row. */
const TEST_MS = 120_000;

// ---- helpers -----------------------------------------------------------------------------------------

async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, context = () => ''): Promise<T> {
  const until = Date.now() + WAIT_MS;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${context()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}


/** One run of `node --import tsx src/main.ts`, its output kept line by line. */
class Pandu {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private partial = { out: '', err: '' };

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      cwd: process.cwd(),
      // Only what an operator sets: no inherited variables that could change the configuration.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (c: Buffer) => this.take('out', c.toString()));
    this.child.stderr!.on('data', (c: Buffer) => this.take('err', c.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code, signal) => {
        for (const k of ['out', 'err'] as const) if (this.partial[k]) this.lines.push(this.partial[k]);
        resolve({ code, signal });
      }),
    );
  }

  private take(k: 'out' | 'err', chunk: string): void {
    const parts = (this.partial[k] + chunk).split('\n');
    this.partial[k] = parts.pop()!;
    this.lines.push(...parts.filter((l) => l !== ''));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  output(): string {
    return `\n--- Pandu's output (last 40 lines) ---\n${this.lines.slice(-40).join('\n')}`;
  }

  /** The structured log lines (pino JSON). */
  logs(): Record<string, unknown>[] {
    return this.lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  async started(): Promise<void> {
    await waitFor(
      'Pandu to start',
      () => {
        if (!this.running) throw new Error(`Pandu exited during start-up${this.output()}`);
        return this.logs().some((l) => l.msg === 'Pandu started');
      },
      () => this.output(),
    );
  }

  terminate(): void {
    this.child.kill('SIGTERM');
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}

// ---- the story --------------------------------------------------------------------------------------------

describe('Pandu end to end: node src/main.ts in long-polling mode, fake Bot API, its own redis-server', () => {
  let redis: RedisServer;
  let fake: FakeBotApi;
  let httpPort: number;
  let env: Record<string, string>;
  const pandus: Pandu[] = [];
  let pandu: Pandu;
  const members = new Set<number>();
  let topics: Map<number, Topic>;

  const ani = (): FakeUser => fake.user(7001, { first_name: 'Ani' });
  const dewi = (): FakeUser => fake.user(7002, { first_name: 'Dewi' });
  const sari = (): FakeUser => fake.user(501, { first_name: 'Sari' });

  const ctx = () => `${pandu.output()}\n--- recent messages ---\n${fake.sent.slice(-8).map((m) => `${m.chatId}/${m.threadId ?? '-'}: ${m.text.slice(0, 160)}`).join('\n')}`;

  /** Messages to a chat (and topic) since `since`, once one of them matches `until`. */
  async function waitForMessages(chatId: number, until: RegExp, since: number, thread?: number): Promise<SentMessage[]> {
    return waitFor(
      `a message to ${chatId}${thread !== undefined ? ` in topic ${thread}` : ''} matching ${until}`,
      () => {
        const got = fake.messagesTo(chatId, since).filter((m) => thread === undefined || m.threadId === thread);
        return got.some((m) => until.test(m.text)) && got;
      },
      ctx,
    );
  }

  /** The user types `text`; resolves with all they were sent once a message matches `until`. */
  async function say(u: FakeUser, text: string, until: RegExp): Promise<string> {
    const mark = fake.sent.length;
    fake.text(u, text);
    return (await waitForMessages(u.id, until, mark)).map((m) => m.text).join('\n');
  }

  /** The user presses the button labelled like `label` on the latest keyboard they were shown. */
  async function press(u: FakeUser, label: string, until: RegExp): Promise<string> {
    const shown = [...fake.messagesTo(u.id)].reverse().find((m) => inlineButtons(m.sentMarkup).length > 0);
    const button = shown && inlineButtons(shown.sentMarkup).find((b) => b.text.toLowerCase().includes(label.toLowerCase()));
    if (!shown || !button?.callback_data) {
      throw new Error(`no button "${label}" for ${u.first_name}; last keyboard: ${JSON.stringify(shown && inlineButtons(shown.sentMarkup).map((b) => b.text))}`);
    }
    const mark = fake.sent.length;
    fake.press(u, button.callback_data, { message: shown });
    return (await waitForMessages(u.id, until, mark)).map((m) => m.text).join('\n');
  }

  /** Staff write in a topic of the staff group. */
  function staffSays(who: FakeUser, topic: number, text: string): void {
    fake.enqueue(fake.build.text(who, text, { chat: GROUP, threadId: topic }));
  }

  /** The queue card of a ticket posted since `since`. */
  async function cardOf(ticket: string, since: number): Promise<SentMessage> {
    const isCard = (m: SentMessage) => m.text.startsWith(`🆕 Tiket #${ticket} `);
    return (await waitForMessages(GROUP.id, new RegExp(`^🆕 Tiket #${ticket} `), since)).find(isCard)!;
  }

  /** Sari presses "Ambil" on the card; resolves with the ticket's topic once its transcript is there. */
  async function claim(ticket: string, card: SentMessage): Promise<number> {
    expect(inlineButtons(card.sentMarkup).map((b) => b.text)).toEqual([`Ambil #${ticket}`]);
    const mark = fake.calls.length;
    const sentMark = fake.sent.length;
    fake.enqueue(fake.build.callback(sari(), inlineButtons(card.sentMarkup)[0]!.callback_data!, { chat: GROUP, message: card }));
    const answer = await fake.waitForCall('answerCallbackQuery', (c) => /Tiket #\d+/.test(String(c.payload.text ?? '')), { since: mark, timeoutMs: WAIT_MS });
    expect(answer.payload.text).toBe(`Tiket #${ticket} untuk Anda. Balas pengguna di topiknya.`);
    const [transcript] = await waitForMessages(GROUP.id, new RegExp(`^Tiket #${ticket} `), sentMark);
    expect(transcript!.threadId).toBeDefined();
    return transcript!.threadId!;
  }

  async function metrics(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  }

  function startPandu(): Pandu {
    pandu = new Pandu(env);
    pandus.push(pandu);
    return pandu;
  }

  beforeAll(async () => {
    redis = await startRedis();
    fake = await FakeBotApi.start();
    topics = addForumMethods(fake, members);
    members.add(sari().id);
    httpPort = await freePort();
    env = {
      LOG_LEVEL: 'debug', // the privacy check covers the chattiest level an operator would use
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      REDIS_URL: redis.url,
      HELPDESK_CHAT_ID: String(GROUP.id),
      HELPDESK_HOURS: 'always', // staff are "on duty" whatever the wall clock says
    };
    startPandu();
    await pandu.started();
  }, 60_000);

  afterAll(async () => {
    for (const p of pandus) p.kill();
    await Promise.all(pandus.map((p) => p.exited));
    await fake?.close();
    await redis?.stop();
  });

  it('1. two users at once: Ani takes the eligibility check by buttons and gets a verdict, Dewi checks her incentive status; /healthz, /metrics', async () => {
    // "Pandu started" is logged once polling is set going; its first getUpdates may reach the fake a moment later.
    await waitFor('long polling (a getUpdates call)', () => fake.callsOf('getUpdates').length + fake.heldPolls().length > 0, ctx);
    expect(fake.callsOf('setWebhook')).toEqual([]);
    // The staff group got its queue topic at start.
    expect([...topics.values()].map((t) => t.name)).toEqual(['📥 Antrean Pandu']);

    const eligibility = async () => {
      const u = ani();
      expect(await say(u, '/start', /Apa yang bisa saya bantu/)).toMatch(/Saya Pandu/);
      expect(await press(u, 'Cek syarat', /WNI/)).toContain('satu per satu');
      expect(await press(u, 'Ya', /Berapa umur/)).toBeTruthy();
      await say(u, '30', /sekolah atau kuliah/);
      await press(u, 'sudah lulus', /pekerjaan Anda sekarang/);
      // Typed answers work as well as buttons (and are quicker: no keyboard to take away first).
      await say(u, 'tidak satu pun', /salah satu dari ini/);
      await say(u, 'tidak satu pun', /Kartu Keluarga/);
      await say(u, 'belum ada', /sejak 2020/);
      await say(u, 'belum pernah', /tinggal sekarang/);
      await say(u, 'di indonesia', /Purna PMI/);
      const verdict = await press(u, 'Tidak', /Mau saya pandu/);
      expect(verdict).toContain('memenuhi syarat dasar');
      expect(verdict).not.toContain('belum memenuhi syarat');
      const last = fake.messagesTo(u.id).at(-1)!;
      expect(inlineButtons(last.sentMarkup).map((b) => b.text)).toEqual(expect.arrayContaining(['Ya, panduan daftar', 'Cek ulang', 'Menu utama']));
    };

    // The status lookup through the menu (demo record 1 of data/status-demo.csv, by card number).
    const status = async () => {
      const u = dewi();
      await say(u, '/start', /Apa yang bisa saya bantu/);
      expect(await press(u, 'Cek status insentif', /Lanjutkan cek status/)).toContain('tidak pernah dicatat di log');
      await press(u, 'Ya', /Ketik NIK/);
      await say(u, NIK, /membuktikan bahwa ini memang Anda/);
      await press(u, 'Kartu Prakerja', /16 angka/);
      const result = await say(u, CARD, /Ada lagi yang bisa saya bantu/);
      expect(result).toContain('Dijadwalkan');
      expect(result).toContain('Budi C. S.');
      expect(result).toContain('••••••••••••9901');
      expect(result).toContain('sudah saya hapus');
      expect(result).not.toContain(NIK);
      expect(result).not.toContain(CARD);
    };

    await Promise.all([eligibility(), status()]);
    // Neither heard the other's conversation.
    expect(fake.messagesTo(ani().id).some((m) => /NIK|Dijadwalkan/.test(m.text))).toBe(false);
    expect(fake.messagesTo(dewi().id).some((m) => /Berapa umur|memenuhi syarat/.test(m.text))).toBe(false);

    const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', checks: { redis: 'ok', telegram: 'ok' } });

    const m = await metrics();
    expect(m).toMatch(/^pandu_messages_in_total\{[^}]*channel="telegram"[^}]*\} [1-9]/m);
    for (const name of ['pandu_handoff_queue_length', 'pandu_handoff_opened_total', 'pandu_handoff_claimed_total', 'pandu_handoff_closed_total', 'pandu_handoff_wait_seconds', 'pandu_handoff_first_reply_seconds', 'pandu_handoff_ratings_total']) {
      expect(m, name).toContain(`# TYPE ${name} `);
    }
    expect(m).toMatch(/^pandu_handoff_queue_length 0$/m);
  }, TEST_MS);

  it('2. "petugas": a ticket, a card, Sari takes it, messages both ways, /selesai, a rating, back at the same step', async () => {
    const u = ani();
    await say(u, 'cek ulang', /WNI/);
    await say(u, 'ya', /Berapa umur/);

    expect(await say(u, 'petugas', /satu kalimat/)).toContain('Jangan tulis NIK');
    const groupMark = fake.sent.length;
    const opened = await say(u, 'insentif pertama belum masuk', /saya teruskan ke petugas/);
    expect(opened).toContain('Tiket #1 sudah dibuat. Anda di antrean nomor 1.');
    expect(opened).toContain('24 jam setiap hari');

    // The card in the queue topic, with its "Ambil" button.
    const queueTopic = [...topics.values()].find((t) => t.name.includes('Antrean'))!.id;
    const card = await cardOf('1', groupMark);
    expect(card.threadId).toBe(queueTopic);
    expect(card.text).toContain('Masalah: insentif pertama belum masuk');
    expect(card.text).toContain('Dari langkah: eligibility.age');

    // Sari takes it: a topic with the transcript; Ani hears who helps her.
    const aniMark = fake.sent.length;
    const topic = await claim('1', card);
    expect(topics.get(topic)?.name).toBe('🙋 #1 insentif pertama belum masuk');
    await waitForMessages(u.id, /Petugas Sari sekarang membantu Anda/, aniMark);
    await waitFor('the card to say who took it', () => fake.sent.find((m) => m.messageId === card.messageId && m.chatId === GROUP.id)?.text.includes('Diambil oleh Sari'), ctx);

    // Sari writes; Ani gets it. Ani writes; the topic gets it (and the bot itself says nothing to Ani).
    let mark = fake.sent.length;
    staffSays(sari(), topic, 'Halo Ani, sudah memberi rating pelatihan pertama?');
    const relayed = await waitForMessages(u.id, /Halo Ani/, mark);
    expect(relayed.map((m) => m.text)).toEqual(['👤 Sari (petugas): Halo Ani, sudah memberi rating pelatihan pertama?']);
    mark = fake.sent.length;
    fake.text(u, 'sudah, tiga hari lalu');
    const inTopic = await waitForMessages(GROUP.id, /sudah, tiga hari lalu/, mark, topic);
    expect(inTopic.map((m) => m.text)).toEqual(['👤 sudah, tiga hari lalu']);
    expect(fake.messagesTo(u.id, mark)).toEqual([]);

    // /selesai: Ani is told and asked for a rating; the topic is closed.
    mark = fake.sent.length;
    staffSays(sari(), topic, '/selesai');
    const closing = await waitForMessages(u.id, /Pilih nilai 1/, mark);
    expect(closing.map((m) => m.text).join('\n')).toContain('Petugas sudah menyelesaikan percakapan ini');
    expect(inlineButtons(closing.at(-1)!.sentMarkup).map((b) => b.text)).toEqual(['1 - Buruk', '2 - Kurang', '3 - Cukup', '4 - Baik', '5 - Sangat baik', 'Lewati']);
    await waitForMessages(GROUP.id, /ditutup oleh Sari/, mark, topic);
    await waitFor('the ticket topic to be closed', () => topics.get(topic)?.closed, ctx);

    // She rates and is asked her age again: back at the step she left.
    mark = fake.sent.length;
    const rated = await press(u, '4 - Baik', /Berapa umur/);
    expect(rated).toContain('Terima kasih atas penilaian Anda');
    await waitForMessages(GROUP.id, /Nilai dari pengguna untuk tiket #1: 4\/5/, mark, topic);
    expect(await say(u, '30', /sekolah atau kuliah/)).toBeTruthy();

    const m = await metrics();
    expect(m).toMatch(/^pandu_handoff_opened_total\{channel="telegram"\} 1$/m);
    expect(m).toMatch(/^pandu_handoff_claimed_total 1$/m);
    expect(m).toMatch(/^pandu_handoff_closed_total\{reason="staff"\} 1$/m);
    expect(m).toMatch(/^pandu_handoff_ratings_total\{rating="4"\} 1$/m);
  }, TEST_MS);

  it('3. SIGTERM while a ticket is claimed, a restart on the same Redis: the conversation goes on, nothing lost', async () => {
    const u = dewi(); // at the end of her status lookup (test 1)
    // She asks for a person, and gives her phone number although asked not to.
    await say(u, 'petugas', /satu kalimat/);
    const groupMark = fake.sent.length;
    expect(await say(u, `status dijadwalkan tapi belum masuk, hp saya ${PHONE}`, /saya teruskan ke petugas/)).toContain('Tiket #2 sudah dibuat. Anda di antrean nomor 1.');
    const card = await cardOf('2', groupMark);
    expect(card.text).not.toContain(PHONE);
    const dewiMark = fake.sent.length;
    const topic = await claim('2', card);
    await waitForMessages(u.id, /Petugas Sari sekarang membantu Anda/, dewiMark);
    let mark = fake.sent.length;
    staffSays(sari(), topic, 'Halo Dewi, saya cek dulu ya.');
    await waitForMessages(u.id, /Halo Dewi, saya cek dulu/, mark);

    // SIGTERM while the ticket is claimed: a clean stop, exit code 0.
    const first = pandu;
    first.terminate();
    expect(await first.exited, first.output()).toEqual({ code: 0, signal: null });
    expect(first.logs().some((l) => l.msg === 'stopped')).toBe(true);

    // Staff and user write while Pandu is down; a new Pandu starts on the same Redis.
    mark = fake.sent.length;
    staffSays(sari(), topic, 'Dewi, dana dijadwalkan cair dalam 5 hari kerja.');
    startPandu();
    await pandu.started();
    const relayed = await waitForMessages(u.id, /dana dijadwalkan cair/, mark);
    expect(relayed.map((m) => m.text)).toEqual(['👤 Sari (petugas): Dewi, dana dijadwalkan cair dalam 5 hari kerja.']);
    const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    expect(await health.json()).toMatchObject({ status: 'ok', checks: { redis: 'ok', telegram: 'ok' } });
    // The queue topic was not created again.
    expect([...topics.values()].filter((t) => t.name.includes('Antrean'))).toHaveLength(1);

    // Dewi is still with staff: what she writes goes to the same topic, the bot says nothing itself.
    mark = fake.sent.length;
    fake.text(u, 'baik, terima kasih');
    expect((await waitForMessages(GROUP.id, /baik, terima kasih/, mark, topic)).map((m) => m.text)).toEqual(['👤 baik, terima kasih']);
    expect(fake.messagesTo(u.id, mark)).toEqual([]);

    // /selesai works after the restart; she rates and is back at the status step she left.
    mark = fake.sent.length;
    staffSays(sari(), topic, '/selesai');
    await waitForMessages(u.id, /Pilih nilai 1/, mark);
    await waitForMessages(GROUP.id, /ditutup oleh Sari/, mark, topic);
    const back = await press(u, '5 - Sangat baik', /Ada lagi yang bisa saya bantu/);
    expect(back).toContain('Terima kasih atas penilaian Anda');
    const last = fake.messagesTo(u.id).at(-1)!;
    expect(inlineButtons(last.sentMarkup).map((b) => b.text)).toEqual(['Cek lagi', 'Info insentif', 'Bantuan resmi', 'Menu utama']);
    await waitForMessages(GROUP.id, /Nilai dari pengguna untuk tiket #2: 5\/5/, mark, topic);
    await waitFor('the ticket topic to be closed', () => topics.get(topic)?.closed, ctx);

    // Nothing was handled twice across the restart: every staff message reached Dewi once.
    const toDewi = fake.messagesTo(u.id).map((m) => m.text);
    expect(toDewi.filter((t) => t.includes('Halo Dewi, saya cek dulu'))).toHaveLength(1);
    expect(toDewi.filter((t) => t.includes('dana dijadwalkan cair'))).toHaveLength(1);
    expect(toDewi.filter((t) => t.includes('Pilih nilai 1'))).toHaveLength(1);
  }, TEST_MS);

  it('5. exit code 0 after SIGTERM; no log line holds the NIK, the card number or the phone number', async () => {
    const last = pandu;
    last.terminate();
    expect(await last.exited, last.output()).toEqual({ code: 0, signal: null });
    expect(pandus).toHaveLength(2);
    for (const p of pandus) {
      expect(p.lines.length).toBeGreaterThan(5);
      for (const line of p.lines) for (const secret of NOT_IN_LOGS) expect(line.includes(secret), `a log line holds ${secret}: ${line}`).toBe(false);
    }
  }, TEST_MS);
});

describe('4. a bad configuration stops start-up', () => {
  it('exit code 2, each bad variable named, no secret value printed, Telegram never called', async () => {
    const fake = await FakeBotApi.start();
    try {
      const webhookSecret = 'not a valid secret: has spaces';
      const p = new Pandu({
        TELEGRAM_BOT_TOKEN: fake.token,
        TELEGRAM_API_ROOT: fake.apiRoot,
        TELEGRAM_WEBHOOK_SECRET: webhookSecret,
        WHATSAPP_ENABLED: 'true',
        STATUS_PROVIDER: 'redis',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(await freePort()),
      });
      const { code } = await p.exited;
      const out = p.lines.join('\n');
      expect(code, out).toBe(2);
      expect(out).toMatch(/^ {2}- WHATSAPP_ID_SECRET: required when WHATSAPP_ENABLED=true/m);
      expect(out).toMatch(/^ {2}- STATUS_HMAC_SECRET: required when STATUS_PROVIDER=redis/m);
      expect(out).toMatch(/^ {2}- TELEGRAM_WEBHOOK_SECRET: .*not shown: it is a secret/m);
      expect(out).toMatch(/Invalid configuration \(3 problems/);
      expect(out).not.toContain(webhookSecret);
      expect(out).not.toContain(fake.token);
      expect(out).not.toContain(fake.token.split(':')[1]!);
      expect(out).not.toMatch(/\n\s+at /); // a message for an operator, not a stack trace
      expect(fake.calls).toEqual([]);
    } finally {
      await fake.close();
    }
  }, 30_000);
});
