// Parsers for what people type at a step. Pure: text in, value or reason out.
import { distance } from 'fastest-levenshtein';
import type { FlowInput } from './flow-schema.ts';
import type { Answer } from './types.ts';

export type ParseResult =
  | { ok: true; value: Answer; optionId?: string }
  | { ok: false; reason: 'empty' | 'format' | 'range' | 'tooLong' };

/** Lowercase, trim, strip surrounding punctuation and zero-width marks, collapse spaces. */
export function normalizeAnswer(text: string): string {
  // Most answers ("2", "ya", "30", "dua puluhan") are already in normal form but for the case;
  // the full pass below (NFKC and four regular expressions) is then only a lowercase.
  if (isPlainWords(text)) return text.toLowerCase();
  return text
    .normalize('NFKC')
    .replace(/[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u0000]/g, '')
    .toLowerCase()
    .replace(/[!?.,;:"'`~()[\]{}*_]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** ASCII letters and digits, words separated by single spaces, no space at either end. */
function isPlainWords(text: string): boolean {
  const n = text.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90)) continue;
    if (c === 32 && i > 0 && i < n - 1 && text.charCodeAt(i - 1) !== 32) continue;
    return false;
  }
  return true;
}

const YES = new Set(['ya', 'iya', 'iyaa', 'iyah', 'y', 'yes', 'yep', 'yup', 'yeah', 'benar', 'betul', 'bener', 'betol', 'ok', 'oke', 'okay', 'sip', 'ya benar', 'iya benar', 'ya betul', 'ya saya', 'pernah', 'sudah', 'udah', 'udh', 'sdh', 'true']);
const NO = new Set(['tidak', 'tdk', 'tak', 'gak', 'ga', 'gk', 'g', 'nggak', 'ngga', 'ngak', 'enggak', 'engga', 'nda', 'ndak', 'no', 'nope', 'nah', 'bukan', 'belum', 'blm', 'tidak pernah', 'gak pernah', 'ga pernah', 'belum pernah', 'tidak ada', 'false', 'n']);

// Words that turn a yes or a no into "I don't know / not sure": "ya ngga tahu", "gak yakin", "lupa".
const UNSURE = new Set(['tahu', 'tau', 'tw', 'yakin', 'ngerti', 'mengerti', 'paham', 'ingat', 'inget', 'lupa', 'mungkin', 'kayaknya', 'sepertinya', 'kyknya', 'entah', 'bingung', 'maybe', 'idea', 'unsure']);
// Negations that, after a first "ya", make the answer ambiguous ("ya belum", "iya tidak", "udah gak").
const NEGATION = new Set([...NO, 'kagak', 'kaga', 'not', 'never', 'dont', 'don', 'didn', 'haven']);

export function parseYesNo(text: string): boolean | null {
  const t = normalizeAnswer(text);
  if (YES.has(t)) return true;
  if (NO.has(t)) return false;
  const words = t.split(' ');
  if (words.some((w) => UNSURE.has(w))) return null;
  // "ya, saya WNI" / "iya sudah" / "tidak, saya masih kuliah" / "gak pernah sama sekali": the first
  // word decides when the rest does not contradict it. A yes followed by a negation ("ya belum",
  // "sudah tidak") could be either, so it is asked again.
  const first = words[0] ?? '';
  if (first.length > 0 && words.length > 1) {
    if (YES.has(first) && first !== 'y') return words.slice(1).some((w) => NEGATION.has(w) && w !== 'g' && w !== 'n') ? null : true;
    if (NO.has(first) && first !== 'g' && first !== 'n') return false;
  }
  return null;
}

// Words people wrap a number in: "25 tahun", "umur saya 25", "25 yo".
const NUMBER_FILLER = /\b(umur|usia|saya|sy|aku|tahun|thn|th|years?|yrs?|old|yo|age|i'?m|am|sekitar|kira kira|kira2|orang|org)\b/g;

export function parseInteger(text: string, min: number, max: number): ParseResult {
  // Plain digits ("30", "2"), most answers, come out of the replacements below unchanged.
  const n0 = shortDigits(text);
  if (n0 !== null) return n0 < min || n0 > max ? { ok: false, reason: 'range' } : { ok: true, value: n0 };
  if (/\d[.,]\d/.test(text)) return { ok: false, reason: 'format' }; // 25.5, 1,5: not a whole number
  const t = normalizeAnswer(text)
    .replace(/(\d)([a-z])/g, '$1 $2') // "30thn" -> "30 thn"
    .replace(NUMBER_FILLER, ' ')
    .trim();
  if (t === '') return { ok: false, reason: normalizeAnswer(text) === '' ? 'empty' : 'format' };
  const n = /^\d{1,6}$/.test(t) ? Number.parseInt(t, 10) : parseNumberWords(t);
  if (n === null) return { ok: false, reason: 'format' };
  if (n < min || n > max) return { ok: false, reason: 'range' };
  return { ok: true, value: n };
}

/** The value of 1 to 6 ASCII digits and nothing else, or null. */
function shortDigits(text: string): number | null {
  const len = text.length;
  if (len === 0 || len > 6) return null;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return n;
}

// ---- numbers written in words: "dua puluh lima", "duapuluh lima", "sembilan belas", "seratus" ----

type NumberWord =
  | { digit: number } // 0-9: a unit, or what the next word multiplies ("dua puluh")
  | { teen: number } // a finished 10-19 ("sepuluh", "sebelas", "twelve")
  | { tens: number } // 20-90 in one word ("twenty")
  | { se: 100 | 1000 } // "seratus", "seribu": one hundred, one thousand
  | { mult: 10 | 100 | 1000 | 'belas' }; // "puluh", "ratus", "ribu", "hundred", "thousand"; "belas" = 10 + unit

const DIGIT_WORDS: Record<string, number> = {
  nol: 0, kosong: 0, satu: 1, dua: 2, tiga: 3, empat: 4, lima: 5, enam: 6, tujuh: 7, delapan: 8, sembilan: 9,
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9,
};
const NUMBER_WORDS: Record<string, NumberWord> = {
  ...Object.fromEntries(Object.entries(DIGIT_WORDS).map(([w, d]) => [w, { digit: d }])),
  sepuluh: { teen: 10 }, sebelas: { teen: 11 },
  ten: { teen: 10 }, eleven: { teen: 11 }, twelve: { teen: 12 }, thirteen: { teen: 13 }, fourteen: { teen: 14 },
  fifteen: { teen: 15 }, sixteen: { teen: 16 }, seventeen: { teen: 17 }, eighteen: { teen: 18 }, nineteen: { teen: 19 },
  twenty: { tens: 20 }, thirty: { tens: 30 }, forty: { tens: 40 }, fifty: { tens: 50 }, sixty: { tens: 60 },
  seventy: { tens: 70 }, eighty: { tens: 80 }, ninety: { tens: 90 },
  seratus: { se: 100 }, seribu: { se: 1000 },
  belas: { mult: 'belas' }, puluh: { mult: 10 }, ratus: { mult: 100 }, ribu: { mult: 1000 },
  hundred: { mult: 100 }, thousand: { mult: 1000 },
};
/** "duapuluh", "tigabelas", "limaratus", "duaribu": written as one word, read as two. */
const GLUED = new RegExp(`^(${Object.keys(DIGIT_WORDS).join('|')})(puluh|belas|ratus|ribu)$`);

function numberTokens(t: string): string[] {
  // A loop rather than filter + flatMap: flatMap alone cost over 1 µs for two words.
  const out: string[] = [];
  for (const w of t.replace(/-/g, ' ').split(' ')) {
    if (w === '' || w === 'and' || w === 'dan') continue;
    const g = GLUED.exec(w);
    if (g) out.push(g[1]!, g[2]!);
    else out.push(w);
  }
  return out;
}

/**
 * A whole number written in Indonesian or English words, up to 999 999 ("dua puluh lima" = 25,
 * "seratus dua belas" = 112, "twenty five" = 25). Null unless every word is part of the number
 * and the words are in a valid order ("lima dua", "puluh dua" are not numbers).
 */
export function parseNumberWords(text: string): number | null {
  const words = numberTokens(normalizeAnswer(text));
  if (words.length === 0 || words.length > 12) return null;
  let total = 0; // thousands already closed
  let group = 0; // below a thousand
  let unit: number | null = null; // a digit word waiting for its multiplier (or the end)
  let room = 1000; // the largest part the group may still take: hundreds, then tens, then units
  let thousands = false;
  for (const w of words) {
    const nw = Object.hasOwn(NUMBER_WORDS, w) ? NUMBER_WORDS[w] : undefined;
    if (!nw) return null;
    if ('digit' in nw) {
      if (unit !== null || room < 1) return null;
      unit = nw.digit;
    } else if ('teen' in nw) {
      if (unit !== null || room < 10) return null;
      group += nw.teen;
      room = 0;
    } else if ('tens' in nw) {
      if (unit !== null || room < 10) return null;
      group += nw.tens;
      room = 1;
    } else if ('se' in nw) {
      if (unit !== null) return null;
      if (nw.se === 1000) {
        if (thousands || group !== 0) return null;
        total = 1000;
        thousands = true;
        room = 1000;
      } else {
        if (room < 100) return null;
        group += 100;
        room = 10;
      }
    } else if (nw.mult === 'belas') {
      if (unit === null || unit === 0 || room < 10) return null;
      group += 10 + unit;
      unit = null;
      room = 0;
    } else if (nw.mult === 1000) {
      const part = group + (unit ?? 0);
      if (thousands || part === 0) return null;
      total = part * 1000;
      thousands = true;
      group = 0;
      unit = null;
      room = 1000;
    } else {
      if (unit === null || unit === 0 || room < nw.mult) return null;
      group += unit * nw.mult;
      unit = null;
      room = nw.mult === 100 ? 10 : 1;
    }
  }
  if (unit !== null) {
    if (room < 1 && group !== 0) return null;
    group += unit;
  }
  return total + group;
}

// "may" is left out: in English it is more often a question ("may I...") than a month.
const MONTH_WORD = (w: string) => w !== 'may' && Object.hasOwn(MONTHS, w);

/**
 * Does the text look like an attempt at the value a step asks for, even if it could not be read?
 * Digits, or (integer) number words, or (date) a month name. Such a text gets the step's hint,
 * never a guess of the understander.
 */
export function looksLikeValue(input: FlowInput, text: string): boolean {
  const t = normalizeAnswer(text);
  if (/\d/.test(t)) return true;
  const words = t.split(' ').filter((w) => w !== '');
  if (input.type === 'integer') {
    const numeric = numberTokens(t).filter((w) => Object.hasOwn(NUMBER_WORDS, w)).length;
    return numeric > 0 && numeric * 2 >= words.length;
  }
  if (input.type === 'date') return words.some(MONTH_WORD);
  return false;
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
  names: readonly string[];
}

const normalizedCache = new WeakMap<readonly string[], readonly string[]>();

/**
 * An option's names, normalized. A frozen list (step's options, built once per step) cannot
 * change, so its normalized form is kept; any other list is normalized on every call.
 */
function normalizedNames(o: OptionCandidate): readonly string[] {
  const names = o.names;
  if (!Object.isFrozen(names)) return names.map(normalizeAnswer);
  let n = normalizedCache.get(names);
  if (!n) {
    n = Object.freeze(names.map(normalizeAnswer));
    normalizedCache.set(names, n);
  }
  return n;
}

/**
 * Pick an option by its number, its id, one of its names, a unique part of a name, or a close
 * misspelling of a name. Returns null when nothing, or more than one option, fits.
 */
export function matchOption(text: string, options: readonly OptionCandidate[]): string | null {
  const t = normalizeAnswer(text);
  if (t === '') return null;
  const num = t.match(/^(?:no |nomor |nomer |pilih |angka )?(\d{1,2})$/);
  if (num) return options[Number(num[1]) - 1]?.id ?? null;
  const names = options.map(normalizedNames);
  const exact = options.filter((o, i) => o.id === t || names[i]!.includes(t));
  if (exact.length === 1) return exact[0]!.id;
  if (t.length >= 4) {
    const partial = options.filter((_, i) => names[i]!.some((n) => n.includes(t)));
    if (partial.length === 1) return partial[0]!.id;
  }
  // Near misses: allow about one typo per four letters, and only a clear winner.
  let best: { id: string; d: number } | null = null;
  let tie = false;
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!;
    for (const n of names[i]!) {
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

export function parseInput(input: FlowInput, text: string, today: Date, options: readonly OptionCandidate[] = []): ParseResult {
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
