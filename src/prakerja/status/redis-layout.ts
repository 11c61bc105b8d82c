// How status records sit in Redis (written by `npm run status:import`, read by the redis
// provider). 12 million records must fit, so records are grouped into small hashes:
//
//   {prefix}meta            HASH  v=1, bits=<bucket bits>, check=<tag of a fixed text>, rows, at
//   {prefix}b:<bucket>      HASH  <8-byte field> -> <packed record, ~40 bytes> (record.ts)
//
// The bucket is the first `bits` bits of the NIK's HMAC, the field the next 64 bits. With about
// 32-64 records per bucket each hash stays in Redis's compact listpack encoding (at most 128
// entries of at most 64 bytes by default), which costs a few bytes per entry instead of a key,
// a dict entry and two objects per record. `bits` is chosen once, from the expected number of
// rows, and kept in the meta hash so that later imports (updates) use the same buckets.
// `check` lets the reader notice data imported with a different STATUS_HMAC_SECRET.
import type { Redis } from 'ioredis';
import type { Hasher } from './hash.ts';

export const LAYOUT_VERSION = '1';
export const DEFAULT_STATUS_PREFIX = 'pandu:status:';
const CHECK_TEXT = 'pandu-status-v1';

/** Bucket bits for an expected row count: on average 32 to 64 records per bucket. */
export function bucketBitsFor(expectedRows: number): number {
  const bits = Math.ceil(Math.log2(Math.max(1, expectedRows) / 64));
  return Math.min(24, Math.max(4, bits));
}

export function metaKey(prefix: string): string {
  return `${prefix}meta`;
}

export function locate(prefix: string, bits: number, nikHash: string): { key: string; field: Buffer } {
  const head = Number.parseInt(nikHash.slice(0, 8), 16);
  const bucket = head >>> (32 - bits);
  return { key: `${prefix}b:${bucket.toString(36)}`, field: Buffer.from(nikHash.slice(8, 24), 'hex') };
}

export function secretCheck(hasher: Hasher): string {
  return hasher.tag('check', CHECK_TEXT);
}

export interface Meta {
  bits: number;
  check: string;
  rows?: number;
}

export async function readMeta(redis: Redis, prefix: string): Promise<Meta | null> {
  const m = await redis.hgetall(metaKey(prefix));
  if (!m || m.v !== LAYOUT_VERSION) return null;
  const bits = Number(m.bits);
  if (!Number.isInteger(bits) || bits < 1 || bits > 32 || !m.check) return null;
  const rows = Number(m.rows);
  return { bits, check: m.check, rows: Number.isFinite(rows) ? rows : undefined };
}
