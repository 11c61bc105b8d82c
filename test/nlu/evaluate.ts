// Scores the understanding against test/nlu/eval-set.yaml. Shared by test/nlu-eval.test.ts and by
// `npx tsx test/nlu/evaluate.ts` (prints every miss, for working on the data).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Understanding } from '../../src/core/engine.ts';
import type { Lang } from '../../src/core/types.ts';
import { createUnderstander } from '../../src/nlu/index.ts';

export const EvalSetSchema = z.record(z.string(), z.array(z.string().min(1)).min(1));

export interface EvalItem {
  text: string;
  expected: string;
}

export function loadEvalSet(path = 'test/nlu/eval-set.yaml'): EvalItem[] {
  const data = EvalSetSchema.parse(parse(readFileSync(path, 'utf8')));
  return Object.entries(data).flatMap(([expected, texts]) => texts.map((text) => ({ text, expected })));
}

/** Rough language guess for the eval: the engine passes the session's language instead. */
export function guessLang(text: string): Lang {
  return /\b(the|my|i|is|how|what|when|can|do|does|where|which|why|you|am)\b/i.test(text) ? 'en' : 'id';
}

export interface Outcome extends EvalItem {
  got: Understanding;
  correct: boolean;
  /** 'unsure' whose guesses include the expected intent: counted wrong, reported apart. */
  unsureRight: boolean;
}

export interface Report {
  outcomes: Outcome[];
  perIntent: { intent: string; n: number; correct: number; unsureRight: number; accuracy: number }[];
  overall: number;
  unsureCount: number;
  unsureRight: number;
}

export function evaluate(items: EvalItem[], understand: (text: string, lang: Lang) => Understanding): Report {
  const outcomes = items.map((it): Outcome => {
    const got = understand(it.text, guessLang(it.text));
    const correct = it.expected === 'none' ? got.kind === 'none' : got.kind === 'match' && got.intent === it.expected;
    const unsureRight = got.kind === 'unsure' && got.candidates.includes(it.expected);
    return { ...it, got, correct, unsureRight };
  });
  const by = new Map<string, Outcome[]>();
  for (const o of outcomes) by.set(o.expected, [...(by.get(o.expected) ?? []), o]);
  const perIntent = [...by.entries()]
    .map(([intent, os]) => {
      const correct = os.filter((o) => o.correct).length;
      return { intent, n: os.length, correct, unsureRight: os.filter((o) => o.unsureRight).length, accuracy: correct / os.length };
    })
    .sort((a, b) => a.accuracy - b.accuracy || a.intent.localeCompare(b.intent));
  return {
    outcomes,
    perIntent,
    overall: outcomes.filter((o) => o.correct).length / outcomes.length,
    unsureCount: outcomes.filter((o) => o.got.kind === 'unsure').length,
    unsureRight: outcomes.filter((o) => o.unsureRight).length,
  };
}

export function show(u: Understanding): string {
  return u.kind === 'match' ? u.intent : u.kind === 'unsure' ? `unsure[${u.candidates.join(',')}]` : 'none';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const nlu = createUnderstander({ localesDir: 'locales' });
  const r = evaluate(loadEvalSet(), nlu.understand);
  for (const o of r.outcomes.filter((x) => !x.correct)) {
    const a = nlu.matcher.analyse(o.text, guessLang(o.text));
    console.log(`${o.expected.padEnd(26)} ${show(o.got).padEnd(50)} ${JSON.stringify(o.text)}  [${a.terms.join(' ')}] ${a.ranked.slice(0, 3).map((s) => `${s.intent}:${s.confidence.toFixed(2)}(${s.example})`).join(' ')}`);
  }
  console.log(`overall ${(r.overall * 100).toFixed(1)}%  unsure ${r.unsureCount} (right guess among them ${r.unsureRight})  n=${r.outcomes.length}`);
}
