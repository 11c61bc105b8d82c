// The eligibility verdict for the current scheme (2023–2024 "skema normal", prakerja.md §1b).
// A pure function of the user's answers and the policy: no texts, no I/O. The action in
// actions.ts turns the verdict into messages; a benchmark can call `decideEligibility` directly.
import type { Answer } from '../core/types.ts';
import type { EligibilityPolicy } from './policy.ts';

/** The user's answers, in the verdict's own words (see `inputFromAnswers` for the flow's). */
export interface EligibilityInput {
  /** WNI with a KTP. */
  citizen: boolean;
  /** Age in whole years. */
  age: number;
  /** Now in formal education (sekolah / kuliah). */
  inFormalEducation: boolean;
  /** One of the policy's `excludedOccupations`, or "none". */
  occupation: string;
  /** One of the policy's `unsettledOccupations`, or "none" (asked only when occupation is "none"). */
  otherRole: string;
  /** People in the user's KK, not counting the user, who already became Penerima. */
  kkRecipients: number;
  /** The user was a Penerima before (any year since 2020). */
  previousRecipient: boolean;
  /** The user lives outside Indonesia now. */
  livesAbroad: boolean;
  /** The user is a returning migrant worker (Purna PMI). */
  returningMigrant: boolean;
}

export type FailedRule = 'citizenship' | 'age' | 'education' | 'occupation' | 'kk_limit' | 'previous_recipient';

/** Rules in the order the questions are asked (and the order reasons are given). */
export const RULE_ORDER: readonly FailedRule[] = ['citizenship', 'age', 'education', 'occupation', 'kk_limit', 'previous_recipient'];

export type Outcome = 'eligible' | 'not_eligible' | 'cannot_decide';

export interface Verdict {
  outcome: Outcome;
  /** Every rule the answers fail, in `RULE_ORDER` (not only the first). */
  failed: FailedRule[];
  /**
   * Cases the sources do not settle: an unsettled occupation id (honorer, pppk, rt_rw,
   * bumn_staff...) and/or "abroad". With no failed rule they make the outcome "cannot_decide".
   */
  unsettled: string[];
  /** Point the user to BP2MI help as well (a returning migrant worker living in Indonesia). */
  bp2mi: boolean;
}

export function decideEligibility(a: EligibilityInput, p: EligibilityPolicy): Verdict {
  const failed: FailedRule[] = [];
  if (!a.citizen) failed.push('citizenship');
  if (a.age < p.age.min || a.age > p.age.max) failed.push('age');
  if (a.inFormalEducation) failed.push('education');
  if (p.excludedOccupations.includes(a.occupation)) failed.push('occupation');
  if (a.kkRecipients >= p.maxRecipientsPerKK) failed.push('kk_limit');
  if (p.oncePerLifetime && a.previousRecipient) failed.push('previous_recipient');

  const unsettled: string[] = [];
  if (p.unsettledOccupations.includes(a.otherRole)) unsettled.push(a.otherRole);
  if (p.abroadUnsettled && a.livesAbroad) unsettled.push('abroad');

  const outcome: Outcome = failed.length > 0 ? 'not_eligible' : unsettled.length > 0 ? 'cannot_decide' : 'eligible';
  return { outcome, failed, unsettled, bp2mi: a.returningMigrant && !a.livesAbroad };
}

/** Another name for the same function, matching the action's name. */
export const eligibilityVerdict = decideEligibility;

/**
 * The answers as flows/eligibility.yaml saves them, turned into an `EligibilityInput`. Returns
 * the names of missing answers instead when the flow did not ask them all (e.g. a session that
 * was reset mid-way).
 *
 *   citizen            yes/no         -> citizen
 *   age                integer        -> age
 *   education          studying | not_studying
 *   occupation         policy excluded id | none
 *   otherRole          policy unsettled id | none   (only asked when occupation = none)
 *   kkAny              yes/no
 *   kkRecipients       integer                      (only asked when kkAny = yes)
 *   previousRecipient  recipient | never
 *   residence          indonesia | abroad
 *   returningMigrant   yes/no                       (only asked when residence = indonesia)
 */
export function inputFromAnswers(ans: Readonly<Record<string, Answer>>): { ok: true; input: EligibilityInput } | { ok: false; missing: string[] } {
  const missing: string[] = [];
  const need = <T>(key: string, read: (v: Answer) => T | undefined): T | undefined => {
    const v = ans[key];
    const out = v === undefined ? undefined : read(v);
    if (out === undefined) missing.push(key);
    return out;
  };
  const bool = (v: Answer) => (typeof v === 'boolean' ? v : undefined);
  const int = (v: Answer) => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
  const str = (v: Answer) => (typeof v === 'string' ? v : undefined);
  const oneOf = (...ids: string[]) => (v: Answer) => (typeof v === 'string' && ids.includes(v) ? v : undefined);

  const citizen = need('citizen', bool);
  const age = need('age', int);
  const education = need('education', oneOf('studying', 'not_studying'));
  const occupation = need('occupation', str);
  const kkAny = need('kkAny', bool);
  const previous = need('previousRecipient', oneOf('recipient', 'never'));
  const residence = need('residence', oneOf('indonesia', 'abroad'));
  // Follow-ups: only required when their question was asked.
  const otherRole = occupation === 'none' ? need('otherRole', str) : 'none';
  const returningMigrant = residence === 'indonesia' ? need('returningMigrant', bool) : false;
  const kkRecipients = kkAny === true ? need('kkRecipients', int) : 0;

  if (missing.length > 0) return { ok: false, missing };
  return {
    ok: true,
    input: {
      citizen: citizen!,
      age: age!,
      inFormalEducation: education === 'studying',
      occupation: occupation!,
      otherRole: otherRole!,
      kkRecipients: kkRecipients!,
      previousRecipient: previous === 'recipient',
      livesAbroad: residence === 'abroad',
      returningMigrant: returningMigrant!,
    },
  };
}

/** Every answer name the eligibility flow saves (the action forgets them once the verdict is given). */
export const ELIGIBILITY_ANSWERS = [
  'citizen',
  'age',
  'education',
  'occupation',
  'otherRole',
  'kkAny',
  'kkRecipients',
  'previousRecipient',
  'residence',
  'returningMigrant',
] as const;
