// The `statusLookup` effect: the only place where a status lookup meets I/O. The flow's actions
// (actions.ts) ask for it; the runtime runs this handler and feeds its result back into them.
//
//   precheck  {op, nik}                  is this user or this NIK locked?
//   lookup    {op, nik, factor, value}   locks, then the record, then the factor must match it
//
// The arguments carry the NIK and the phone or card number in clear (they come from the
// session's personal answers): this handler hashes them at once and lets them go. Neither they
// nor their hashes are logged; log lines say only what happened ("notVerified", "found"...).
// "No such NIK" and "wrong factor" give the same answer and both count as a failure, so the
// lookup cannot be used to learn whether someone is a participant.
import type { Logger } from 'pino';
import { z } from 'zod';
import type { EffectHandler } from '../../core/runtime.ts';
import { checkNik } from '../nik.ts';
import { sameTag, type Hasher } from './hash.ts';
import type { Lockout, LockKeys } from './lockout.ts';
import { ProviderUnavailableError, type StatusProvider } from './provider.ts';
import { DisplayRecordSchema, normalizeCard, normalizePhone, toDisplay } from './record.ts';

export const STATUS_EFFECT = 'statusLookup';

export const FactorSchema = z.enum(['phone', 'card']);
export type Factor = z.infer<typeof FactorSchema>;

export const LookupArgsSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('precheck'), nik: z.string() }),
  z.object({ op: z.literal('lookup'), nik: z.string(), factor: FactorSchema, value: z.string() }),
]);
export type LookupArgs = z.infer<typeof LookupArgsSchema>;

export const LookupResultSchema = z.discriminatedUnion('kind', [
  /** precheck: neither the user nor the NIK is locked. */
  z.object({ kind: z.literal('clear') }),
  z.object({ kind: z.literal('found'), record: DisplayRecordSchema }),
  /** No record for the NIK, or the factor does not match it (deliberately the same answer). */
  z.object({ kind: z.literal('notVerified'), attemptsLeft: z.number().int().nonnegative() }),
  z.object({ kind: z.literal('locked'), until: z.number() }),
  /** The provider or the lockout store cannot answer now: "coba lagi nanti". */
  z.object({ kind: z.literal('unavailable') }),
  /** The arguments were not usable (not a NIK, not a phone or card number). */
  z.object({ kind: z.literal('invalid') }),
]);
export type LookupResult = z.infer<typeof LookupResultSchema>;

export interface StatusServiceOptions {
  provider: StatusProvider;
  lockout: Lockout;
  hasher: Hasher;
  logger?: Logger;
}

/** The lookup as a plain function (the effect handler below wraps it). `who` identifies the asking user. */
export async function statusLookup(o: StatusServiceOptions, rawArgs: unknown, who: { channel: string; userId: string }): Promise<LookupResult> {
  const log = o.logger;
  const parsed = LookupArgsSchema.safeParse(rawArgs);
  if (!parsed.success) return { kind: 'invalid' };
  const args = parsed.data;
  const nik = checkNik(args.nik);
  if (!nik.ok) return { kind: 'invalid' };
  const nikHash = o.hasher.nikHash(nik.nik);
  const keys: LockKeys = { user: o.hasher.tag('user', `${who.channel}:${who.userId}`), nik: nikHash.slice(0, 32) };
  const note = (outcome: string, extra: Record<string, unknown> = {}) =>
    log?.info({ status: { op: args.op, outcome, provider: o.provider.kind, ...extra } }, 'status lookup');

  try {
    const lock = await o.lockout.check(keys);
    if (lock.locked) {
      note('locked');
      return { kind: 'locked', until: lock.until };
    }
  } catch (err) {
    log?.warn({ status: { op: args.op, outcome: 'unavailable', part: 'lockout' }, err: { message: (err as Error).message } }, 'status lockout store unavailable');
    return { kind: 'unavailable' };
  }
  if (args.op === 'precheck') {
    note('clear', { consent: true });
    return { kind: 'clear' };
  }

  const value = args.factor === 'phone' ? normalizePhone(args.value) : normalizeCard(args.value);
  if (!value) return { kind: 'invalid' };
  const given = o.hasher.tag(args.factor, value);

  let record;
  try {
    record = await o.provider.lookup(nikHash);
  } catch (err) {
    const reason = err instanceof ProviderUnavailableError ? err.reason : `unexpected error: ${(err as Error).message}`;
    log?.warn({ status: { op: args.op, outcome: 'unavailable', provider: o.provider.kind, reason } }, 'status provider unavailable');
    return { kind: 'unavailable' };
  }
  // Compare even when there is no record, so the time taken does not tell the two cases apart.
  const expected = record ? (args.factor === 'phone' ? record.phoneTag : record.cardTag) : undefined;
  const match = sameTag(given, expected ?? '0000000000000000') && record !== null && expected !== undefined;
  if (match && record) {
    note('found', { factor: args.factor, label: record.status });
    return { kind: 'found', record: toDisplay(record) };
  }
  try {
    const f = await o.lockout.fail(keys);
    if (f.lockedUntil !== undefined) {
      note('lockedNow', { factor: args.factor });
      return { kind: 'locked', until: f.lockedUntil };
    }
    note('notVerified', { factor: args.factor, attemptsLeft: f.attemptsLeft });
    return { kind: 'notVerified', attemptsLeft: f.attemptsLeft };
  } catch (err) {
    // The failure could not be counted: do not show anything, and do not let it pass uncounted.
    log?.warn({ status: { op: args.op, outcome: 'unavailable', part: 'lockout' }, err: { message: (err as Error).message } }, 'status lockout store unavailable');
    return { kind: 'unavailable' };
  }
}

/** The runtime's handler for the `statusLookup` effect (RuntimeOptions.effects). */
export function createStatusEffect(o: StatusServiceOptions): EffectHandler {
  return (args, { inbound }) => statusLookup(o, args, { channel: inbound.channel, userId: inbound.userId });
}
