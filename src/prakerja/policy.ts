// The programme's policy numbers and lists (policy/prakerja.yaml), validated with zod. A bad
// policy file stops start-up with a message naming the file and the field.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const Id = z.string().regex(/^[a-z][a-z0-9_]*$/, 'use lowercase letters, digits and _');
const Days = z.number().int().min(0).max(366);
const Rupiah = z.number().int().nonnegative();
const DayMonth = z.strictObject({ day: z.number().int().min(1).max(31), month: z.number().int().min(1).max(12) });

export const PolicySchema = z.strictObject({
  period: z.strictObject({ label: z.string().min(1) }),
  eligibility: z
    .strictObject({
      age: z
        .strictObject({ min: z.number().int().min(0).max(130), max: z.number().int().min(0).max(130) })
        .refine((a) => a.min <= a.max, { message: 'min must not be above max' }),
      maxRecipientsPerKK: z.number().int().min(1),
      oncePerLifetime: z.boolean(),
      excludedOccupations: z.array(Id).min(1),
      unsettledOccupations: z.array(Id),
      abroadUnsettled: z.boolean(),
    })
    .superRefine((e, ctx) => {
      const dupes = e.excludedOccupations.filter((x) => e.unsettledOccupations.includes(x) || x === 'none');
      for (const d of dupes) ctx.addIssue({ code: 'custom', path: ['excludedOccupations'], message: `"${d}" cannot be excluded and unsettled (or "none") at once` });
      if (e.unsettledOccupations.includes('none')) ctx.addIssue({ code: 'custom', path: ['unsettledOccupations'], message: '"none" is reserved for "none of these"' });
    }),
  training: z.strictObject({
    firstPurchaseDays: Days,
    purchaseCutoffDays: z.strictObject({ online: Days, offline: Days }),
    cancel: z.strictObject({ withinDaysOfPurchase: Days, minDaysBeforeStart: Days }),
    nextPurchaseDaysAfterRating: Days,
    mandiriRedeemDays: Days,
    finishDays: z.strictObject({ webinarAfterLastMeeting: Days, mandiriAfterRedeem: Days }),
  }),
  incentive: z.strictObject({
    trainingAid: Rupiah,
    jobSearch: Rupiah,
    survey: z.strictObject({ amount: Rupiah, times: z.number().int().min(0).max(12) }),
    scheduleSyncHours: z.number().int().positive(),
    payoutWorkingDays: z
      .strictObject({ min: Days, max: Days })
      .refine((d) => d.min <= d.max, { message: 'min must not be above max' }),
    surveyAfterDays: Days,
    surveyDeadline: DayMonth,
    connectAccountBy: DayMonth,
  }),
});

export type Policy = z.infer<typeof PolicySchema>;
export type EligibilityPolicy = Policy['eligibility'];

export class PolicyError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`policy file ${file} is not valid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'PolicyError';
  }
}

/** Validates already-parsed policy data; `file` only names the source in errors. */
export function parsePolicy(raw: unknown, file = 'policy'): Policy {
  const r = PolicySchema.safeParse(raw);
  if (!r.success) {
    throw new PolicyError(
      file,
      r.error.issues.map((i) => `${i.path.map(String).join('.') || '(top level)'}: ${i.message}`),
    );
  }
  return r.data;
}

export function loadPolicy(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PolicyError(file, [`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new PolicyError(file, [`not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  return parsePolicy(raw, file);
}
