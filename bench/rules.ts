// An independent restatement of the Kartu Prakerja eligibility rules (2023-2024 "skema normal",
// /work/shared/prakerja.md §1b), written for the benchmark's correctness check. It deliberately
// imports nothing from src/: if Pandu's verdict (src/prakerja/eligibility.ts + policy/prakerja.yaml)
// and this file disagree about a user, the benchmark fails with a mismatch.
//
//   Age 18-64; not in formal education; WNI with a KTP; not one of the 7 excluded groups of
//   Permenko 11/2020 Pasal 2(5); at most 2 Penerima per KK; once per lifetime.
//   Not settled by any source (route to official channels, do not decide): honorer, PPPK,
//   RT/RW heads, non-board BUMN/BUMD staff, Indonesians living abroad.
//   Returning migrant workers (Purna PMI) in Indonesia are also pointed to BP2MI.

export const EXCLUDED = ['pejabat_negara', 'dprd', 'asn', 'tni', 'polri', 'perangkat_desa', 'bumn_board'] as const;
export const UNSETTLED = ['honorer', 'pppk', 'rt_rw', 'bumn_staff'] as const;

/** A user's true situation, as the benchmark generated it. */
export interface Profile {
  citizen: boolean;
  age: number;
  studying: boolean;
  /** An EXCLUDED id or 'none'. */
  occupation: string;
  /** An UNSETTLED id or 'none'; only asked when occupation is 'none'. */
  otherRole: string;
  /** Others in the KK who are already Penerima. */
  kkOthers: number;
  previousRecipient: boolean;
  abroad: boolean;
  returningMigrant: boolean;
}

export type Rule = 'citizenship' | 'age' | 'education' | 'occupation' | 'kk_limit' | 'previous_recipient';
export const RULES: readonly Rule[] = ['citizenship', 'age', 'education', 'occupation', 'kk_limit', 'previous_recipient'];

export interface Expected {
  outcome: 'eligible' | 'not_eligible' | 'cannot_decide';
  failed: Rule[];
  unsettled: string[];
  bp2mi: boolean;
}

export function expectedVerdict(p: Profile): Expected {
  const failed: Rule[] = [];
  if (!p.citizen) failed.push('citizenship');
  if (!(p.age >= 18 && p.age <= 64)) failed.push('age');
  if (p.studying) failed.push('education');
  if ((EXCLUDED as readonly string[]).includes(p.occupation)) failed.push('occupation');
  if (p.kkOthers >= 2) failed.push('kk_limit');
  if (p.previousRecipient) failed.push('previous_recipient');
  const unsettled: string[] = [];
  // The follow-up about unsettled roles is asked only to someone in none of the excluded groups.
  if (p.occupation === 'none' && (UNSETTLED as readonly string[]).includes(p.otherRole)) unsettled.push(p.otherRole);
  if (p.abroad) unsettled.push('abroad');
  const outcome = failed.length > 0 ? 'not_eligible' : unsettled.length > 0 ? 'cannot_decide' : 'eligible';
  return { outcome, failed, unsettled, bp2mi: p.returningMigrant && !p.abroad };
}

// ---- deterministic profiles ----------------------------------------------------------------------

/** mulberry32: a small, fast, seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Profile i of a seeded population: about a third eligible, about a sixth undecidable, the rest
 * failing at least one rule, with the failing rules cycling over all six (and a second failure
 * added now and then). The expected verdict is computed from the profile by `expectedVerdict`,
 * never taken from how the profile was drawn.
 */
export function makeProfile(i: number, rand: () => number): Profile {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const p: Profile = {
    citizen: true,
    age: int(18, 64),
    studying: false,
    occupation: 'none',
    otherRole: 'none',
    kkOthers: rand() < 0.5 ? 0 : 1,
    previousRecipient: false,
    abroad: false,
    returningMigrant: rand() < 0.25,
  };
  const kind = i % 6; // 0,1: eligible; 2: undecidable; 3,4,5: not eligible
  if (kind === 2) {
    if (rand() < 0.6) p.otherRole = pick(UNSETTLED);
    else p.abroad = true;
    if (rand() < 0.2) p.abroad = true;
  } else if (kind >= 3) {
    const failures = [RULES[Math.floor(i / 6) % RULES.length]!];
    if (rand() < 0.25) failures.push(pick(RULES));
    for (const r of failures) {
      if (r === 'citizenship') p.citizen = false;
      if (r === 'age') p.age = rand() < 0.5 ? int(1, 17) : int(65, 120);
      if (r === 'education') p.studying = true;
      if (r === 'occupation') p.occupation = pick(EXCLUDED);
      if (r === 'kk_limit') p.kkOthers = int(2, 6);
      if (r === 'previous_recipient') p.previousRecipient = true;
    }
    if (rand() < 0.15 && p.occupation === 'none') p.otherRole = pick(UNSETTLED);
    if (rand() < 0.1) p.abroad = true;
  }
  return p;
}
