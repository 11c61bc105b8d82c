// Personal data never reaches a log line: NIK, KK and card numbers, phone numbers and WhatsApp
// ids, birth dates, in fields, nested fields, messages, placeholders, child bindings and errors.
// Ordinary numbers stay, so logs remain useful.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED, scrubText, scrubValue, type Logger } from '../src/log.ts';

const NIKS = ['3174012345678901', '3174 0123 4567 8901', '3174-0123-4567-8901'];
const KKS = ['3171234567890123', '3171-2345-6789-0123', '3171.2345.6789.0123'];
const CARDS = ['5200123456789012', '5200 1234 5678 9012'];
const PHONES = [
  '081234567890',
  '0812-3456-7890',
  '0812 3456 789',
  '0812.3456.7890',
  '+6281234567890',
  '+62 812-3456-7890',
  '+62 812 3456 7890',
  '6281234567890',
  '62 812 3456 7890',
  '(0812) 3456 7890',
  '+62 21 5550 1234',
];
const WA_IDS = ['6281234567890@c.us', '6289876543210@s.whatsapp.net', '120363025246125888@g.us'];
const DATES = [
  '17-08-1990',
  '17/8/90',
  '17/08/1990',
  '1990-08-17',
  '1990/8/17',
  '17.08.1990',
  '17 Agustus 1990',
  '17 agustus 1990',
  '17 AGUSTUS 1990',
  '17 Agt 1990',
  '17 August 1990',
  '17th August 1990',
  'August 17, 1990',
  '3 Mei 1985',
  '3 Des 85',
];
const ALL = [...NIKS, ...KKS, ...CARDS, ...PHONES, ...WA_IDS, ...DATES];

function capture(level = 'trace', pretty = false): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { log: createLogger({ level, destination, pretty }), lines };
}

/** The logged text without the fields pino adds itself (time, pid, hostname contain digits). */
function payload(lines: string[]): string {
  return lines
    .map((line) => {
      const { time: _t, pid: _p, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return JSON.stringify(rest);
    })
    .join('\n');
}

/** Fails with the offending value and line, so a leak is easy to find. */
function expectNoPersonalData(text: string): void {
  const digitsOnly = text.replace(/\D/g, '');
  for (const value of ALL) {
    expect(text, `raw ${JSON.stringify(value)} leaked`).not.toContain(value);
    expect(text, `raw ${JSON.stringify(value)} leaked (JSON-escaped)`).not.toContain(JSON.stringify(value).slice(1, -1));
    const digits = value.replace(/\D/g, '');
    // Long numbers must not survive even split across fields or reformatted.
    if (digits.length >= 10) expect(digitsOnly, `digits of ${JSON.stringify(value)} leaked`).not.toContain(digits);
  }
  // Birth years never appear in any form.
  expect(text).not.toMatch(/1990|1985|\b85\b/);
}

describe('createLogger keeps personal data out of every line', () => {
  it('fields, nested fields, arrays, numbers, dates, messages and placeholders', () => {
    const { log, lines } = capture();
    let calls = 0;
    for (const nik of NIKS) {
      log.info({ nik }, 'nik field');
      log.info({ user: { nik } }, 'nested one level');
      log.info({ a: { b: { c: { d: { note: `NIK saya ${nik}` } } } } }, 'deeply nested free text');
      log.info({ NIK: nik, Nik: nik }, 'field name in other cases');
      log.info(`message with NIK ${nik} inline`);
      log.info({ step: 'nik' }, 'placeholder %s', nik);
      log.info({ values: ['ok', nik, 42] }, 'array');
      calls += 7;
    }
    for (const kk of KKS) {
      log.warn({ kk, noKk: kk, nomorKk: kk }, `kk ${kk}`);
      log.warn({ form: { noKk: kk, text: `KK: ${kk}` } });
      calls += 2;
    }
    for (const card of CARDS) {
      log.info({ cardNumber: card, payment: { cardNumber: card }, note: `kartu ${card}` }, 'card %s', card);
      calls += 1;
    }
    for (const phone of PHONES) {
      log.info({ phone, contact: { phoneNumber: phone }, info: `hubungi ${phone}` }, `nomor ${phone}`);
      log.debug('templated %s and %j and %o', phone, { hp: phone }, [phone]);
      log.info({ msg: `inline msg field ${phone}` });
      calls += 3;
    }
    for (const id of WA_IDS) {
      log.info({ from: id, chat: { id } }, 'whatsapp message from %s', id);
      calls += 1;
    }
    for (const date of DATES) {
      log.info({ birthDate: date, dob: date, profile: { birthDate: date, answer: `lahir ${date}` } }, `tanggal lahir ${date}`);
      calls += 1;
    }
    // Numbers: a phone or NIK stored as a number, including a bigint; a Date of birth.
    log.info({ n: 6281234567890, big: 3174012345678901n, when: new Date('1990-08-17T00:00:00Z') }, 'numbers');
    // A long number split across two placeholders must not be reassembled in the output.
    log.info('nik %s%s', '31740123', '45678901');
    // A non-string message.
    log.info(6281234567890 as unknown as string);
    // Free text under text/body is dropped whatever it says.
    log.info({ text: 'nama saya Budi, rumah di Jl. Melati 7', body: 'halo' }, 'inbound');
    // ...at any depth, where no pattern could recognise it.
    log.info({ inbound: { channel: 'telegram', event: { type: 'text', text: 'ibu saya Siti Aminah' } } }, 'nested inbound');
    log.info({ reply: [{ body: 'alamat Jl. Kenanga' }], form: { Phone: 'nomor ibu saya' } }, 'nested body');
    calls += 6;

    expect(lines).toHaveLength(calls);
    const out = payload(lines);
    expectNoPersonalData(out);
    expect(out).toContain(REDACTED);
    for (const word of ['Budi', 'Melati', 'Siti', 'Kenanga', 'nomor ibu']) expect(out).not.toContain(word);
    expect(out).toContain('"channel":"telegram"');
    // The structure and the harmless parts survive.
    expect(out).toContain('"step":"nik"');
    expect(out).toContain('"msg":"nik field"');
    expect(out).toContain('"values":["ok","[redacted]",42]');
    expect(out).toContain('@c.us');
  });

  it('errors: message, stack, cause, custom fields, aggregate errors, any key, with and without a message', () => {
    const { log, lines } = capture();
    const nik = NIKS[0]!;
    const phone = PHONES[0]!;
    const date = DATES[6]!;
    const make = () => {
      const err = new Error(`NIK ${nik} tidak cocok dengan nomor ${phone}`, {
        cause: new Error(`tanggal lahir ${date} salah`),
      }) as Error & { phoneNumber?: string; detail?: unknown };
      err.phoneNumber = phone;
      err.detail = { nik, note: `hubungi ${phone}` };
      return err;
    };
    log.error(make());
    log.error(make(), 'lookup failed for %s', phone);
    log.error({ err: make() });
    log.error({ err: make() }, 'lookup failed');
    log.error({ error: make(), nested: { e: make() } }, 'errors under other keys');
    log.error({ err: new AggregateError([make(), make()], `two failures for ${nik}`) });
    class StatusError extends Error {
      override name = 'StatusError';
    }
    log.error({ err: new StatusError(`status ${nik}`) });

    expect(lines).toHaveLength(7);
    const out = payload(lines);
    expectNoPersonalData(out);

    const first = JSON.parse(lines[0]!) as { err: { type: string; message: string; stack: string }; msg: string };
    expect(first.err.type).toBe('Error');
    expect(first.msg).toBe('NIK [redacted] tidak cocok dengan nomor [redacted]');
    expect(first.err.message).toContain('tanggal lahir [redacted] salah'); // the cause is kept
    expect(first.err.stack).toContain('log.test.ts'); // stacks stay useful
    const third = JSON.parse(lines[2]!) as { msg: string };
    expect(third.msg).toBe('NIK [redacted] tidak cocok dengan nomor [redacted]'); // message from err
    const last = JSON.parse(lines[6]!) as { err: { type: string } };
    expect(last.err.type).toBe('StatusError');
  });

  it('child loggers and setBindings', () => {
    const { log, lines } = capture();
    const child = log.child({ chat: WA_IDS[0], phone: PHONES[1] });
    child.info('from a child');
    const grandchild = child.child({ user: { nik: NIKS[0] } });
    grandchild.info({ step: 'x' }, 'from a grandchild');
    grandchild.setBindings({ caller: PHONES[2] });
    grandchild.info('after setBindings');
    expect(lines).toHaveLength(3);
    expectNoPersonalData(payload(lines));
    expect(payload(lines)).toContain('from a grandchild');
  });

  it('pretty output is scrubbed too', () => {
    const { log, lines } = capture('info', true);
    log.info({ nik: NIKS[0], note: `hp ${PHONES[0]}` }, `lahir ${DATES[0]}`);
    const out = lines.join('');
    expect(out).toContain('lahir [redacted]');
    for (const v of [NIKS[0]!, PHONES[0]!, DATES[0]!]) expect(out).not.toContain(v);
  });

  it('keeps ordinary numbers, so logs stay useful', () => {
    const { log, lines } = capture();
    log.info(
      { age: 25, gelombang: 71, amount: 'Rp600.000', total: 'Rp3.500.000', ms: 12.5, count: 1000, version: '4.1.12' },
      'Peserta umur 25 ikut gelombang 71, insentif Rp600.000 (total Rp3.500.000), 3 pelatihan, jam 08.00-16.00 WIB, versi 4.1.12, port 8080',
    );
    log.info('step %s took %d ms for %d users', 'age', 12.5, 1000);
    const [line1, line2] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(line1).toMatchObject({
      age: 25,
      gelombang: 71,
      amount: 'Rp600.000',
      total: 'Rp3.500.000',
      ms: 12.5,
      count: 1000,
      version: '4.1.12',
      msg: 'Peserta umur 25 ikut gelombang 71, insentif Rp600.000 (total Rp3.500.000), 3 pelatihan, jam 08.00-16.00 WIB, versi 4.1.12, port 8080',
    });
    expect(line2!['msg']).toBe('step age took 12.5 ms for 1000 users');
    expect(JSON.stringify(line1)).not.toContain(REDACTED);
  });

  it('never throws, even on circular objects or throwing getters', () => {
    const { log, lines } = capture();
    const circular: Record<string, unknown> = { nik: NIKS[0], note: `hp ${PHONES[0]}` };
    circular['self'] = circular;
    expect(() => log.info({ circular }, 'circular')).not.toThrow();
    const hostile = {
      get boom(): string {
        throw new Error('getter');
      },
    };
    expect(() => log.info({ hostile }, 'hostile')).not.toThrow();
    expect(lines).toHaveLength(2);
    expectNoPersonalData(payload(lines));
  });

  it('respects the level', () => {
    const { log, lines } = capture('warn');
    log.info('not written');
    log.warn('written');
    expect(lines).toHaveLength(1);
  });
});

describe('scrubText', () => {
  it.each(ALL)('redacts %s', (value) => {
    expect(scrubText(`data: ${value} (end)`)).toBe(`data: ${value.startsWith('(') ? '(' : ''}${REDACTED}${value.match(/@.*$/)?.[0] ?? ''} (end)`);
  });

  it('redacts a bot token', () => {
    expect(scrubText('token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1 end')).toBe(`token ${REDACTED} end`);
    expect(scrubText('POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1/getMe')).toBe(
      `POST https://api.telegram.org/bot${REDACTED}/getMe`,
    );
  });

  it.each([
    'umur 25 tahun',
    'gelombang 71',
    'Rp600.000',
    'Rp3.500.000',
    'insentif Rp 2.400.000 dalam 4 kali',
    'jam 08.00-16.00',
    'versi 4.1.12',
    'pilih 1, 2 atau 3',
    'skor 87/100',
    'pelatihan 15 jam',
    'kode 123456',
    'http://127.0.0.1:8080/health',
    '50% selesai',
    'Januari 2025',
  ])('leaves %s alone', (text) => {
    expect(scrubText(text)).toBe(text);
  });

  it('is idempotent', () => {
    const once = scrubText(`NIK ${NIKS[0]} hp ${PHONES[4]} lahir ${DATES[7]}`);
    expect(scrubText(once)).toBe(once);
  });
});

describe('scrubValue', () => {
  it('returns the very same object when there is nothing to scrub (no copying on the hot path)', () => {
    const value = { chatId: 'c_9f8e', step: 'age', ms: 1.5, tags: ['a', 'b'], nested: { ok: true, n: 25 } };
    expect(scrubValue(value)).toBe(value);
  });

  it('copies on write and never mutates its input', () => {
    const value = { keep: { a: 1 }, user: { nik: NIKS[0], name: 'x' }, list: ['ok', PHONES[0]] };
    const snapshot = structuredClone(value);
    const out = scrubValue(value) as typeof value;
    expect(value).toEqual(snapshot);
    expect(out.keep).toBe(value.keep); // untouched branches are shared
    expect(out.user).toEqual({ nik: REDACTED, name: 'x' });
    expect(out.list).toEqual(['ok', REDACTED]);
  });
});
