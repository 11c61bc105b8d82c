// Keyed hashes: records are found by HMAC-SHA256(secret, NIK), never by the NIK, and the phone
// and card numbers are kept only as truncated HMACs ("tags") to compare against. Without the
// secret (STATUS_HMAC_SECRET) the stored data cannot be matched to a NIK, even by trying all
// NIKs (their structure makes that space small, which is why a plain hash would not do).
import { createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'node:crypto';

export type TagKind = 'phone' | 'card' | 'user' | 'check';

export interface Hasher {
  /** HMAC-SHA256(secret, "nik:" + nik) as 64 lowercase hex digits: a record's key. */
  nikHash(nik: string): string;
  /** First 8 bytes of HMAC-SHA256(secret, kind + ":" + value) as 16 hex digits. */
  tag(kind: TagKind, value: string): string;
}

export function createHasher(secret: string | Buffer): Hasher {
  const raw = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (raw.length < 16) throw new Error('the status HMAC secret must be at least 16 bytes');
  // A KeyObject is imported once; createHmac with it is cheaper per call (the import hashes millions).
  const key = createSecretKey(raw);
  const mac = (s: string) => createHmac('sha256', key).update(s, 'utf8').digest();
  return {
    nikHash: (nik) => mac(`nik:${nik}`).toString('hex'),
    tag: (kind, value) => mac(`${kind}:${value}`).subarray(0, 8).toString('hex'),
  };
}

/** A secret for one process only (the file provider hashes its CSV at start with it). */
export function randomSecret(): Buffer {
  return randomBytes(32);
}

/** Compares two tags (hex strings) in constant time; false when either is missing or malformed. */
export function sameTag(a: string | undefined, b: string | undefined): boolean {
  const x = Buffer.from(a ?? '', 'hex');
  const y = Buffer.from(b ?? '', 'hex');
  // Compare something of the right length even when one side is missing, so the time taken does
  // not tell whether the record had that factor at all.
  const ok = x.length === 8 && y.length === 8;
  return timingSafeEqual(ok ? x : Buffer.alloc(8), ok ? y : Buffer.alloc(8, 1)) && ok;
}
