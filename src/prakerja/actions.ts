// The named actions flows may call (`action:` in flows/*.yaml), built from the policy file.
//
//   eligibilityVerdict  flows/eligibility.yaml: the verdict from the answers (eligibility.ts),
//                       said as texts; goes to the step for its outcome.
//   courseAdvice        flows/courses.yaml: advice for the goal, format and time answered.
//   policyText          any flow: says the text `<flow>.<step>.text` with the policy's numbers
//                       (amounts, days, deadlines) filled in, then goes to the step's `next`.
//   status*             flows/status.yaml: the personal status lookup (src/prakerja/status/).
//   helpdeskHandoff     flows/agent.yaml: the hand-off to a person (src/helpdesk/actions.ts).
//
// Texts said by actions are not seen by the loader's cross-checks; test/eligibility.test.ts
// checks every key these actions can say exists in every locale.
import type { Action, ActionContext, Say } from '../core/engine.ts';
import type { Target } from '../core/flow-schema.ts';
import type { Lang } from '../core/types.ts';
import { ELIGIBILITY_ANSWERS, RULE_ORDER, decideEligibility, inputFromAnswers, type EligibilityInput, type Verdict } from './eligibility.ts';
import { loadPolicy, type Policy } from './policy.ts';
import { statusActions } from './status/actions.ts';
import { helpdeskActions } from '../helpdesk/actions.ts';

export interface ActionsOptions {
  policyFile: string;
}

export function createActions(opts: ActionsOptions): Record<string, Action> {
  const policy = loadPolicy(opts.policyFile);
  return {
    eligibilityVerdict: (ctx) => eligibilityVerdictAction(ctx, policy),
    courseAdvice: (ctx) => courseAdviceAction(ctx, policy),
    policyText: (ctx) => ({ say: [{ key: `${ctx.session.at.flow}.${ctx.session.at.step}.text`, params: policyParams(policy, ctx.lang) }] }),
    ...statusActions(),
    ...helpdeskActions(),
  };
}

// ---- policy numbers as text parameters ---------------------------------------------------------

const MONTHS: Record<Lang, string[]> = {
  id: ['Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli', 'Agustus', 'September', 'Oktober', 'November', 'Desember'],
  en: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
};

export function rupiah(n: number, lang: Lang): string {
  return `Rp${new Intl.NumberFormat(lang === 'id' ? 'id-ID' : 'en-US').format(n)}`;
}

/** "1 day" / "3 days" (English) or "1 hari" (Indonesian has no plural). */
function days(n: number, lang: Lang): string {
  return lang === 'id' ? `${n} hari` : `${n} ${n === 1 ? 'day' : 'days'}`;
}

function dayMonth(d: { day: number; month: number }, lang: Lang): string {
  return `${d.day} ${MONTHS[lang][d.month - 1]}`;
}

/** Every policy number a text may use, by name ({{ageMin}}, {{trainingAid}}...). */
export function policyParams(p: Policy, lang: Lang): Record<string, string | number> {
  const e = p.eligibility;
  const t = p.training;
  const i = p.incentive;
  return {
    period: p.period.label,
    ageMin: e.age.min,
    ageMax: e.age.max,
    kkMax: e.maxRecipientsPerKK,
    firstPurchaseDays: t.firstPurchaseDays,
    onlineCutoff: t.purchaseCutoffDays.online,
    offlineCutoff: t.purchaseCutoffDays.offline,
    onlineCutoffDays: days(t.purchaseCutoffDays.online, lang),
    offlineCutoffDays: days(t.purchaseCutoffDays.offline, lang),
    cancelWithin: t.cancel.withinDaysOfPurchase,
    cancelBefore: t.cancel.minDaysBeforeStart,
    nextPurchaseDays: t.nextPurchaseDaysAfterRating,
    mandiriRedeemDays: t.mandiriRedeemDays,
    webinarFinishDays: t.finishDays.webinarAfterLastMeeting,
    mandiriFinishDays: t.finishDays.mandiriAfterRedeem,
    trainingAid: rupiah(i.trainingAid, lang),
    jobSearch: rupiah(i.jobSearch, lang),
    surveyAmount: rupiah(i.survey.amount, lang),
    surveyTimes: i.survey.times,
    surveyTotal: rupiah(i.survey.amount * i.survey.times, lang),
    total: rupiah(i.trainingAid + i.jobSearch + i.survey.amount * i.survey.times, lang),
    syncHours: i.scheduleSyncHours,
    payoutMin: i.payoutWorkingDays.min,
    payoutMax: i.payoutWorkingDays.max,
    surveyAfterDays: i.surveyAfterDays,
    surveyDeadline: dayMonth(i.surveyDeadline, lang),
    connectBy: dayMonth(i.connectAccountBy, lang),
  };
}

// ---- eligibility ---------------------------------------------------------------------------------

/** Where the verdict action sends the user (the `exits` of flows/eligibility.yaml's verdict step). */
export const VERDICT_EXITS = {
  eligible: 'result_eligible',
  not_eligible: 'result_not_eligible',
  cannot_decide: 'result_cannot_decide',
  incomplete: 'citizen',
} as const;

/** The texts a verdict is told with, in order: one idea per message. */
export function verdictMessages(v: Verdict, input: EligibilityInput, policy: Policy, text: (key: string) => string): Say[] {
  const e = policy.eligibility;
  const out: Say[] = [];
  const range = { min: e.age.min, max: e.age.max };
  const reason = (rule: Verdict['failed'][number]): Say => {
    switch (rule) {
      case 'age':
        return { key: input.age < e.age.min ? 'eligibility.verdict.reason.ageUnder' : 'eligibility.verdict.reason.ageOver', params: { ...range, age: input.age } };
      case 'occupation':
        return { key: 'eligibility.verdict.reason.occupation', params: { group: text(`eligibility.occupation.options.${input.occupation}`) } };
      case 'kk_limit':
        return { key: 'eligibility.verdict.reason.kkLimit', params: { max: e.maxRecipientsPerKK, count: input.kkRecipients } };
      case 'previous_recipient':
        return { key: 'eligibility.verdict.reason.previousRecipient' };
      case 'citizenship':
        return { key: 'eligibility.verdict.reason.citizenship' };
      case 'education':
        return { key: 'eligibility.verdict.reason.education' };
    }
  };
  const unsettled = (id: string): Say => ({ key: `eligibility.verdict.unsettled.${id}` });

  if (v.outcome === 'eligible') {
    out.push({ key: 'eligibility.verdict.eligible' });
    out.push({ key: 'eligibility.verdict.eligibleCaveat' });
  } else if (v.outcome === 'not_eligible') {
    out.push({ key: 'eligibility.verdict.notEligible' });
    for (const r of RULE_ORDER) if (v.failed.includes(r)) out.push(reason(r));
    if (v.unsettled.length > 0) {
      out.push({ key: 'eligibility.verdict.alsoUnsettled' });
      for (const u of v.unsettled) out.push(unsettled(u));
    }
    out.push({ key: 'eligibility.verdict.ownCost' });
  } else {
    out.push({ key: 'eligibility.verdict.cannotDecide' });
    for (const u of v.unsettled) out.push(unsettled(u));
    out.push({ key: 'eligibility.verdict.othersOk' });
    out.push({ key: 'eligibility.verdict.askOfficial' });
  }
  if (v.bp2mi) out.push({ key: 'eligibility.verdict.bp2mi' });
  return out;
}

function eligibilityVerdictAction(ctx: ActionContext, policy: Policy) {
  const read = inputFromAnswers(ctx.answers);
  if (!read.ok) {
    return { say: [{ key: 'eligibility.verdict.incomplete' }], next: VERDICT_EXITS.incomplete as Target };
  }
  const v = decideEligibility(read.input, policy.eligibility);
  return {
    say: verdictMessages(v, read.input, policy, (key) => ctx.t(ctx.lang, key)),
    next: VERDICT_EXITS[v.outcome] as Target,
    // The answers have done their job; a new check starts clean.
    forget: [...ELIGIBILITY_ANSWERS],
  };
}

// ---- course tips ---------------------------------------------------------------------------------

export const COURSE_GOALS = ['job', 'business', 'career'] as const;
export const COURSE_FORMATS = ['webinar', 'mandiri', 'tatap_muka', 'hybrid'] as const;
export const COURSE_TIMES = ['little', 'fixed', 'plenty'] as const;

function courseAdviceAction(ctx: ActionContext, policy: Policy) {
  const { goal, format, time } = ctx.answers;
  const known = (v: unknown, ids: readonly string[]): v is string => typeof v === 'string' && ids.includes(v);
  if (!known(goal, COURSE_GOALS) || !known(format, COURSE_FORMATS) || !known(time, COURSE_TIMES)) {
    return { say: [{ key: 'courses.incomplete' }], next: 'goal' as Target };
  }
  const params = policyParams(policy, ctx.lang);
  return {
    say: [
      { key: `courses.advice.goal.${goal}`, params },
      { key: `courses.advice.format.${format}`, params },
      { key: `courses.advice.time.${time}`, params },
    ],
  };
}
