// The file provider: a CSV of participant records, read once at start into memory, keyed by the
// NIK's HMAC. The NIK, phone and card numbers are not kept (only their keyed hashes), nor the
// full name (only the masked one). Meant for the demo file and small deployments; a national
// data set goes into Redis with `npm run status:import`.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { readStatusCsv, rowToRecord } from './csv.ts';
import type { Hasher } from './hash.ts';
import type { StatusProvider } from './provider.ts';
import type { StatusRecord } from './record.ts';

export interface BadRow {
  line: number;
  problem: string;
}

export interface FileLoad {
  provider: FileStatusProvider;
  /** Rows loaded. */
  rows: number;
  /** Rows skipped, by line number (the start-up log lists them). */
  bad: BadRow[];
  /** Rows whose NIK appeared again later in the file (the later row wins). */
  duplicates: number;
}

export class FileStatusProvider implements StatusProvider {
  readonly kind = 'file' as const;

  constructor(private readonly records: ReadonlyMap<string, StatusRecord>) {}

  get size(): number {
    return this.records.size;
  }

  async lookup(nikHash: string): Promise<StatusRecord | null> {
    const r = this.records.get(nikHash);
    return r ? structuredClone(r) : null;
  }

  async close(): Promise<void> {}
}

/** Reads a participant CSV (a path or a stream). Throws CsvHeaderError on a wrong header, or the read error. */
export async function loadFileProvider(source: string | Readable, hasher: Hasher): Promise<FileLoad> {
  const input = typeof source === 'string' ? createReadStream(source) : source;
  const records = new Map<string, StatusRecord>();
  const bad: BadRow[] = [];
  let rows = 0;
  let duplicates = 0;
  for await (const item of readStatusCsv(input)) {
    if (!item.ok) {
      bad.push({ line: item.line, problem: item.problem });
      continue;
    }
    const { nikHash, record } = rowToRecord(item.row, hasher);
    if (records.has(nikHash)) duplicates++;
    records.set(nikHash, record);
    rows++;
  }
  bad.sort((a, b) => a.line - b.line);
  return { provider: new FileStatusProvider(records), rows, bad, duplicates };
}
