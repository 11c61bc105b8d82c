import { describe, expect, it } from 'vitest';
import { matchOption, parseDate, parseInteger, parseNik, parseYesNo } from '../src/core/inputs.ts';

const today = new Date(Date.UTC(2026, 10, 22));

describe('yes/no', () => {
  it.each(['ya', 'Iya', 'y', 'YES', 'benar', 'betul', 'sudah', 'udh', 'ya, saya WNI', 'Iya benar!'])('%s is yes', (t) => expect(parseYesNo(t)).toBe(true));
  it.each(['tidak', 'gak', 'ga', 'nggak', 'enggak', 'no', 'bukan', 'belum', 'tdk', 'tidak, saya kuliah'])('%s is no', (t) => expect(parseYesNo(t)).toBe(false));
  it.each(['mungkin', '', 'apa itu WNI?', 'yaudah gmn'])('%s is neither', (t) => expect(parseYesNo(t)).toBeNull());
});

describe('integer in a range', () => {
  it('reads digits, also wrapped in words', () => {
    expect(parseInteger('25', 0, 120)).toEqual({ ok: true, value: 25 });
    expect(parseInteger('umur saya 25 tahun', 0, 120)).toEqual({ ok: true, value: 25 });
    expect(parseInteger(' 30thn ', 0, 120)).toEqual({ ok: true, value: 30 });
  });
  it('rejects words, decimals and out-of-range values with the reason', () => {
    expect(parseInteger('dua puluh', 0, 120)).toEqual({ ok: false, reason: 'format' });
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
