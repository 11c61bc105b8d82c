// Micro-benchmarks of the operations docs/performance.md talks about, each against what it
// replaced: `npx tsx bench/micro.ts`. Figures are µs per call, medians of 7 batches; on a shared
// machine only their order of magnitude means anything. `npx tsx bench/micro.ts metrics` runs only
// the metrics' per-message paths against the direct prom-client calls they replaced, interleaved,
// in CPU time (see `metricsCases`).
import { i18n } from 'i18next';
import { buildEngine } from '../src/app.ts';
import { renderReplies, stripBold, toHtml } from '../src/channels/telegram/render.ts';
import { readLocales } from '../src/core/i18n.ts';
import { stepSession } from '../src/core/session-clone.ts';
import { step } from '../src/core/step.ts';
import type { Session } from '../src/core/types.ts';
import { decodeSession, encodeSession } from '../src/store/session-store.ts';
import type { Inbound } from '../src/core/types.ts';
import { createMetrics } from '../src/metrics.ts';
import { DirectMetrics } from '../test/support/metrics-direct.ts';
import { makeProfile, rng, type Profile } from './rules.ts';

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

if (process.argv[2] === 'metrics') {
  await metricsCases();
  process.exit(0);
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
const reason = { min: 18, max: 64, age: 70 };
time('i18next getFixedT, a text with parameters (verdict reason)', 5_000, () => fixedT('eligibility.verdict.reason.ageOver', reason));
time('engine.t, the same text (filled in without i18next)', 200_000, () => engine.t('id', 'eligibility.verdict.reason.ageOver', reason));
time('structuredClone(session)', 50_000, () => structuredClone(session));
time('stepSession(session), the shallow copy step makes', 200_000, () => stepSession(session));
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
// Workload A's part in step: the bench's 1000 users (bench/rules.ts profiles, choices answered
// by number, every fifth user first answering the age with "dua puluhan"), each message given
// the session the one before returned, as the Redis store does. Per message, all kinds mixed.
{
  const flow = engine.flows.get('eligibility')!;
  const option = (st: string, id: string) => {
    const input = flow.steps[st]!.input;
    return String((input?.type === 'choice' ? input.options.findIndex((o) => o.id === id) : -1) + 1);
  };
  const yn = (b: boolean) => (b ? 'ya' : 'tidak');
  const messages = (p: Profile, invalidAge: boolean): string[] => {
    const out = ['/start', '1', yn(p.citizen), ...(invalidAge ? ['dua puluhan'] : []), String(p.age)];
    out.push(option('education', p.studying ? 'studying' : 'not_studying'), option('occupation', p.occupation));
    if (p.occupation === 'none') out.push(option('otherRole', p.otherRole));
    out.push(yn(p.kkOthers > 0), ...(p.kkOthers > 0 ? [String(p.kkOthers)] : []), option('previous', p.previousRecipient ? 'recipient' : 'never'));
    out.push(option('residence', p.abroad ? 'abroad' : 'indonesia'), ...(p.abroad ? [] : [yn(p.returningMigrant)]));
    return out;
  };
  const rand = rng(7);
  const inbound = Array.from({ length: 1000 }, (_, i) =>
    messages(makeProfile(i, rand), i % 5 === 4).map(
      (text, k): Inbound => ({ channel: 'telegram', chatId: String(i), userId: String(i), messageId: `w${k}`, event: text === '/start' ? { type: 'start' } : { type: 'text', text } }),
    ),
  );
  const count = inbound.reduce((k, m) => k + m.length, 0);
  const batches: number[] = [];
  for (let b = 0; b < 8; b++) {
    const start = process.cpuUsage();
    for (const conversation of inbound) {
      let at: Session | null = null;
      for (const m of conversation) at = step(engine, at, m, 1_750_000_000_000).session;
    }
    const used = process.cpuUsage(start);
    if (b > 0) batches.push((used.user + used.system) / count);
  }
  batches.sort((a, b) => a - b);
  process.stdout.write(`${`step: workload A's ${count} messages, µs CPU per message`.padEnd(58)} ${batches[3]!.toFixed(2).padStart(8)} µs\n`);
}
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

/** The µs of CPU (user + system) per call of each variant: medians of `rounds`, the variants interleaved in a rotating order. */
async function compareCpu(title: string, n: number, rounds: number, variants: Record<string, (i: number) => unknown>, between?: () => Promise<void>): Promise<Record<string, number>> {
  const names = Object.keys(variants);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  for (let r = -1; r < rounds; r++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(j + Math.max(r, 0)) % names.length]!;
      const f = variants[name]!;
      const start = process.cpuUsage();
      for (let i = 0; i < n; i++) {
        const p = f(i);
        if (p instanceof Promise) await p;
      }
      const used = process.cpuUsage(start);
      if (r >= 0) samples[name]!.push((used.user + used.system) / n); // round -1 warms up
    }
    await between?.();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const result = Object.fromEntries(names.map((k) => [k, median(samples[k]!)]));
  process.stdout.write(`${title} (${rounds} rounds of ${n}, median µs CPU per call; min-max)\n`);
  for (const k of names) {
    const xs = samples[k]!;
    process.stdout.write(`  ${k.padEnd(56)} ${result[k]!.toFixed(3).padStart(8)}   ${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)}\n`);
  }
  return result;
}

/**
 * The metrics' per-message paths as workload A drives them, against the same calls on
 * test/support/metrics-direct.ts (each event straight into prom-client, and the active chats
 * kept in order by a Map delete+set). A thousand Telegram chats in turn; each message builds its
 * Inbound and chat id string as the channel does, which the "no metrics" variant measures alone.
 * Latencies spread over the buckets workload A fills (0.05 to 80 ms). Both registries are read
 * between rounds, as a scraper would, so the counts kept between scrapes are flushed.
 */
async function metricsCases(): Promise<void> {
  const chats = 1000;
  const latencies = Array.from({ length: 4096 }, (_, i) => 0.05 * Math.pow(1600, ((i * 2654435761) % 4096) / 4096));
  const inbound = (i: number): Inbound => ({ channel: 'telegram', chatId: String(100_000 + (i % chats)), userId: 'u', messageId: 'm', event: { type: 'text', text: 'x' } });
  const fast = createMetrics({ defaultMetrics: false });
  const direct = new DirectMetrics({ defaultMetrics: false });
  const fastHandled = fast.runtimeHooks().handled;
  const directHandled = direct.runtimeHooks().handled;
  let sink = 0;
  const none = (m: Inbound, ms: number) => {
    sink += ms + m.chatId.length;
  };
  const scrape = async () => {
    sink += (await fast.registry.metrics()).length + (await direct.registry.metrics()).length;
  };
  const rounds = Number(process.env.ROUNDS ?? 15);
  const handled = await compareCpu(
    'Metrics.handled: one message of workload A (Telegram, ok, text)',
    200_000,
    rounds,
    {
      'no metrics (building the Inbound)': (i) => none(inbound(i), latencies[i & 4095]!),
      'before: prom-client direct, Map delete+set': (i) => directHandled(inbound(i), latencies[i & 4095]!, 'ok'),
      'after: counted between scrapes, Map set in place': (i) => fastHandled(inbound(i), latencies[i & 4095]!, 'ok'),
    },
    scrape,
  );
  const base = handled['no metrics (building the Inbound)']!;
  const before = handled['before: prom-client direct, Map delete+set']! - base;
  const after = handled['after: counted between scrapes, Map set in place']! - base;
  process.stdout.write(`  metrics alone: before ${before.toFixed(3)} µs, after ${after.toFixed(3)} µs per message (${(before / after).toFixed(1)}x)\n`);

  type Call = (method: string, payload: unknown) => Promise<{ ok: boolean }>;
  type Transform = (prev: Call, method: string, payload: unknown) => Promise<{ ok: boolean }>;
  const ok: Call = async () => ({ ok: true });
  const plain: Transform = async (prev, method, payload) => prev(method, payload);
  const fastOut = fast.telegramTransformer(-100) as unknown as Transform;
  const directOut = direct.telegramTransformer(-100) as unknown as Transform;
  const out = await compareCpu(
    'telegramTransformer: one sendMessage accepted by Telegram',
    200_000,
    rounds,
    {
      'a transformer that only passes the call on': (i) => plain(ok, 'sendMessage', { chat_id: i % chats }),
      'before: prom-client direct': (i) => directOut(ok, 'sendMessage', { chat_id: i % chats }),
      'after: counted between scrapes': (i) => fastOut(ok, 'sendMessage', { chat_id: i % chats }),
    },
    scrape,
  );
  const outBase = out['a transformer that only passes the call on']!;
  process.stdout.write(`  counting alone: before ${(out['before: prom-client direct']! - outBase).toFixed(3)} µs, after ${(out['after: counted between scrapes']! - outBase).toFixed(3)} µs per message\n`);

  await compareCpu('GET /metrics text, 1000 chats active (scrape)', 200, rounds, {
    before: () => direct.registry.metrics(),
    after: () => fast.registry.metrics(),
  });
  if (sink === 0) process.stdout.write('\n');
}
