// A participant's incentive status record: the shape every provider returns, the CSV row it is
// imported from, and the compact binary form it takes in Redis.
//
// Only what the answer needs is kept: the status, an optional cause, amount and dates, the name
// already masked (first name plus initials), and keyed tags (truncated HMACs) of the phone number
// and card number to verify against. Never the NIK, the phone number or the card number.
import { z } from 'zod';
import { checkNik, type NikProblem } from '../nik.ts';

// ---------------------------------------------------------------------------------------------
// Status labels (../shared/prakerja.md §3d). The first five are labels participants saw on the
// dashboard (2020-21). `paid` is ours: a record with a payout date. There is no confirmed label
// for it ("Berhasil" is NOT confirmed), so it is never shown as a label, only as "the data
// records a payout on <date>".

export const STATUS_CODES = ['dijadwalkan', 'dalam_pengecekan', 'dana_tertahan', 'belum_diproses', 'gagal', 'paid'] as const;
export const StatusCodeSchema = z.enum(STATUS_CODES);
export type StatusCode = z.infer<typeof StatusCodeSchema>;

/** How a status may be written in a CSV or an API response (case and spacing do not matter). */
const STATUS_ALIASES: Record<string, StatusCode> = {
  dijadwalkan: 'dijadwalkan',
  'sedang diproses': 'dijadwalkan', // the older name of "Dijadwalkan" (§3d)
  'dalam pengecekan': 'dalam_pengecekan',
  'dana tertahan': 'dana_tertahan',
  'belum diproses': 'belum_diproses',
  gagal: 'gagal',
  paid: 'paid',
  dibayar: 'paid',
  'sudah dibayar': 'paid',
};

export function toStatusCode(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const k = v.trim().toLowerCase().replace(/[_\s]+/g, ' ');
  return STATUS_ALIASES[k] ?? v;
}

/**
 * Optional causes, each with its own explanation (status.reasons.*): the official causes of a
 * failed payout and the PMO's causes of "Dana tertahan" (§3d). Codes, never free text, so no
 * personal detail can hide in a note.
 */
export const REASON_CODES = [
  'training_incomplete', // first training not finished, meetings missed or face verification incomplete
  'no_review', // no rating or ulasan
  'account_inactive', // bank / e-money account inactive, blocked or problematic
  'ewallet_not_kyc', // e-money not upgraded (KYC / premium) or downgraded
  'ewallet_limit', // e-money monthly transaction or balance cap exceeded
  'data_mismatch', // name / NIK on the account differs from the Prakerja account
  'account_late', // account connected late or on the last scheduling day
  'phone_expired', // registered phone number no longer active
  'account_changed', // account changed close to the payout date
] as const;
export const ReasonCodeSchema = z.enum(REASON_CODES);
export type ReasonCode = z.infer<typeof ReasonCodeSchema>;

// ---------------------------------------------------------------------------------------------
// The record every provider returns.

/** A keyed tag: the first 8 bytes of an HMAC-SHA256, as 16 hex digits (see hash.ts). */
export const TagSchema = z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 lowercase hex digits');
export const IsoDateSchema = z.iso.date();

export const StatusRecordSchema = z.object({
  status: z.preprocess(toStatusCode, StatusCodeSchema),
  reason: ReasonCodeSchema.optional(),
  /** Tag of the phone number registered with the programme (normalised 62...). */
  phoneTag: TagSchema.optional(),
  /** Tag of the 16-digit Kartu Prakerja number. */
  cardTag: TagSchema.optional(),
  /** First name plus initials ("Budi S."). Providers may return a full name; it is masked again. */
  name: z.string().trim().min(1).max(120),
  /** Rupiah. */
  amount: z.number().int().positive().max(100_000_000).optional(),
  scheduledDate: IsoDateSchema.optional(),
  paidDate: IsoDateSchema.optional(),
});
export type StatusRecord = z.infer<typeof StatusRecordSchema>;

/** What the user is shown: the record without its tags. Travels back into step as the effect result. */
export const DisplayRecordSchema = StatusRecordSchema.omit({ phoneTag: true, cardTag: true });
export type DisplayRecord = z.infer<typeof DisplayRecordSchema>;

export function toDisplay(r: StatusRecord): DisplayRecord {
  const out: DisplayRecord = { status: r.status, name: maskName(r.name) };
  if (r.reason) out.reason = r.reason;
  if (r.amount !== undefined) out.amount = r.amount;
  if (r.scheduledDate) out.scheduledDate = r.scheduledDate;
  if (r.paidDate) out.paidDate = r.paidDate;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Normalisers.

/** First name plus initials: "budi santoso wijaya" -> "Budi S. W.". Idempotent ("Budi S." stays). */
export function maskName(full: string): string {
  const text = /[^\x00-\x7f]/.test(full) ? full.normalize('NFKC') : full;
  // Words as letters (apostrophes and hyphens inside are fine); quotes, dots and titles' marks go.
  const words = text.match(/[\p{L}\p{N}][\p{L}\p{N}'\u2019-]*/gu) ?? [];
  if (words.length === 0) return '-';
  // Indonesian has no special casing rules, so the plain toUpperCase is right (and much faster).
  const first = words[0]!.slice(0, 24);
  const initials = words.slice(1).map((w) => `${[...w][0]!.toUpperCase()}.`);
  return [first.charAt(0).toUpperCase() + first.slice(1), ...initials].slice(0, 5).join(' ');
}

/**
 * An Indonesian phone number as digits starting with 62 ("0812-3456-7890", "+62 812 3456 7890"
 * and "812..." all become "6281234567890"); null when it cannot be one.
 */
export function normalizePhone(raw: string): string | null {
  let d = raw.replace(/[\s().\-+]/g, '');
  if (!/^\d+$/.test(d)) return null;
  if (d.startsWith('0')) d = `62${d.slice(1)}`;
  else if (d.startsWith('8')) d = `62${d}`;
  return /^62\d{8,13}$/.test(d) ? d : null;
}

/** A Kartu Prakerja number: 16 digits, typed with or without separators; null otherwise. */
export function normalizeCard(raw: string): string | null {
  const d = raw.normalize('NFKC').replace(/[\s.\-]/g, '');
  return /^\d{16}$/.test(d) ? d : null;
}

// ---------------------------------------------------------------------------------------------
// CSV rows: nik, card_number, phone, name, status, reason, amount, scheduled_date, paid_date.
// Optional columns may be left empty. At least one of card_number and phone is required.

export const CSV_COLUMNS = ['nik', 'card_number', 'phone', 'name', 'status', 'reason', 'amount', 'scheduled_date', 'paid_date'] as const;

const NIK_MESSAGES: Record<NikProblem['reason'], string> = {
  length: 'must be 16 digits',
  notDigits: 'must contain digits only',
  province: 'digits 1-2 are not a province code',
  date: 'digits 7-12 are not a possible birth date (DDMMYY, day + 40 for women)',
};

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const opt = <T extends z.ZodType>(s: T) => z.preprocess(blank, s.optional());

/** "600000", "600.000", "Rp600.000", "Rp 600,000" -> 600000. */
function parseRupiah(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const d = v.replace(/^\s*rp\.?\s*/i, '').replace(/[.,\s]/g, '');
  return /^\d{1,12}$/.test(d) ? Number(d) : v;
}

const DateCol = z.string().trim().pipe(z.iso.date({ error: 'expected a date as YYYY-MM-DD' }));

export const CsvRowSchema = z
  .object({
    nik: z.string().transform((v, ctx) => {
      const c = checkNik(v);
      if (c.ok) return c.nik;
      ctx.addIssue({ code: 'custom', message: NIK_MESSAGES[c.reason] });
      return z.NEVER;
    }),
    card_number: opt(
      z.string().transform((v, ctx) => {
        const c = normalizeCard(v);
        if (c) return c;
        ctx.addIssue({ code: 'custom', message: 'must be 16 digits' });
        return z.NEVER;
      }),
    ),
    phone: opt(
      z.string().transform((v, ctx) => {
        const p = normalizePhone(v);
        if (p) return p;
        ctx.addIssue({ code: 'custom', message: 'expected an Indonesian phone number (08..., 628... or +628...)' });
        return z.NEVER;
      }),
    ),
    name: z.string({ error: 'is required' }).trim().min(1, 'is required').max(120, 'is longer than 120 characters'),
    status: z.preprocess(toStatusCode, z.enum(STATUS_CODES, { error: 'expected one of Dijadwalkan, Dalam pengecekan, Dana tertahan, Belum diproses, Gagal, paid' })),
    reason: opt(z.string().trim().toLowerCase().pipe(z.enum(REASON_CODES, { error: `expected one of ${REASON_CODES.join(', ')}` }))),
    amount: opt(z.preprocess(parseRupiah, z.number({ error: 'expected an amount in rupiah, such as 600000' }).int().positive().max(100_000_000, 'is above Rp100.000.000'))),
    scheduled_date: opt(DateCol),
    paid_date: opt(DateCol),
  })
  .superRefine((r, ctx) => {
    if (!r.card_number && !r.phone) ctx.addIssue({ code: 'custom', path: ['card_number'], message: 'a card_number or a phone is required (to verify the person asking)' });
    if (r.status === 'paid' && !r.paid_date) ctx.addIssue({ code: 'custom', path: ['paid_date'], message: 'is required when status is paid' });
  });
export type CsvRow = z.infer<typeof CsvRowSchema>;

/** One line per problem, naming the column and never the value (it may be personal data). */
export function describeRowError(err: z.ZodError): string {
  return err.issues
    .map((i) => {
      const col = i.path.length ? String(i.path[0]) : 'row';
      const msg = i.code === 'invalid_type' && i.input === undefined ? 'is missing' : i.message;
      return `${col}: ${msg}`;
    })
    .join('; ');
}

// ---------------------------------------------------------------------------------------------
// The packed form (Redis hash field values). Fixed layout, 27 bytes plus the masked name:
//
//   0      version (1)
//   1      status code index
//   2      reason code index + 1 (0: none)
//   3..10  phone tag (8 bytes; all zero: none)
//   11..18 card tag (8 bytes; all zero: none)
//   19..22 amount, uint32 big-endian (0: none)
//   23..24 scheduled date, days since 1999-12-31, uint16 (0: none)
//   25..26 paid date, same
//   27..   masked name, UTF-8, at most 36 bytes
//
// Small values keep each Redis hash in its compact listpack encoding (values <= 64 bytes).

const PACK_VERSION = 1;
const HEAD = 27;
const MAX_NAME_BYTES = 36;
const EPOCH = Date.UTC(1999, 11, 31);
const DAY = 86_400_000;
const ZERO8 = Buffer.alloc(8);

function dayNumber(iso: string | undefined): number {
  if (!iso) return 0;
  const n = Math.round((Date.parse(`${iso}T00:00:00Z`) - EPOCH) / DAY);
  return n > 0 && n <= 0xffff ? n : 0;
}

function isoOfDay(n: number): string | undefined {
  return n === 0 ? undefined : new Date(EPOCH + n * DAY).toISOString().slice(0, 10);
}

function truncateUtf8(s: string, max: number): Buffer {
  let b = Buffer.from(s, 'utf8');
  if (b.length <= max) return b;
  // Cut at a character boundary.
  let chars = [...s];
  while (b.length > max) {
    chars = chars.slice(0, -1);
    b = Buffer.from(chars.join(''), 'utf8');
  }
  return b;
}

export function packRecord(r: StatusRecord): Buffer {
  const name = truncateUtf8(maskName(r.name), MAX_NAME_BYTES);
  const buf = Buffer.alloc(HEAD + name.length);
  buf[0] = PACK_VERSION;
  buf[1] = STATUS_CODES.indexOf(r.status);
  buf[2] = r.reason ? REASON_CODES.indexOf(r.reason) + 1 : 0;
  if (r.phoneTag) buf.write(r.phoneTag, 3, 'hex');
  if (r.cardTag) buf.write(r.cardTag, 11, 'hex');
  buf.writeUInt32BE(r.amount ?? 0, 19);
  buf.writeUInt16BE(dayNumber(r.scheduledDate), 23);
  buf.writeUInt16BE(dayNumber(r.paidDate), 25);
  name.copy(buf, HEAD);
  return buf;
}

/** The record a packed value stands for; null when the value is not one (corrupt, other version). */
export function unpackRecord(buf: Buffer): StatusRecord | null {
  if (buf.length < HEAD + 1 || buf[0] !== PACK_VERSION) return null;
  const status = STATUS_CODES[buf[1]!];
  if (!status) return null;
  const r: StatusRecord = { status, name: buf.subarray(HEAD).toString('utf8') };
  const reason = buf[2]! > 0 ? REASON_CODES[buf[2]! - 1] : undefined;
  if (reason) r.reason = reason;
  const phone = buf.subarray(3, 11);
  if (!phone.equals(ZERO8)) r.phoneTag = phone.toString('hex');
  const card = buf.subarray(11, 19);
  if (!card.equals(ZERO8)) r.cardTag = card.toString('hex');
  const amount = buf.readUInt32BE(19);
  if (amount > 0) r.amount = amount;
  const sched = isoOfDay(buf.readUInt16BE(23));
  if (sched) r.scheduledDate = sched;
  const paid = isoOfDay(buf.readUInt16BE(25));
  if (paid) r.paidDate = paid;
  return r;
}
