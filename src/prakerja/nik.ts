// The NIK (Nomor Induk Kependudukan) and what its structure says. Pure: no I/O, no clock.
//
//   3 2 0 1 0 1 | 5 7 0 8 9 0 | 0 0 0 1
//   prov  kab kec| D D M M Y Y | serial
//
// Digits 1-2 are the province code (Kemendagri), 3-4 the regency/city, 5-6 the district, 7-12 the
// birth date as DDMMYY with 40 added to the day for women, 13-16 a serial number. The birth date
// is written in the NIK, so knowing a NIK proves nothing about who is asking (see status/).
//
// A NIK is personal data (UU 23/2006 Pasal 84, UU 27/2022): never log it; show it only masked.

/**
 * Province codes as they appear in NIKs. A NIK keeps the code it was issued with, so both the
 * codes before the 2022 Papua split (91 Papua Barat, 94 Papua) and the codes after it
 * (91 Papua, 92 Papua Barat, 93 Papua Selatan, 94 Papua Tengah, 95 Papua Pegunungan,
 * 96 Papua Barat Daya) are valid.
 */
export const PROVINCE_CODES: Readonly<Record<string, string>> = {
  '11': 'Aceh',
  '12': 'Sumatera Utara',
  '13': 'Sumatera Barat',
  '14': 'Riau',
  '15': 'Jambi',
  '16': 'Sumatera Selatan',
  '17': 'Bengkulu',
  '18': 'Lampung',
  '19': 'Kepulauan Bangka Belitung',
  '21': 'Kepulauan Riau',
  '31': 'DKI Jakarta',
  '32': 'Jawa Barat',
  '33': 'Jawa Tengah',
  '34': 'DI Yogyakarta',
  '35': 'Jawa Timur',
  '36': 'Banten',
  '51': 'Bali',
  '52': 'Nusa Tenggara Barat',
  '53': 'Nusa Tenggara Timur',
  '61': 'Kalimantan Barat',
  '62': 'Kalimantan Tengah',
  '63': 'Kalimantan Selatan',
  '64': 'Kalimantan Timur',
  '65': 'Kalimantan Utara',
  '71': 'Sulawesi Utara',
  '72': 'Sulawesi Tengah',
  '73': 'Sulawesi Selatan',
  '74': 'Sulawesi Tenggara',
  '75': 'Gorontalo',
  '76': 'Sulawesi Barat',
  '81': 'Maluku',
  '82': 'Maluku Utara',
  '91': 'Papua (Papua Barat before 2022)',
  '92': 'Papua Barat',
  '93': 'Papua Selatan',
  '94': 'Papua Tengah (Papua before 2022)',
  '95': 'Papua Pegunungan',
  '96': 'Papua Barat Daya',
};

/** Why a text is not a well-formed NIK; each has its own friendly hint (status.nik.bad.*). */
export type NikProblem =
  /** Not 16 digits long (`digits` says how many there were). */
  | { reason: 'length'; digits: number }
  /** Something other than digits (spaces, dots and dashes between groups are fine). */
  | { reason: 'notDigits' }
  /** Digits 1-2 are not an Indonesian province code. */
  | { reason: 'province'; code: string }
  /** Digits 7-12 are not a possible birth date DDMMYY (day + 40 for women). */
  | { reason: 'date' };

export interface NikInfo {
  /** The 16 digits, separators removed. */
  nik: string;
  province: string;
  sex: 'M' | 'F';
  /** Day, month and two-digit year of birth as written (the century is not in the NIK). */
  birth: { day: number; month: number; yy: number };
}

export type NikCheck = ({ ok: true } & NikInfo) | ({ ok: false } & NikProblem);

/** Spaces, dots and dashes people put between digit groups ("3201 0157 0890 0001"). */
const SEPARATORS = /[\s.\-]/g;
const NON_ASCII = /[^\x00-\x7f]/;

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Is DD-MM-YY a real date in either century (29 Feb needs a leap year: "00" may be 2000)? */
function possibleDate(day: number, month: number, yy: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  if (day > DAYS_IN_MONTH[month - 1]!) return false;
  if (month === 2 && day === 29) return isLeap(1900 + yy) || isLeap(2000 + yy);
  return true;
}

/** Checks a typed NIK's structure. Separators are allowed; the result carries the bare digits. */
export function checkNik(raw: string): NikCheck {
  // NFKC turns full-width digits (from some keyboards) into ASCII ones; skipped for ASCII input.
  const s = (NON_ASCII.test(raw) ? raw.normalize('NFKC') : raw).replace(SEPARATORS, '');
  if (!/^\d*$/.test(s)) return { ok: false, reason: 'notDigits' };
  if (s.length !== 16) return { ok: false, reason: 'length', digits: s.length };
  const province = s.slice(0, 2);
  if (!PROVINCE_CODES[province]) return { ok: false, reason: 'province', code: province };
  const dd = Number(s.slice(6, 8));
  const month = Number(s.slice(8, 10));
  const yy = Number(s.slice(10, 12));
  const female = dd > 40;
  const day = female ? dd - 40 : dd;
  if (!possibleDate(day, month, yy)) return { ok: false, reason: 'date' };
  return { ok: true, nik: s, province, sex: female ? 'F' : 'M', birth: { day, month, yy } };
}

/** True when `raw` is a structurally valid NIK. */
export function isValidNik(raw: string): boolean {
  return checkNik(raw).ok;
}

/**
 * The NIK as it may be shown: the last four digits only ("••••••••••••0001"). Bullets, not
 * asterisks: "*" is bold markup on WhatsApp and in the console rendering.
 */
export function maskNik(nik: string): string {
  const digits = nik.replace(/\D/g, '');
  const last = digits.slice(-4);
  return `${'•'.repeat(Math.max(0, 16 - last.length))}${last}`;
}
