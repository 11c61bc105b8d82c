// Issue 3 item 7: accuracy of the free-text understanding on test/nlu/eval-set.yaml, a labelled
// set written apart from the examples the matcher learns from. Prints a table per intent.
//
// Counting: a message is correct only when understand() returns `match` with the expected intent
// (or `none` for messages labelled `none`). An `unsure` answer counts as WRONG even when the right
// intent is among its guesses; the table shows those separately ("unsure✓"), since in the chat
// the user would then pick the right guess with one tap.
import { describe, expect, it } from 'vitest';
import { createUnderstander } from '../src/nlu/index.ts';
import { evaluate, loadEvalSet, show } from './nlu/evaluate.ts';

const MIN_OVERALL = 0.9;

describe('NLU evaluation set', () => {
  it(`reaches at least ${MIN_OVERALL * 100}% overall`, () => {
    const items = loadEvalSet();
    expect(items.length).toBeGreaterThanOrEqual(300);
    const nlu = createUnderstander({ localesDir: 'locales' });
    const r = evaluate(items, nlu.understand);
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    const lines = [
      'intent'.padEnd(26) + 'n'.padStart(4) + 'ok'.padStart(5) + 'unsure✓'.padStart(9) + 'acc'.padStart(8),
      ...r.perIntent.map((p) => p.intent.padEnd(26) + String(p.n).padStart(4) + String(p.correct).padStart(5) + String(p.unsureRight).padStart(9) + pct(p.accuracy).padStart(8)),
      '-'.repeat(52),
      'overall'.padEnd(26) + String(r.outcomes.length).padStart(4) + String(r.outcomes.filter((o) => o.correct).length).padStart(5) + String(r.unsureRight).padStart(9) + pct(r.overall).padStart(8),
      `unsure answers: ${r.unsureCount} (counted wrong; the right intent was among the guesses in ${r.unsureRight})`,
      `wrong matches (confidently wrong): ${r.outcomes.filter((o) => !o.correct && o.got.kind === 'match').length}; none-labelled messages: ${items.filter((i) => i.expected === 'none').length}`,
      'misses:',
      ...r.outcomes.filter((o) => !o.correct).map((o) => `  ${o.expected} -> ${show(o.got)}: ${JSON.stringify(o.text)}`),
    ];
    console.log(lines.join('\n'));
    expect(r.overall).toBeGreaterThanOrEqual(MIN_OVERALL);
  });
});
