// The eligibility verdict (src/prakerja/eligibility.ts), the policy file (src/prakerja/policy.ts),
// and the texts the content actions say (src/prakerja/actions.ts), which the loader's
// cross-checks do not see.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import type { ActionContext, Say } from '../src/core/engine.ts';
import { FlowSchema, type Flow } from '../src/core/flow-schema.ts';
import { createTranslate, hasKey, readLocales } from '../src/core/i18n.ts';
import { LANGS, type Answer, type Lang, type Session } from '../src/core/types.ts';
import { COURSE_FORMATS, COURSE_GOALS, COURSE_TIMES, createActions, policyParams } from '../src/prakerja/actions.ts';
import { RULE_ORDER, decideEligibility, eligibilityVerdict, inputFromAnswers, type EligibilityInput, type FailedRule } from '../src/prakerja/eligibility.ts';
import { PolicyError, loadPolicy, parsePolicy } from '../src/prakerja/policy.ts';

const POLICY_FILE = 'policy/prakerja.yaml';
const policy = loadPolicy(POLICY_FILE);
const P = policy.eligibility;

/** Someone who meets every rule. */
const OK: EligibilityInput = {
  citizen: true,
  age: 30,
  inFormalEducation: false,
  occupation: 'none',
  otherRole: 'none',
  kkRecipients: 0,
  previousRecipient: false,
  livesAbroad: false,
  returningMigrant: false,
};
const decide = (over: Partial<EligibilityInput>) => decideEligibility({ ...OK, ...over }, P);

describe('policy file', () => {
  it('holds the current scheme (prakerja.md §1b)', () => {
    expect(P.age).toEqual({ min: 18, max: 64 });
    expect(P.maxRecipientsPerKK).toBe(2);
    expect(P.oncePerLifetime).toBe(true);
    expect(P.excludedOccupations).toHaveLength(7);
    expect(P.unsettledOccupations).toEqual(['honorer', 'pppk', 'rt_rw', 'bumn_staff']);
    expect(P.abroadUnsettled).toBe(true);
  });

  it('a bad field stops start-up with a message naming the field', () => {
    const raw = parseYaml(readFileSync(POLICY_FILE, 'utf8'));
    raw.eligibility.age.max = 'enam puluh empat';
    expect(() => parsePolicy(raw, 'x.yaml')).toThrow(/eligibility\.age\.max/);
    const raw2 = parseYaml(readFileSync(POLICY_FILE, 'utf8'));
    delete raw2.eligibility.maxRecipientsPerKK;
    expect(() => parsePolicy(raw2, 'x.yaml')).toThrow(/eligibility\.maxRecipientsPerKK/);
    const raw3 = parseYaml(readFileSync(POLICY_FILE, 'utf8'));
    raw3.eligibility.age = { min: 70, max: 18 };
    expect(() => parsePolicy(raw3, 'x.yaml')).toThrow(/eligibility\.age.*min must not be above max/);
    const raw4 = parseYaml(readFileSync(POLICY_FILE, 'utf8'));
    raw4.eligibility.unsettledOccupations.push('asn');
    expect(() => parsePolicy(raw4, 'x.yaml')).toThrow(/excludedOccupations.*"asn"/);
  });

  it('an unreadable or broken file names the file, and createActions refuses to start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pandu-policy-'));
    expect(() => loadPolicy(join(dir, 'missing.yaml'))).toThrow(PolicyError);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'eligibility: [unclosed');
    expect(() => loadPolicy(broken)).toThrow(/broken\.yaml.*not valid YAML/s);
    const wrong = join(dir, 'wrong.yaml');
    const raw = parseYaml(readFileSync(POLICY_FILE, 'utf8'));
    raw.incentive.trainingAid = -1;
    writeFileSync(wrong, stringify(raw));
    expect(() => createActions({ policyFile: wrong })).toThrow(/wrong\.yaml[\s\S]*incentive\.trainingAid/);
  });
});

describe('decideEligibility', () => {
  it('someone meeting every rule is eligible, with nothing failed or unsettled', () => {
    expect(decide({})).toEqual({ outcome: 'eligible', failed: [], unsettled: [], bp2mi: false });
    expect(eligibilityVerdict).toBe(decideEligibility);
  });

  const alone: [FailedRule, Partial<EligibilityInput>][] = [
    ['citizenship', { citizen: false }],
    ['age', { age: 17 }],
    ['age', { age: 65 }],
    ['education', { inFormalEducation: true }],
    ['kk_limit', { kkRecipients: 2 }],
    ['kk_limit', { kkRecipients: 5 }],
    ['previous_recipient', { previousRecipient: true }],
    ...P.excludedOccupations.map((o): [FailedRule, Partial<EligibilityInput>] => ['occupation', { occupation: o }]),
  ];
  it.each(alone)('fails %s alone (%o)', (rule, over) => {
    const v = decide(over);
    expect(v.outcome).toBe('not_eligible');
    expect(v.failed).toEqual([rule]);
  });

  it('the age range and the per-KK limit are inclusive where the policy says so', () => {
    expect(decide({ age: 18 }).outcome).toBe('eligible');
    expect(decide({ age: 64 }).outcome).toBe('eligible');
    expect(decide({ kkRecipients: 1 }).outcome).toBe('eligible');
  });

  it('names every failing rule, in question order, not only the first', () => {
    const v = decide({ citizen: false, age: 70, inFormalEducation: true, occupation: 'tni', kkRecipients: 3, previousRecipient: true });
    expect(v.outcome).toBe('not_eligible');
    expect(v.failed).toEqual([...RULE_ORDER]);
    expect(decide({ age: 15, previousRecipient: true }).failed).toEqual(['age', 'previous_recipient']);
  });

  it.each(['honorer', 'pppk', 'rt_rw', 'bumn_staff'])('cannot decide for %s', (role) => {
    expect(decide({ otherRole: role })).toEqual({ outcome: 'cannot_decide', failed: [], unsettled: [role], bp2mi: false });
  });

  it('cannot decide for someone living abroad, and names both unsettled cases together', () => {
    expect(decide({ livesAbroad: true })).toMatchObject({ outcome: 'cannot_decide', unsettled: ['abroad'] });
    expect(decide({ livesAbroad: true, otherRole: 'pppk' }).unsettled).toEqual(['pppk', 'abroad']);
  });

  it('a failing rule wins over an unsettled case, which is still reported', () => {
    expect(decide({ age: 80, otherRole: 'honorer' })).toEqual({ outcome: 'not_eligible', failed: ['age'], unsettled: ['honorer'], bp2mi: false });
  });

  it('points returning migrant workers in Indonesia to BP2MI, whatever the outcome', () => {
    expect(decide({ returningMigrant: true })).toEqual({ outcome: 'eligible', failed: [], unsettled: [], bp2mi: true });
    expect(decide({ returningMigrant: true, age: 66 })).toMatchObject({ outcome: 'not_eligible', bp2mi: true });
    expect(decide({ returningMigrant: true, otherRole: 'rt_rw' })).toMatchObject({ outcome: 'cannot_decide', bp2mi: true });
    expect(decide({ returningMigrant: true, livesAbroad: true }).bp2mi).toBe(false);
  });

  it('follows the policy file, not constants in code', () => {
    const looser = { ...P, age: { min: 16, max: 70 }, maxRecipientsPerKK: 3, excludedOccupations: ['asn'], unsettledOccupations: [], abroadUnsettled: false };
    expect(decideEligibility({ ...OK, age: 17, kkRecipients: 2, occupation: 'tni', otherRole: 'pppk', livesAbroad: true }, looser).outcome).toBe('eligible');
  });
});

describe('inputFromAnswers (the flow\'s answers)', () => {
  const answers: Record<string, Answer> = {
    citizen: true,
    age: 30,
    education: 'not_studying',
    occupation: 'none',
    otherRole: 'none',
    kkAny: false,
    previousRecipient: 'never',
    residence: 'indonesia',
    returningMigrant: false,
  };
  it('maps every answer', () => {
    expect(inputFromAnswers(answers)).toEqual({ ok: true, input: OK });
    const r = inputFromAnswers({ ...answers, education: 'studying', kkAny: true, kkRecipients: 3, previousRecipient: 'recipient', returningMigrant: true });
    expect(r.ok && r.input).toMatchObject({ inFormalEducation: true, kkRecipients: 3, previousRecipient: true, returningMigrant: true });
  });
  it('does not need the follow-ups whose question was skipped', () => {
    const { otherRole: _o, returningMigrant: _r, ...rest } = answers;
    const r = inputFromAnswers({ ...rest, occupation: 'asn', residence: 'abroad' });
    expect(r).toEqual({ ok: true, input: { ...OK, occupation: 'asn', otherRole: 'none', livesAbroad: true, returningMigrant: false } });
  });
  it('names missing or malformed answers', () => {
    const { age: _a, ...rest } = answers;
    expect(inputFromAnswers({ ...rest, citizen: 'ya' })).toEqual({ ok: false, missing: ['citizen', 'age'] });
    const { otherRole: _o, ...noRole } = answers;
    expect(inputFromAnswers(noRole)).toEqual({ ok: false, missing: ['otherRole'] });
    expect(inputFromAnswers({ ...answers, kkAny: true })).toEqual({ ok: false, missing: ['kkRecipients'] });
  });
});

// ---- texts the actions say ------------------------------------------------------------------

const resources = readLocales('locales');
const t = createTranslate(resources);
const actions = createActions({ policyFile: POLICY_FILE });

function loadFlow(id: string): Flow {
  return FlowSchema.parse(parseYaml(readFileSync(`flows/${id}.yaml`, 'utf8')));
}

function ctxFor(lang: Lang, flow: string, step: string, answers: Record<string, Answer>): ActionContext {
  const session: Session = { v: 1, lang, at: { flow, step }, answers, hist: [], ask: 0, seen: [], ts: 0 };
  return { lang, answers, session, restate: false, now: new Date(0), t };
}

/** Each text must exist in this language (no fallback) and leave no {{placeholder}} unfilled. */
function expectTexts(lang: Lang, says: Say[] | undefined) {
  expect(says?.length).toBeGreaterThan(0);
  for (const s of says ?? []) {
    if ('text' in s) continue;
    expect(hasKey(resources[lang], s.key), `${s.key} in locales/${lang}`).toBe(true);
    const out = t(lang, s.key, s.params);
    expect(out, s.key).not.toMatch(/\{\{|\}\}|\$t\(/);
  }
}

describe('flows and policy agree', () => {
  const elig = loadFlow('eligibility');
  const optionIds = (step: string) => {
    const input = elig.steps[step]?.input;
    return input?.type === 'choice' ? input.options.map((o) => o.id) : [];
  };
  it('the occupation question offers exactly the excluded groups, plus "none"', () => {
    expect(optionIds('occupation').sort()).toEqual([...P.excludedOccupations, 'none'].sort());
  });
  it('the follow-up offers exactly the unsettled groups, plus "none"', () => {
    expect(optionIds('otherRole').sort()).toEqual([...P.unsettledOccupations, 'none'].sort());
  });
  it('the verdict step declares every place the action goes', () => {
    expect(elig.steps.verdict?.exits).toEqual(['result_eligible', 'result_not_eligible', 'result_cannot_decide', 'citizen']);
  });
});

describe.each(LANGS)('texts said by actions (%s)', (lang) => {
  const base: Record<string, Answer> = {
    citizen: true, age: 30, education: 'not_studying', occupation: 'none', otherRole: 'none',
    kkAny: false, previousRecipient: 'never', residence: 'indonesia', returningMigrant: false,
  };
  const run = (answers: Record<string, Answer>) => actions.eligibilityVerdict!(ctxFor(lang, 'eligibility', 'verdict', answers));

  it('eligible', () => {
    const out = run(base);
    expect(out.next).toBe('result_eligible');
    expectTexts(lang, out.say);
    expect(out.forget).toContain('age');
  });

  it('not eligible: one text per failing rule, with the policy numbers', () => {
    for (const occupation of P.excludedOccupations) expectTexts(lang, run({ ...base, occupation }).say);
    const out = run({ ...base, citizen: false, age: 12, education: 'studying', occupation: 'polri', kkAny: true, kkRecipients: 2, previousRecipient: 'recipient', returningMigrant: true });
    expect(out.next).toBe('result_not_eligible');
    expectTexts(lang, out.say);
    const texts = out.say!.map((s) => ('key' in s ? t(lang, s.key, s.params) : s.text));
    expect(texts.filter((x) => x.startsWith('•'))).toHaveLength(6);
    expect(texts.join('\n')).toContain('18');
    expect(texts.join('\n')).toContain('64');
    expect(texts.join('\n')).toContain(t(lang, 'eligibility.occupation.options.polri'));
    expect(texts.join('\n')).toMatch(/BP2MI/);
    expectTexts(lang, run({ ...base, age: 90, otherRole: 'honorer' }).say);
  });

  it('cannot decide: every unsettled case has its text and where to ask', () => {
    for (const otherRole of P.unsettledOccupations) {
      const out = run({ ...base, otherRole });
      expect(out.next).toBe('result_cannot_decide');
      expectTexts(lang, out.say);
    }
    const abroad = run({ ...base, residence: 'abroad', returningMigrant: true });
    expect(abroad.next).toBe('result_cannot_decide');
    expectTexts(lang, abroad.say);
    expect(abroad.say!.map((s) => ('key' in s ? s.key : '')).join()).toContain('askOfficial');
    expect(abroad.say!.map((s) => ('key' in s ? s.key : '')).join()).not.toContain('bp2mi');
  });

  it('missing answers start the questions again', () => {
    const out = run({ citizen: true });
    expect(out.next).toBe('citizen');
    expectTexts(lang, out.say);
  });

  it('course advice exists for every answer combination', () => {
    for (const goal of COURSE_GOALS) for (const format of COURSE_FORMATS) for (const time of COURSE_TIMES) {
      expectTexts(lang, actions.courseAdvice!(ctxFor(lang, 'courses', 'advice', { goal, format, time })).say);
    }
    const out = actions.courseAdvice!(ctxFor(lang, 'courses', 'advice', { goal: 'job' }));
    expect(out.next).toBe('goal');
    expectTexts(lang, out.say);
  });

  it('every policyText step has its text, with only known policy numbers', () => {
    const known = Object.keys(policyParams(policy, lang));
    for (const id of ['eligibility', 'registration', 'fixes', 'courses', 'incentive', 'menu']) {
      for (const [name, st] of Object.entries(loadFlow(id).steps)) {
        if (st.action !== 'policyText') continue;
        const out = actions.policyText!(ctxFor(lang, id, name, {}));
        expectTexts(lang, out.say);
        const raw = (out.say![0] as { key: string }).key.split('.').reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], resources[lang]) as string;
        for (const [, v] of raw.matchAll(/\{\{(\w+)\}\}/g)) expect(known, `{{${v}}} in ${id}.${name}`).toContain(v);
      }
    }
  });
});

describe('writing: choice labels fit a phone button', () => {
  it.each(LANGS)('every option label of the content flows is at most 30 characters (%s)', (lang) => {
    for (const id of ['menu', 'eligibility', 'registration', 'fixes', 'courses', 'incentive']) {
      for (const [name, st] of Object.entries(loadFlow(id).steps)) {
        if (st.input?.type !== 'choice') continue;
        for (const o of st.input.options) expect(t(lang, o.label).length, `${id}.${name}.${o.id}: "${t(lang, o.label)}"`).toBeLessThanOrEqual(30);
      }
    }
  });
});
