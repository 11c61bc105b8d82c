import { describe, expect, it } from 'vitest';
import { checkNik, isValidNik, maskNik, PROVINCE_CODES } from '../src/prakerja/nik.ts';

describe('checkNik', () => {
  it('accepts a well-formed NIK, with separators, and reads sex and birth date', () => {
    const r = checkNik('3201 0101 0190 9901');
    expect(r).toMatchObject({ ok: true, nik: '3201010101909901', province: '32', sex: 'M', birth: { day: 1, month: 1, yy: 90 } });
    expect(checkNik('32.01.01-420291-9902')).toMatchObject({ ok: true, sex: 'F', birth: { day: 2, month: 2, yy: 91 } });
    expect(checkNik('３２０１０１０１０１９０９９０１')).toMatchObject({ ok: true }); // full-width digits
  });

  it('names the wrong length, with the number of digits typed', () => {
    expect(checkNik('320101010190990')).toEqual({ ok: false, reason: 'length', digits: 15 });
    expect(checkNik('32010101019099011')).toEqual({ ok: false, reason: 'length', digits: 17 });
    expect(checkNik('')).toEqual({ ok: false, reason: 'length', digits: 0 });
  });

  it('says when there is something other than digits', () => {
    expect(checkNik('3201O10101909901')).toEqual({ ok: false, reason: 'notDigits' });
    expect(checkNik('NIK saya 3201010101909901')).toEqual({ ok: false, reason: 'notDigits' });
  });

  it('rejects unknown province codes and knows every real one (11..96 as they exist)', () => {
    for (const code of ['00', '10', '20', '22', '37', '50', '54', '60', '66', '70', '77', '80', '83', '90', '97', '99']) {
      expect(checkNik(`${code}01010101909901`)).toEqual({ ok: false, reason: 'province', code });
    }
    const codes = Object.keys(PROVINCE_CODES);
    expect(codes).toHaveLength(38);
    for (const code of codes) expect(checkNik(`${code}01010101909901`).ok).toBe(true);
    // Papua before and after the 2022 split
    for (const code of ['91', '92', '93', '94', '95', '96']) expect(codes).toContain(code);
  });

  it('checks the birth date DDMMYY, with 40 added to the day for women', () => {
    expect(checkNik('3201013112909901').ok).toBe(true); // 31 Dec, man
    expect(checkNik('3201017112909901').ok).toBe(true); // 31 Dec, woman (71)
    expect(checkNik('3201010001909901')).toEqual({ ok: false, reason: 'date' }); // day 00
    expect(checkNik('3201013201909901')).toEqual({ ok: false, reason: 'date' }); // day 32
    expect(checkNik('3201014001909901')).toEqual({ ok: false, reason: 'date' }); // day 40 (= woman, day 0)
    expect(checkNik('3201017201909901')).toEqual({ ok: false, reason: 'date' }); // day 72 (woman, 32)
    expect(checkNik('3201010113909901')).toEqual({ ok: false, reason: 'date' }); // month 13
    expect(checkNik('3201010100909901')).toEqual({ ok: false, reason: 'date' }); // month 00
    expect(checkNik('3201013104909901')).toEqual({ ok: false, reason: 'date' }); // 31 April
    expect(checkNik('3201013002909901')).toEqual({ ok: false, reason: 'date' }); // 30 Feb
    expect(checkNik('3201012902929901').ok).toBe(true); // 29 Feb 1992
    expect(checkNik('3201012902919901')).toEqual({ ok: false, reason: 'date' }); // 29 Feb 1991
    expect(checkNik('3201016902009901').ok).toBe(true); // 29 Feb 2000 (woman)
  });

  it('isValidNik agrees', () => {
    expect(isValidNik('3201010101909901')).toBe(true);
    expect(isValidNik('9901010101909901')).toBe(false);
  });
});

describe('maskNik', () => {
  it('shows the last four digits only', () => {
    expect(maskNik('3201010101909901')).toBe('••••••••••••9901');
    expect(maskNik('3201 0101 0190 9901')).toBe('••••••••••••9901');
    expect(maskNik('3201010101909901')).not.toContain('320101');
  });
});
