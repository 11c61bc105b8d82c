// Calibration of the matcher's scoring and thresholds on the EXAMPLES (leave-one-out: each example
// is matched against all the others), not on the evaluation set. Run: npx tsx test/nlu/tune.ts
// Prints, per setting, the leave-one-out accuracy; the evaluation-set figure is shown beside it
// only as a check, never as the thing to maximise.
import { loadNluData } from '../../src/nlu/data.ts';
import { DEFAULT_OPTIONS, Matcher, type MatcherOptions } from '../../src/nlu/matcher.ts';
import { evaluate, loadEvalSet } from './evaluate.ts';

const data = loadNluData('locales');
const evalItems = loadEvalSet();

function loo(m: Matcher): number {
  const ex = m.examples();
  let ok = 0;
  for (const e of ex) {
    const u = m.decide(m.analyse(e.text, e.lang, e.id).ranked);
    if (u.kind === 'match' && u.intent === e.intent) ok++;
  }
  return ok / ex.length;
}

const grid: Partial<MatcherOptions>[] = [];
for (const docExp of [0.45, 0.5, 0.6])
  for (const support of [0.3, 0.45])
    for (const weakFactor of [0.35, 0.5])
      for (const match of [0.45, 0.5])
        for (const margin of [0.03, 0.05]) grid.push({ docExp, support, weakFactor, match, margin });

const rows: string[] = [];
for (const g of process.argv.includes('--default') ? [{}] : grid) {
  const m = new Matcher(data, { ...DEFAULT_OPTIONS, ...g });
  const l = loo(m);
  const e = evaluate(evalItems, (t, lang) => m.understand(t, lang)).overall;
  rows.push(`${(l * 100).toFixed(1)}\t${(e * 100).toFixed(1)}\t${JSON.stringify(g)}`);
}
console.log('loo%\teval%\tsetting');
console.log(rows.sort().reverse().slice(0, 25).join('\n'));
