import { describe, expect, it } from 'vitest';
import { looksLikeValue, matchOption, parseDate, parseInteger, parseNik, parseNumberWords, parseYesNo } from '../src/core/inputs.ts';

const today = new Date(Date.UTC(2026, 10, 22));

describe('yes/no', () => {
  it.each(['ya', 'Iya', 'y', 'YES', 'benar', 'betul', 'sudah', 'udh', 'ya, saya WNI', 'Iya benar!'])('%s is yes', (t) => expect(parseYesNo(t)).toBe(true));
  it.each(['tidak', 'gak', 'ga', 'nggak', 'enggak', 'no', 'bukan', 'belum', 'tdk', 'tidak, saya kuliah'])('%s is no', (t) => expect(parseYesNo(t)).toBe(false));
  it.each(['mungkin', '', 'apa itu WNI?', 'yaudah gmn'])('%s is neither', (t) => expect(parseYesNo(t)).toBeNull());
  // The first word decides when the rest does not contradict it.
  it.each(['iya sudah', 'iya sudah pernah', 'udah pernah', 'ya betul saya WNI', 'sudah, tahun lalu'])('%s is yes (first word)', (t) => expect(parseYesNo(t)).toBe(true));
  it.each(['gak pernah', 'gak pernah sama sekali', 'belum pernah', 'tidak, sudah lulus', 'nggak kok', 'ga ada'])('%s is no (first word)', (t) => expect(parseYesNo(t)).toBe(false));
  // "I don't know", "not sure", or a yes taken back: asked again, never guessed.
  it.each(['ya ngga tahu', 'ya gak tau', 'tidak tahu', 'gak tau', 'ga yakin', 'kurang tahu', 'lupa', 'ya belum', 'iya tidak', 'sudah tidak', 'no idea', 'not sure'])(
    '%s is neither (unsure or contradictory)',
    (t) => expect(parseYesNo(t)).toBeNull(),
  );
});

describe('integer in a range', () => {
  it('reads digits, also wrapped in words', () => {
    expect(parseInteger('25', 0, 120)).toEqual({ ok: true, value: 25 });
    expect(parseInteger('umur saya 25 tahun', 0, 120)).toEqual({ ok: true, value: 25 });
    expect(parseInteger(' 30thn ', 0, 120)).toEqual({ ok: true, value: 30 });
  });
  it('reads numbers written in words, Indonesian and English', () => {
    expect(parseInteger('dua puluh lima', 0, 120)).toEqual({ ok: true, value: 25 });
    expect(parseInteger('duapuluh lima', 0, 120)).toEqual({ ok: true, value: 25 });
    expect(parseInteger('umur saya tiga puluh tahun', 0, 120)).toEqual({ ok: true, value: 30 });
    expect(parseInteger('sembilan belas', 0, 120)).toEqual({ ok: true, value: 19 });
    expect(parseInteger('seratus', 0, 120)).toEqual({ ok: true, value: 100 });
    expect(parseInteger('twenty-five years', 0, 120)).toEqual({ ok: true, value: 25 });
    expect(parseInteger('dua orang', 0, 50)).toEqual({ ok: true, value: 2 });
    expect(parseInteger('seratus lima puluh', 0, 120)).toEqual({ ok: false, reason: 'range' });
  });
  it.each([
    ['nol', 0], ['satu', 1], ['sepuluh', 10], ['sebelas', 11], ['dua belas', 12], ['duabelas', 12], ['tiga puluh', 30],
    ['tigapuluh satu', 31], ['sembilan puluh sembilan', 99], ['seratus', 100], ['seratus satu', 101], ['seratus sebelas', 111],
    ['seratus dua puluh lima', 125], ['dua ratus', 200], ['limaratus lima', 505], ['seribu', 1000], ['seribu sembilan ratus sembilan puluh', 1990],
    ['dua ribu dua puluh empat', 2024], ['dua puluh ribu', 20000], ['seratus ribu', 100000],
    ['nineteen', 19], ['forty two', 42], ['one hundred and five', 105], ['two thousand', 2000],
  ] as const)('%s = %d', (t, n) => expect(parseNumberWords(t)).toBe(n));
  it.each(['dua lima', 'puluh', 'puluh dua', 'lima seratus', 'sebelas dua', 'dua puluh tiga puluh', 'ribu', 'seribu seribu', 'nol puluh', 'dua puluh x', '', 'constructor', 'twenty twenty'])(
    '%s is not a number',
    (t) => expect(parseNumberWords(t)).toBeNull(),
  );
  it('rejects other words, decimals and out-of-range values with the reason', () => {
    expect(parseInteger('dua lima', 0, 120)).toEqual({ ok: false, reason: 'format' });
    expect(parseInteger('banyak', 0, 120)).toEqual({ ok: false, reason: 'format' });
    expect(parseInteger('25.5', 0, 120)).toEqual({ ok: false, reason: 'format' });
    expect(parseInteger('200', 0, 120)).toEqual({ ok: false, reason: 'range' });
    expect(parseInteger('99999999999999999999', 0, 120)).toEqual({ ok: false, reason: 'format' });
    expect(parseInteger('  ', 0, 120)).toEqual({ ok: false, reason: 'empty' });
  });
});

describe('dates in common Indonesian forms', () => {
  it.each([
    ['17-08-1990', '1990-08-17'],
    ['17/8/90', '1990-08-17'],
    ['17.08.1990', '1990-08-17'],
    ['1990-08-17', '1990-08-17'],
    ['17 Agustus 1990', '1990-08-17'],
    ['17 agt 1990', '1990-08-17'],
    ['1 Mei 2005', '2005-05-01'],
    ['5/1/05', '2005-01-05'],
    ['17 August 1990', '1990-08-17'],
  ])('%s', (t, iso) => expect(parseDate(t, today)).toEqual({ ok: true, value: iso }));
  it('rejects impossible and future dates', () => {
    expect(parseDate('31-02-2000', today)).toEqual({ ok: false, reason: 'range' });
    expect(parseDate('17 Agustusan 1990', today)).toEqual({ ok: false, reason: 'range' });
    expect(parseDate('kemarin', today)).toEqual({ ok: false, reason: 'format' });
    expect(parseDate('01-01-2030', today, true)).toEqual({ ok: false, reason: 'range' });
  });
});

describe('NIK', () => {
  it('accepts 16 digits typed with separators', () => {
    expect(parseNik('3201 0112 3456 0001')).toEqual({ ok: true, value: '3201011234560001' });
    expect(parseNik('3201-0112-3456-0001')).toEqual({ ok: true, value: '3201011234560001' });
  });
  it('rejects other lengths and letters', () => {
    expect(parseNik('32010112345600')).toEqual({ ok: false, reason: 'range' });
    expect(parseNik('3201O11234560001')).toEqual({ ok: false, reason: 'format' });
  });
});

describe('choosing an option', () => {
  const options = [
    { id: 'eligibility', names: ['Cek syarat', 'Check requirements'] },
    { id: 'registration', names: ['Panduan daftar', 'Registration guide'] },
    { id: 'courses', names: ['Tips pilih pelatihan', 'Course tips'] },
  ];
  it('by number, by label in either language, by a unique part, by a near miss', () => {
    expect(matchOption('2', options)).toBe('registration');
    expect(matchOption('no 3', options)).toBe('courses');
    expect(matchOption('Cek Syarat', options)).toBe('eligibility');
    expect(matchOption('registration guide', options)).toBe('registration');
    expect(matchOption('pelatihan', options)).toBe('courses');
    expect(matchOption('panduan dafar', options)).toBe('registration');
    expect(matchOption('cek sarat', options)).toBe('eligibility');
  });
  it('refuses what fits nothing or more than one', () => {
    expect(matchOption('9', options)).toBeNull();
    expect(matchOption('apa kabar', options)).toBeNull();
    expect(matchOption('', options)).toBeNull();
  });
});

describe('what looks like an attempt at a value (the understander is not asked)', () => {
  const integer = { type: 'integer', min: 1, max: 120 } as const;
  const date = { type: 'date' } as const;
  const nik = { type: 'nik' } as const;
  it.each(['25,5', 'dua lima', 'umur dua lima', 'dua puluh x', '30an', 'twenty twenty'])('integer: %s', (t) => expect(looksLikeValue(integer, t)).toBe(true));
  it.each(['otp gak masuk', 'kapan gelombang dibuka', 'saya mau tanya satu hal dulu', 'may I ask something'])('integer, not: %s', (t) =>
    expect(looksLikeValue(integer, t)).toBe(false),
  );
  it.each(['17 agustoos', '31-02-2000', 'agustus', 'tgl 17'])('date: %s', (t) => expect(looksLikeValue(date, t)).toBe(true));
  it.each(['lupa tanggalnya', 'may I ask something'])('date, not: %s', (t) => expect(looksLikeValue(date, t)).toBe(false));
  it('nik: digits only', () => {
    expect(looksLikeValue(nik, '3201 0101 0190')).toBe(true);
    expect(looksLikeValue(nik, 'nik saya hilang')).toBe(false);
  });
});
