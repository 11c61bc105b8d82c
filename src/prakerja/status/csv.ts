// Reading participant CSVs (the file provider at start, the Redis import), row by row with flat
// memory. Every row is validated with zod; a bad row is reported by its line number and the
// reading goes on. Problems name the column, never the value (it may be personal data).
import type { Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import { CSV_COLUMNS, CsvRowSchema, describeRowError, maskName, type CsvRow, type StatusRecord } from './record.ts';
import type { Hasher } from './hash.ts';

export type CsvItem = { ok: true; line: number; row: CsvRow } | { ok: false; line: number; problem: string };

/** The header is wrong: nothing can be read. */
export class CsvHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvHeaderError';
  }
}

const REQUIRED = ['nik', 'name', 'status'] as const;

function checkHeader(header: string[]): string[] {
  const cols = header.map((h) => h.trim().toLowerCase());
  const unknown = cols.filter((c) => !(CSV_COLUMNS as readonly string[]).includes(c));
  const missing = REQUIRED.filter((c) => !cols.includes(c));
  const problems: string[] = [];
  if (unknown.length) problems.push(`unknown column(s) ${unknown.map((c) => JSON.stringify(c)).join(', ')}`);
  if (missing.length) problems.push(`missing column(s) ${missing.join(', ')}`);
  if (!cols.includes('card_number') && !cols.includes('phone')) problems.push('needs a card_number or a phone column');
  if (new Set(cols).size !== cols.length) problems.push('a column appears twice');
  if (problems.length) throw new CsvHeaderError(`line 1 (header): ${problems.join('; ')}. Expected columns: ${CSV_COLUMNS.join(', ')}`);
  return cols;
}

const CSV_ERRORS: Record<string, string> = {
  CSV_RECORD_INCONSISTENT_COLUMNS: 'wrong number of columns',
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'wrong number of columns',
  CSV_QUOTE_NOT_CLOSED: 'a quote is opened and never closed (the rest of the file is skipped)',
  CSV_INVALID_CLOSING_QUOTE: 'a quote in the middle of a field',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'characters after a closing quote',
  CSV_MAX_RECORD_SIZE: 'the row is too long',
};

/**
 * The rows of a participant CSV, in order, each validated. The first line is the header
 * (columns in any order, see CSV_COLUMNS); lines starting with # are comments; empty lines are
 * skipped. `line` is the line on which the row ends (the row's line, unless a quoted field spans
 * lines). `onBytes` reports how far into the input the parser is (for a progress bar).
 */
export async function* readStatusCsv(input: Readable, onBytes?: (bytes: number) => void): AsyncGenerator<CsvItem> {
  const skipped: CsvItem[] = [];
  const parser = input.pipe(
    parse({
      columns: checkHeader,
      info: true,
      bom: true,
      trim: true,
      comment: '#',
      comment_no_infix: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: 64 * 1024,
      on_skip: (err: CsvError | undefined) => {
        const e = err as (CsvError & { lines?: number }) | undefined;
        skipped.push({ ok: false, line: e?.lines ?? 0, problem: (e && CSV_ERRORS[e.code]) ?? 'not valid CSV' });
        return undefined;
      },
    }),
  );
  input.on('error', (err) => parser.destroy(err));
  for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; bytes: number } }>) {
    while (skipped.length) yield skipped.shift()!;
    const { record, info } = item;
    onBytes?.(info.bytes);
    const r = CsvRowSchema.safeParse(record);
    if (r.success) yield { ok: true, line: info.lines, row: r.data };
    else yield { ok: false, line: info.lines, problem: describeRowError(r.error) };
  }
  while (skipped.length) yield skipped.shift()!;
}

/** A validated row as it is stored: the record key (NIK hash), tags only, the name masked. */
export function rowToRecord(row: CsvRow, hasher: Hasher): { nikHash: string; record: StatusRecord } {
  const record: StatusRecord = { status: row.status, name: maskName(row.name) };
  if (row.reason) record.reason = row.reason;
  if (row.phone) record.phoneTag = hasher.tag('phone', row.phone);
  if (row.card_number) record.cardTag = hasher.tag('card', row.card_number);
  if (row.amount !== undefined) record.amount = row.amount;
  if (row.scheduled_date) record.scheduledDate = row.scheduled_date;
  if (row.paid_date) record.paidDate = row.paid_date;
  return { nikHash: hasher.nikHash(row.nik), record };
}
