// Whole status lookups through the runtime: consent, NIK hints, verification by card and by
// phone (Telegram contact, WhatsApp sender), every failure, lockout, privacy of the session and
// of the logs, and the scripted dialogues of test/conversations/status.yaml.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Inbound } from '../src/core/types.ts';
import { createLogger } from '../src/log.ts';
import { createHasher } from '../src/prakerja/status/hash.ts';
import { ProviderUnavailableError, type StatusProvider } from '../src/prakerja/status/provider.ts';
import { hasKey, readLocales } from '../src/core/i18n.ts';
import { REASON_CODES, STATUS_CODES } from '../src/prakerja/status/record.ts';
import { ConsoleDriver } from './support/drivers/console.ts';
import { loadDialogues, runDialogue } from './support/dialogue.ts';
import { DEMO, demoProvider, statusApp, TEST_SECRET, type StatusApp } from './status-helpers.ts';
import { storedSession } from './support/stored-session.ts';

/** Start the lookup and get to the factor question with this NIK. */
async function toFactor(app: StatusApp, user: string, nik: string, channel: Inbound['channel'] = 'console'): Promise<string> {
  await app.text(user, '/start status', channel);
  await app.text(user, 'ya', channel);
  return app.text(user, nik, channel);
}

async function byCard(app: StatusApp, user: string, nik: string, card: string): Promise<string> {
  await toFactor(app, user, nik);
  await app.text(user, '2');
  return app.text(user, card);
}

function answersOf(app: StatusApp, user: string, channel = 'console'): Record<string, unknown> {
  const raw = app.store.rawOf(`${channel}:${user}`);
  return raw ? (storedSession(raw) as { answers: Record<string, unknown> }).answers : {};
}

describe('consent and the NIK', () => {
  it('shows the consent notice first, and "tidak" goes back to the menu without asking anything', async () => {
    const app = await statusApp();
    const first = await app.text('c1', '/start status');
    expect(first).toMatch(/NIK Anda/);
    expect(first).toMatch(/dihapus dari percakapan segera setelah pengecekan selesai/);
    expect(first).toMatch(/tidak pernah dicatat di log/);
    const no = await app.text('c1', 'tidak');
    expect(no).toMatch(/dashboard prakerja\.go\.id/);
    expect(no).toMatch(/Apa yang bisa saya bantu/);
  });

  it('gives a specific hint for each kind of NIK typo, and drops the bad NIK', async () => {
    const app = await statusApp();
    await app.text('n1', '/start status');
    await app.text('n1', 'ya');
    expect(await app.text('n1', '9901010101909901')).toMatch(/Dua angka pertama NIK \(99\) bukan kode provinsi/);
    expect(answersOf(app, 'n1')).not.toHaveProperty('nik');
    expect(await app.text('n1', '3201013202909901')).toMatch(/Angka ke-7 sampai ke-12 NIK adalah tanggal lahir/);
    expect(await app.text('n1', '320101010190990')).toMatch(/NIK terdiri dari 16 angka/); // 15 digits
    expect(await app.text('n1', '3201O10101909901')).toMatch(/NIK terdiri dari 16 angka/); // a letter O
    const ok = await app.text('n1', '3201-0101-0190-9901');
    expect(ok).toMatch(/membuktikan bahwa ini memang Anda/);
  });
});

describe('verification by card number', () => {
  it('answers with the label, meaning, what to do, amount and date; name masked; NIK as last four', async () => {
    const app = await statusApp();
    const out = await byCard(app, 'u1', DEMO.dijadwalkan.nik, '9999 0000 0000 0001');
    expect(out).toContain('Status: *Dijadwalkan*');
    expect(out).toContain('*Budi C. S.*');
    expect(out).toContain('NIK ••••••••••••9901');
    expect(out).toContain('Jumlah: Rp600.000');
    expect(out).toContain('Jadwal pembayaran: 1 Maret 2024');
    expect(out).toMatch(/3–5 hari kerja/);
    expect(out).toMatch(/Formulir Pengaduan/);
    expect(out).toMatch(/sudah saya hapus/);
    expect(out).not.toContain(DEMO.dijadwalkan.nik);
    expect(out).not.toContain('Santoso');
    expect(out).toMatch(/Ada lagi yang bisa saya bantu/);
    expect(answersOf(app, 'u1')).toEqual({});
  });

  it('explains every status, with the recorded cause; a paid record gets no invented label', async () => {
    const app = await statusApp();
    const cases: [keyof typeof DEMO, RegExp[]][] = [
      ['dalamPengecekan', [/Status: \*Dalam pengecekan\*/, /mencocokkan data akun/]],
      ['danaTertahan', [/Status: \*Dana tertahan\*/, /Penyebab yang tercatat: rekening disambungkan terlambat/, /dijadwalkan ulang/]],
      ['belumDiproses', [/Status: \*Belum diproses\*/, /Penyebab yang tercatat: belum memberi rating dan ulasan/, /1×24 jam/]],
      ['gagal', [/Status: \*Gagal\*/, /e-wallet belum upgrade/, /Jadwal pembayaran: 15 Januari 2024/]],
      ['paid', [/sudah dikirim pada 5 Maret 2024/, /bukan label resmi/]],
    ];
    for (const [k, patterns] of cases) {
      const d = DEMO[k] as { nik: string; card: string };
      const out = await byCard(app, `s-${k}`, d.nik, d.card);
      for (const p of patterns) expect(out).toMatch(p);
      expect(out).not.toMatch(/Berhasil/);
    }
    const paid = await byCard(app, 's-paid2', DEMO.paid.nik, DEMO.paid.card);
    expect(paid).not.toMatch(/Status:/);
  });

  it('answers in English', async () => {
    const app = await statusApp();
    await app.text('e1', '/start status');
    await app.text('e1', 'english');
    await app.text('e1', 'yes');
    await app.text('e1', DEMO.gagal.nik);
    await app.text('e1', 'card');
    const out = await app.text('e1', DEMO.gagal.card);
    expect(out).toContain('Status: *Gagal (failed)*');
    expect(out).toContain('Amount: Rp600,000');
    expect(out).toContain('15 January 2024');
    expect(out).toContain('NIK ••••••••••••9905');
  });

  it('a wrong card number and an unknown NIK get the same answer, and both count', async () => {
    const app = await statusApp();
    const wrong = await byCard(app, 'w1', DEMO.gagal.nik, DEMO.dijadwalkan.card);
    const unknown = await byCard(app, 'w2', DEMO.absent.nik, DEMO.absent.card);
    expect(wrong).toMatch(/tidak cocok dengan data kami, atau NIK itu tidak ada/);
    expect(wrong).toMatch(/Sisa percobaan: 4 kali/);
    expect(unknown).toBe(wrong);
    expect(answersOf(app, 'w1')).toEqual({});
  });

  it('asks again for a card number that is not 16 digits, without a lookup', async () => {
    const app = await statusApp();
    await toFactor(app, 'k1', DEMO.gagal.nik);
    await app.text('k1', 'kartu');
    expect(await app.text('k1', '9999 0000 0001')).toMatch(/terdiri dari 16 angka/);
    expect(answersOf(app, 'k1')).not.toHaveProperty('card');
    expect(await app.text('k1', DEMO.gagal.card)).toMatch(/Status: \*Gagal\*/);
  });
});

describe('verification by phone', () => {
  const contact = (phone: string, own: boolean) => ({ type: 'contact' as const, phone, own });

  it('Telegram: asks for the contact button, refuses a contact shared by someone else, accepts the own one', async () => {
    const app = await statusApp();
    await toFactor(app, 't1', DEMO.dijadwalkan.nik, 'telegram');
    const ask = await app.send('t1', { type: 'text', text: '1' }, 'telegram');
    const last = ask[ask.length - 1]!;
    expect(last.requestContact).toBe(true);
    expect(last.text).toMatch(/Bagikan kontak saya/);

    // Someone else's contact (own: false), even with the right number, is not accepted.
    const other = await app.send('t1', contact('+62 800 0000 0001', false), 'telegram');
    expect(other.map((r) => r.text).join('\n')).toMatch(/bukan milik akun yang sedang chat/);
    expect(other[other.length - 1]!.requestContact).toBe(true);

    // A typed number proves nothing.
    const typed = await app.send('t1', { type: 'text', text: '080000000001' }, 'telegram');
    expect(typed.map((r) => r.text).join('\n')).toMatch(/nomor HP yang diketik tidak bisa dipakai/);

    const own = await app.send('t1', contact('6280000000001', true), 'telegram');
    const text = own.map((r) => r.text).join('\n');
    expect(text).toContain('Status: *Dijadwalkan*');
    expect(answersOf(app, 't1', 'telegram')).toEqual({});
  });

  it('WhatsApp: the sender number that is not the registered one does not verify', async () => {
    const app = await statusApp();
    await toFactor(app, 'w1', DEMO.gagal.nik, 'whatsapp');
    await app.text('w1', 'nomor hp', 'whatsapp');
    const out = await app.send('w1', contact('6281399999999', true), 'whatsapp');
    const text = out.map((r) => r.text).join('\n');
    expect(text).toMatch(/NIK dan nomor HP yang Anda kirim tidak cocok/);
    expect(text).not.toMatch(/Status:/);
    expect(answersOf(app, 'w1', 'whatsapp')).toEqual({});
  });

  it('WhatsApp: the registered sender number verifies', async () => {
    const app = await statusApp();
    await toFactor(app, 'w2', DEMO.gagal.nik, 'whatsapp');
    await app.text('w2', '1', 'whatsapp');
    const out = await app.send('w2', contact('6280000000005', true), 'whatsapp');
    expect(out.map((r) => r.text).join('\n')).toContain('Status: *Gagal*');
  });

  it('a record without a phone never verifies by phone', async () => {
    const app = await statusApp();
    // Row 9 (Dana tertahan) has no phone.
    await toFactor(app, 'p9', '3201010909989909', 'telegram');
    await app.text('p9', '1', 'telegram');
    const out = await app.send('p9', contact('6280000000009', true), 'telegram');
    expect(out.map((r) => r.text).join('\n')).toMatch(/NIK dan nomor HP yang Anda kirim tidak cocok/);
  });

  it('a contact without a usable number is refused without a lookup', async () => {
    const app = await statusApp();
    await toFactor(app, 'p0', DEMO.gagal.nik, 'telegram');
    await app.text('p0', '1', 'telegram');
    const out = await app.send('p0', contact('', true), 'telegram');
    expect(out.map((r) => r.text).join('\n')).toMatch(/tidak bisa saya proses/);
    expect(answersOf(app, 'p0', 'telegram')).toEqual({});
  });

  it('"kembali" while waiting for the contact goes back to the choice of factor', async () => {
    const app = await statusApp();
    await toFactor(app, 'b1', DEMO.gagal.nik);
    await app.text('b1', '1');
    expect(await app.text('b1', 'kembali')).toMatch(/membuktikan bahwa ini memang Anda/);
    await app.text('b1', '2');
    expect(await app.text('b1', DEMO.gagal.card)).toContain('Status: *Gagal*');
  });
});

describe('lockout', () => {
  it('five wrong card numbers lock the lookup for an hour, with the time in WIB and where to get help', async () => {
    const app = await statusApp();
    const outs: string[] = [];
    for (let i = 0; i < 5; i++) {
      outs.push(await byCard(app, 'lk', DEMO.gagal.nik, `99990000000001${10 + i}`));
    }
    expect(outs[0]).toMatch(/Sisa percobaan: 4/);
    expect(outs[3]).toMatch(/Tinggal 1 kali percobaan lagi/);
    // 10:00 WIB now: locked until 11:00 WIB.
    expect(outs[4]).toMatch(/dikunci sementara.*setelah pukul 11\.00 WIB/s);
    expect(outs[4]).toMatch(/Formulir Pengaduan/);
    // Even the right card number is refused now, already after typing the NIK.
    const again = await toFactor(app, 'lk', DEMO.gagal.nik);
    expect(again).toMatch(/dikunci sementara/);
    expect(answersOf(app, 'lk')).toEqual({});
    // An hour later it works again.
    app.clock.now += 3_600_000;
    expect(await byCard(app, 'lk', DEMO.gagal.nik, DEMO.gagal.card)).toContain('Status: *Gagal*');
  });

  it('five failures on one NIK from different users lock that NIK for everyone', async () => {
    const app = await statusApp();
    for (let i = 0; i < 5; i++) await byCard(app, `attacker${i}`, DEMO.dijadwalkan.nik, `99990000000002${10 + i}`);
    const owner = await toFactor(app, 'owner', DEMO.dijadwalkan.nik, 'telegram');
    expect(owner).toMatch(/dikunci sementara/);
    // Other NIKs are not affected.
    expect(await byCard(app, 'someone', DEMO.gagal.nik, DEMO.gagal.card)).toContain('Status: *Gagal*');
  });

  it('a source that is down says "coba lagi nanti" with the official channels, and does not count', async () => {
    const down: StatusProvider = { kind: 'http', lookup: async () => Promise.reject(new ProviderUnavailableError('test')), close: async () => undefined };
    const app = await statusApp({ provider: down });
    for (let i = 0; i < 6; i++) {
      const out = await byCard(app, 'dn', DEMO.gagal.nik, DEMO.gagal.card);
      expect(out).toMatch(/Coba lagi nanti/);
      expect(out).toMatch(/bantuan\.prakerja\.go\.id/);
      expect(out).not.toMatch(/dikunci/);
    }
    expect(answersOf(app, 'dn')).toEqual({});
  });
});

describe('concurrency', () => {
  it('two users looking up at once each get their own record', async () => {
    const app = await statusApp();
    await Promise.all([toFactor(app, 'a', DEMO.dijadwalkan.nik), toFactor(app, 'b', DEMO.gagal.nik, 'telegram')]);
    await Promise.all([app.text('a', '2'), app.text('b', '2', 'telegram')]);
    const [a, b] = await Promise.all([app.text('a', DEMO.dijadwalkan.card), app.text('b', DEMO.gagal.card, 'telegram')]);
    expect(a).toContain('Status: *Dijadwalkan*');
    expect(a).toContain('9901');
    expect(a).not.toContain('Joko');
    expect(b).toContain('Status: *Gagal*');
    expect(b).toContain('9905');
    expect(b).not.toContain('Budi');
  });

  it('many lookups in parallel all succeed', async () => {
    const app = await statusApp();
    const users = Array.from({ length: 20 }, (_, i) => `p${i}`);
    const outs = await Promise.all(users.map((u, i) => byCard(app, u, i % 2 ? DEMO.gagal.nik : DEMO.dijadwalkan.nik, i % 2 ? DEMO.gagal.card : DEMO.dijadwalkan.card)));
    outs.forEach((o, i) => expect(o).toContain(i % 2 ? 'Status: *Gagal*' : 'Status: *Dijadwalkan*'));
  });
});

describe('privacy of the logs', () => {
  const secrets = [
    DEMO.dijadwalkan.nik,
    DEMO.dijadwalkan.card,
    DEMO.gagal.nik,
    DEMO.gagal.card,
    DEMO.absent.nik,
    '080000000001',
    '6280000000001',
    '80000000001',
    '6281399999999',
  ];

  async function wholeLookups(app: StatusApp): Promise<void> {
    await byCard(app, 'L1', DEMO.dijadwalkan.nik, '9999 0000 0000 0001');
    await byCard(app, 'L2', DEMO.gagal.nik, DEMO.dijadwalkan.card); // wrong card
    await byCard(app, 'L3', DEMO.absent.nik, DEMO.absent.card); // unknown NIK
    await toFactor(app, 'L4', DEMO.dijadwalkan.nik, 'telegram');
    await app.text('L4', '1', 'telegram');
    await app.send('L4', { type: 'contact', phone: '+6281399999999', own: false }, 'telegram');
    await app.send('L4', { type: 'contact', phone: '6280000000001', own: true }, 'telegram');
    await toFactor(app, 'L5', DEMO.gagal.nik, 'whatsapp');
    await app.text('L5', '1', 'whatsapp');
    await app.send('L5', { type: 'contact', phone: '6281399999999', own: true }, 'whatsapp');
    for (let i = 0; i < 5; i++) await byCard(app, 'L6', DEMO.gagal.nik, DEMO.dijadwalkan.card); // lockout
  }

  it('our code writes no NIK, card number, phone number or their hashes (plain pino, trace level)', async () => {
    const app = await statusApp();
    await wholeLookups(app);
    const text = app.log.text();
    expect(text).toMatch(/status lookup/); // something was logged
    expect(text).toMatch(/"outcome":"found"/);
    expect(text).toMatch(/"outcome":"lockedNow"/);
    for (const s of secrets) expect(text).not.toContain(s);
    const hasher = createHasher(TEST_SECRET);
    for (const nik of [DEMO.dijadwalkan.nik, DEMO.gagal.nik]) {
      expect(text).not.toContain(hasher.nikHash(nik).slice(0, 16));
    }
    // No long digit runs at all, apart from pino's own timestamps.
    expect(text.replace(/"time":\d+/g, '')).not.toMatch(/\d{10,}/);
  });

  it('the project logger (src/log.ts) output of whole lookups holds none either', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _e, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const logger = createLogger({ level: 'trace', destination: stream });
    const app = await statusApp({ log: { logger, text: () => lines.join('') }, provider: await demoProvider() });
    await wholeLookups(app);
    const text = lines.join('');
    expect(text.length).toBeGreaterThan(0);
    for (const s of secrets) expect(text).not.toContain(s);
  });
});

describe('test/conversations/status.yaml', () => {
  const files = loadDialogues().filter((f) => f.file.endsWith('status.yaml'));
  it('exists', () => expect(files).toHaveLength(1));
  for (const { dialogues } of files) {
    for (const [i, d] of dialogues.entries()) {
      it(d.name, async () => {
        const app = await statusApp();
        await runDialogue(new ConsoleDriver(app.runtime), d, `dlg${i}`);
      });
    }
  }
});

describe('texts', () => {
  it('every text the status actions can say exists in every locale (the loader does not see them)', () => {
    const keys = [
      'status.nik.again', 'status.nik.bad.length', 'status.nik.bad.notDigits', 'status.nik.bad.province', 'status.nik.bad.date',
      'status.phone.ask', 'status.phone.again', 'status.phone.notOwn', 'status.card.bad',
      'status.factorName.phone', 'status.factorName.card', 'status.contact.button', 'status.contact.useWhatsapp',
      'status.result.intro', 'status.result.label', 'status.result.scheduled', 'status.result.paidDate', 'status.result.paid',
      'status.result.amount', 'status.result.reason', 'status.result.note',
      'status.fail.notVerified', 'status.fail.notVerifiedLast', 'status.fail.invalid', 'status.locked', 'status.unavailable', 'status.forgotten',
      ...STATUS_CODES.flatMap((c) => [`status.labels.${c}.meaning`, `status.labels.${c}.todo`, ...(c === 'paid' ? [] : [`status.labels.${c}.name`])]),
      ...REASON_CODES.map((r) => `status.reasons.${r}`),
    ];
    const res = readLocales('locales');
    for (const lang of ['id', 'en'] as const) for (const k of keys) expect(hasKey(res[lang], k), `${k} in ${lang}`).toBe(true);
    // No invented label for paid records (prakerja.md §3d: "Berhasil" is not confirmed).
    expect(hasKey(res.id, 'status.labels.paid.name')).toBe(false);
    expect(JSON.stringify(res.id.status)).not.toMatch(/Berhasil/);
  });
});
