// Micro-benchmarks of the operations docs/performance.md talks about, each against what it
// replaced: `npx tsx bench/micro.ts`. Figures are µs per call, medians of 7 batches; on a shared
// machine only their order of magnitude means anything.
import { i18n } from 'i18next';
import { buildEngine } from '../src/app.ts';
import { renderReplies, stripBold, toHtml } from '../src/channels/telegram/render.ts';
import { readLocales } from '../src/core/i18n.ts';
import { cloneSession } from '../src/core/session-clone.ts';
import { step } from '../src/core/step.ts';
import type { Session } from '../src/core/types.ts';
import { decodeSession, encodeSession } from '../src/store/session-store.ts';

function time(label: string, n: number, f: () => unknown): void {
  const batches: number[] = [];
  for (let b = 0; b < 8; b++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) f();
    if (b > 0) batches.push(((performance.now() - t) * 1000) / n); // the first batch warms up
  }
  batches.sort((a, b) => a - b);
  process.stdout.write(`${label.padEnd(58)} ${batches[3]!.toFixed(2).padStart(8)} µs\n`);
}

const engine = buildEngine({ flowsDir: 'flows', localesDir: 'locales', policyFile: 'policy/prakerja.yaml', defaultLang: 'id' });
const plain = (await import('i18next')).default.createInstance() as i18n;
const resources = readLocales('locales');
await plain.init({ resources: { id: { translation: resources.id }, en: { translation: resources.en } }, lng: 'id', fallbackLng: 'id', interpolation: { escapeValue: false }, initAsync: false });
const fixedT = plain.getFixedT('id');

// A session at the eligibility question "education", as after "/start", "1", "ya", "30".
let s: Session | null = null;
let n = 0;
for (const text of ['/start', '1', 'ya', '30']) {
  const ev = text === '/start' ? ({ type: 'start' } as const) : ({ type: 'text', text } as const);
  s = step(engine, s, { channel: 'telegram', chatId: 'c', userId: 'c', messageId: `m${n++}`, event: ev }, Date.now()).session;
}
const session = s!;
const raw = encodeSession(session);
process.stdout.write(`session at ${session.at.flow}/${session.at.step}, ${raw.length} bytes\n`);

time('i18next getFixedT, a text without parameters', 20_000, () => fixedT('eligibility.education.ask', {}));
time('engine.t, the same text (memoized)', 200_000, () => engine.t('id', 'eligibility.education.ask'));
time('structuredClone(session)', 50_000, () => structuredClone(session));
time('cloneSession(session)', 200_000, () => cloneSession(session));
time('decodeSession (JSON.parse + zod)', 50_000, () => decodeSession(raw));
time('encodeSession', 50_000, () => encodeSession(session));
time('step: a valid choice ("2")', 5_000, () => step(engine, session, { channel: 'telegram', chatId: 'c', userId: 'c', messageId: 'x', event: { type: 'text', text: '2' } }, Date.now()));
time('step: free text at a choice ("dua puluhan", understander)', 5_000, () => step(engine, session, { channel: 'telegram', chatId: 'c', userId: 'c', messageId: 'x', event: { type: 'text', text: 'dua puluhan' } }, Date.now()));
// Workloads A and C send the invalid age at the age question, where a failed number ("dua
// puluhan") gets the hint without going through the understander.
let atAge: Session | null = null;
for (const text of ['/start', '1', 'ya']) {
  const ev = text === '/start' ? ({ type: 'start' } as const) : ({ type: 'text', text } as const);
  atAge = step(engine, atAge, { channel: 'telegram', chatId: 'c', userId: 'c', messageId: `a${n++}`, event: ev }, Date.now()).session;
}
time('step: the invalid age ("dua puluhan") at the age question', 20_000, () => step(engine, atAge, { channel: 'telegram', chatId: 'c', userId: 'c', messageId: 'x', event: { type: 'text', text: 'dua puluhan' } }, Date.now()));
// The occupation question: the longest list of buttons in the eligibility check.
const atOccupation = step(engine, session, { channel: 'telegram', chatId: 'c', userId: 'c', messageId: 'y', event: { type: 'text', text: '2' } }, Date.now());
const question = atOccupation.replies;
const buttons = question.reduce((k, r) => k + (r.choices?.length ?? 0), 0);
const chars = question.reduce((k, r) => k + r.text.length + (r.choices ?? []).reduce((j, c) => j + c.label.length, 0), 0);
process.stdout.write(`replies at ${atOccupation.session.at.step}: ${question.length} messages, ${buttons} buttons, ${chars} characters of text and labels\n`);
let miss = 0;
time('renderReplies, texts and labels not seen before', 20_000, () => {
  miss++;
  return renderReplies(question.map((r) => ({ ...r, text: `${r.text} ${miss}`, choices: r.choices?.map((c) => ({ ...c, label: `${c.label} ${miss}` })) })));
});
time('renderReplies, the same replies again (cached)', 50_000, () => renderReplies(question));
