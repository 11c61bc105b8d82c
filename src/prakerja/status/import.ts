// Importing a participant CSV into Redis (the redis provider's data; layout in redis-layout.ts).
// Streams: one row is parsed, validated, hashed and queued at a time; writes go out in pipelined
// batches with a bounded number in flight, and reading waits while they are (backpressure), so
// memory stays flat however large the file. Bad rows are reported by line number and skipped.
// Running it again updates the records in place (HSET per record); it never deletes one.
import type { Readable } from 'node:stream';
import type { Redis } from 'ioredis';
import { readStatusCsv, rowToRecord } from './csv.ts';
import type { Hasher } from './hash.ts';
import { packRecord } from './record.ts';
import { bucketBitsFor, LAYOUT_VERSION, locate, metaKey, readMeta, secretCheck } from './redis-layout.ts';

export interface ImportProgress {
  /** Rows written (queued to Redis) so far. */
  rows: number;
  bad: number;
  /** Bytes of the input parsed so far. */
  bytes: number;
}

export interface ImportOptions {
  input: Readable;
  redis: Redis;
  prefix: string;
  hasher: Hasher;
  /** Sizes the buckets on a first import (ignored when data exists under the prefix). */
  expectedRows?: number;
  /** Records per pipeline. */
  batchSize?: number;
  /** Pipelines awaiting Redis before reading pauses. */
  maxInFlight?: number;
  onBadRow?: (line: number, problem: string) => void;
  /** Called after each batch. */
  onProgress?: (p: ImportProgress) => void;
}

export interface ImportSummary {
  rows: number;
  bad: number;
  /** Line numbers of bad rows (the first 1000). */
  badLines: number[];
  bucketBits: number;
  /** True when the prefix held data before (an update). */
  update: boolean;
  ms: number;
}

export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

const BAD_LINES_KEPT = 1000;

export async function importStatusCsv(o: ImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const { redis, prefix, hasher } = o;
  const batchSize = o.batchSize ?? 1000;
  const maxInFlight = o.maxInFlight ?? 4;
  const check = secretCheck(hasher);

  const meta = await readMeta(redis, prefix);
  if (meta && meta.check !== check) {
    throw new ImportError(`the data under "${prefix}" was imported with a different STATUS_HMAC_SECRET; use that secret, or another prefix`);
  }
  const bits = meta?.bits ?? bucketBitsFor(o.expectedRows ?? 12_000_000);
  if (!meta) await redis.hset(metaKey(prefix), { v: LAYOUT_VERSION, bits: String(bits), check });

  let rows = 0;
  let bad = 0;
  let bytes = 0;
  const badLines: number[] = [];
  let pipe = redis.pipeline();
  let queued = 0;
  const inFlight: Promise<void>[] = [];

  const flush = async () => {
    if (queued > 0) {
      const p = pipe.exec().then((res) => {
        for (const [err] of res ?? []) if (err) throw err;
      });
      p.catch(() => undefined); // awaited below, in order; this only marks it handled
      inFlight.push(p);
      pipe = redis.pipeline();
      queued = 0;
    }
    while (inFlight.length >= maxInFlight) await inFlight.shift();
    o.onProgress?.({ rows, bad, bytes });
  };

  for await (const item of readStatusCsv(o.input, (b) => (bytes = b))) {
    if (!item.ok) {
      bad++;
      if (badLines.length < BAD_LINES_KEPT) badLines.push(item.line);
      o.onBadRow?.(item.line, item.problem);
      continue;
    }
    const { nikHash, record } = rowToRecord(item.row, hasher);
    const { key, field } = locate(prefix, bits, nikHash);
    pipe.hset(key, field, packRecord(record));
    rows++;
    if (++queued >= batchSize) await flush();
  }
  await flush();
  while (inFlight.length) await inFlight.shift();
  // `rows`: rows written by the last import (an update may have touched existing records).
  await redis.hset(metaKey(prefix), { rows: String(rows), at: new Date().toISOString() });
  o.onProgress?.({ rows, bad, bytes });
  badLines.sort((a, b) => a - b);
  return { rows, bad, badLines, bucketBits: bits, update: meta !== null, ms: performance.now() - started };
}
