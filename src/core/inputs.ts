// Parsers for what people type at a step. Pure: text in, value or reason out.
import { distance } from 'fastest-levenshtein';
import type { FlowInput } from './flow-schema.ts';
import type { Answer } from './types.ts';

export type ParseResult =
  | { ok: true; value: Answer; optionId?: string }
  | { ok: false; reason: 'empty' | 'format' | 'range' | 'tooLong' };

/** Lowercase, trim, strip surrounding punctuation and zero-width marks, collapse spaces. */
export function normalizeAnswer(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u0000]/g, '')
    .toLowerCase()
    .replace(/[!?.,;:"'`~()[\]{}*_]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const YES = new Set(['ya', 'iya', 'iyaa', 'iyah', 'y', 'yes', 'yep', 'yup', 'yeah', 'benar', 'betul', 'bener', 'betol', 'ok', 'oke', 'okay', 'sip', 'ya benar', 'iya benar', 'ya betul', 'ya saya', 'pernah', 'sudah', 'udah', 'udh', 'sdh', 'true']);
const NO = new Set(['tidak', 'tdk', 'tak', 'gak', 'ga', 'gk', 'g', 'nggak', 'ngga', 'ngak', 'enggak', 'engga', 'nda', 'ndak', 'no', 'nope', 'nah', 'bukan', 'belum', 'blm', 'tidak pernah', 'gak pernah', 'ga pernah', 'belum pernah', 'tidak ada', 'false', 'n']);

export function parseYesNo(text: string): boolean | null {
  const t = normalizeAnswer(text);
  if (YES.has(t)) return true;
  if (NO.has(t)) return false;
  // "ya, saya WNI" / "tidak, saya masih kuliah": the first word decides when it is unambiguous.
  const first = t.split(' ')[0] ?? '';
  if (first.length > 0 && t.length > first.length) {
    if (YES.has(first) && first !== 'y') return true;
    if (NO.has(first) && first !== 'g' && first !== 'n') return false;
  }
  return null;
}

// Words people wrap a number in: "25 tahun", "umur saya 25", "25 yo".
const NUMBER_FILLER = /\b(umur|usia|saya|sy|aku|tahun|thn|th|years?|yrs?|old|yo|age|i'?m|am|sekitar|kira kira|kira2|orang|org)\b/g;

export function parseInteger(text: string, min: number, max: number): ParseResult {
  if (/\d[.,]\d/.test(text)) return { ok: false, reason: 'format' }; // 25.5, 1,5: not a whole number
  const t = normalizeAnswer(text)
    .replace(/(\d)([a-z])/g, '$1 $2') // "30thn" -> "30 thn"
    .replace(NUMBER_FILLER, ' ')
    .trim();
  if (t === '') return { ok: false, reason: normalizeAnswer(text) === '' ? 'empty' : 'format' };
  if (!/^\d{1,6}$/.test(t)) return { ok: false, reason: 'format' };
  const n = Number.parseInt(t, 10);
  if (n < min || n > max) return { ok: false, reason: 'range' };
  return { ok: true, value: n };
}

const MONTHS: Record<string, number> = {
  jan: 1, januari: 1, january: 1,
  feb: 2, februari: 2, pebruari: 2, february: 2, peb: 2,
  mar: 3, maret: 3, march: 3,
  apr: 4, april: 4,
  mei: 5, may: 5,
  jun: 6, juni: 6, june: 6,
  jul: 7, juli: 7, july: 7,
  agu: 8, agt: 8, ags: 8, agus: 8, agustus: 8, aug: 8, august: 8,
  sep: 9, sept: 9, september: 9,
  okt: 10, oct: 10, oktober: 10, october: 10,
  nov: 11, nop: 11, november: 11, nopember: 11,
  des: 12, dec: 12, desember: 12, december: 12,
};

function isoDate(y: number, m: number, d: number): string | null {
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1900 || y > 2100) return null;
  const dt = new Date(Date.UTC(y, m - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d) return null;
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function fullYear(y: string, todayYear: number): number {
  if (y.length === 4) return Number(y);
  const yy = Number(y);
  // Two-digit years: a birth date or event is never in the future, so 90 is 1990 and 05 is 2005.
  return 2000 + yy > todayYear ? 1900 + yy : 2000 + yy;
}

/** Common Indonesian date forms: 17-08-1990, 17/8/90, 17.08.1990, 1990-08-17, 17 Agustus 1990. */
export function parseDate(text: string, today: Date, notAfterToday = false): ParseResult {
  const t = text.normalize('NFKC').toLowerCase().replace(/[\u200b-\u200f\ufeff]/g, '').trim();
  if (t === '') return { ok: false, reason: 'empty' };
  let iso: string | null = null;
  const todayYear = today.getUTCFullYear();
  let m: RegExpMatchArray | null;
  if ((m = t.match(/^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/))) iso = isoDate(Number(m[1]), Number(m[2]), Number(m[3]));
  else if ((m = t.match(/^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{2}|\d{4})$/)))
    iso = isoDate(fullYear(m[3]!, todayYear), Number(m[2]), Number(m[1]));
  else if ((m = t.match(/^(\d{1,2})\s*[-/ ]?\s*([a-z]+)\.?\s*[-/ ]?\s*(\d{2}|\d{4})$/))) {
    const month = MONTHS[m[2]!];
    iso = month ? isoDate(fullYear(m[3]!, todayYear), month, Number(m[1])) : null;
  } else return { ok: false, reason: 'format' };
  if (!iso) return { ok: false, reason: 'range' };
  if (notAfterToday && iso > today.toISOString().slice(0, 10)) return { ok: false, reason: 'range' };
  return { ok: true, value: iso };
}

/** A NIK is 16 digits; people type it with spaces, dots or dashes between groups. */
export function parseNik(text: string): ParseResult {
  const digits = text.replace(/[\s.\-]/g, '');
  if (digits === '') return { ok: false, reason: 'empty' };
  if (!/^\d+$/.test(digits)) return { ok: false, reason: 'format' };
  if (digits.length !== 16) return { ok: false, reason: 'range' };
  return { ok: true, value: digits };
}

export interface OptionCandidate {
  id: string;
  /** Every way the option may be written: labels in every language, aliases. Normalized here. */
  names: string[];
}

/**
 * Pick an option by its number, its id, one of its names, a unique part of a name, or a close
 * misspelling of a name. Returns null when nothing, or more than one option, fits.
 */
export function matchOption(text: string, options: OptionCandidate[]): string | null {
  const t = normalizeAnswer(text);
  if (t === '') return null;
  const num = t.match(/^(?:no |nomor |nomer |pilih |angka )?(\d{1,2})$/);
  if (num) return options[Number(num[1]) - 1]?.id ?? null;
  const exact = options.filter((o) => o.id === t || o.names.some((n) => normalizeAnswer(n) === t));
  if (exact.length === 1) return exact[0]!.id;
  if (t.length >= 4) {
    const partial = options.filter((o) => o.names.some((n) => normalizeAnswer(n).includes(t)));
    if (partial.length === 1) return partial[0]!.id;
  }
  // Near misses: allow about one typo per four letters, and only a clear winner.
  let best: { id: string; d: number } | null = null;
  let tie = false;
  for (const o of options) {
    for (const raw of o.names) {
      const n = normalizeAnswer(raw);
      if (n.length < 3) continue;
      const allowed = Math.max(1, Math.floor(n.length / 4));
      // The distance is at least the difference in length: skip the O(n·m) distance when that
      // alone rules the name out (a long message against short labels).
      if (Math.abs(t.length - n.length) > allowed) continue;
      const d = distance(t, n);
      if (d > allowed) continue;
      if (!best || d < best.d) {
        best = { id: o.id, d };
        tie = false;
      } else if (d === best.d && best.id !== o.id) tie = true;
    }
  }
  return best && !tie ? best.id : null;
}

export function parseInput(input: FlowInput, text: string, today: Date, options: OptionCandidate[] = []): ParseResult {
  switch (input.type) {
    case 'yesno': {
      const yn = parseYesNo(text);
      if (yn !== null) return { ok: true, value: yn, optionId: yn ? 'yes' : 'no' };
      const picked = matchOption(text, options);
      return picked ? { ok: true, value: picked === 'yes', optionId: picked } : { ok: false, reason: normalizeAnswer(text) ? 'format' : 'empty' };
    }
    case 'integer':
      return parseInteger(text, input.min, input.max);
    case 'date':
      return parseDate(text, today, input.notAfterToday);
    case 'nik':
      return parseNik(text);
    case 'choice': {
      const picked = matchOption(text, options);
      return picked ? { ok: true, value: picked, optionId: picked } : { ok: false, reason: normalizeAnswer(text) ? 'format' : 'empty' };
    }
    case 'text': {
      const v = text.replace(/\u0000/g, '').trim();
      if (v === '') return { ok: false, reason: 'empty' };
      if (v.length > (input.max ?? 500)) return { ok: false, reason: 'tooLong' };
      return { ok: true, value: v };
    }
  }
}
