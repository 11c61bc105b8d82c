// Fuzzing the pure core: at every step of every flow (reached by setting the session's `at`
// directly), generated inputs of every kind go through `step` — very long texts, zero-width and
// right-to-left characters, emoji, null bytes, Markdown and HTML injection, huge numbers, impossible
// dates, button presses with stale or forged ids, media, contacts, effect results of any shape.
// Nothing may throw; every reply must be well-formed (ReplySchema: non-empty text...), and every
// session that comes out must be valid against SessionSchema (and survive a store round-trip).
//
// The pure `step` keeps this fast: at least 12,000 inputs in a few seconds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newSession, step } from '../src/core/step.ts';
import { ReplySchema, SessionSchema, type Answer, type Inbound, type InboundEvent, type Pending, type Session } from '../src/core/types.ts';
import { decodeSession, encodeSession } from '../src/store/session-store.ts';
import { repoEngine } from './support/app.ts';

const engine = repoEngine();
const NOW = Date.UTC(2024, 5, 15, 3, 0, 0);
const TOTAL_RUNS = 12_000;

// ---- the places ------------------------------------------------------------------------------------

const places: { flow: string; step: string }[] = [];
const saveNames = new Set<string>();
for (const [flowId, flow] of engine.flows) {
  for (const [stepId, st] of Object.entries(flow.steps)) {
    places.push({ flow: flowId, step: stepId });
    if (st.save) saveNames.add(st.save);
  }
}
const optionIds = [...new Set([...engine.flows.values()].flatMap((f) => Object.values(f.steps).flatMap((s) => (s.input?.type === 'choice' ? s.input.options.map((o) => o.id) : []))))];
const intents = Object.keys(engine.routes.intents);
const deeplinks = Object.keys(engine.routes.deeplinks);

// ---- nasty texts ---------------------------------------------------------------------------------------

const ZERO_WIDTH_RTL = ['\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\ufeff', '\u2060', '\u00ad', '\u061c'];
const EMOJI = ['😀', '👍🏽', '🇮🇩', '👨‍👩‍👧‍👦', '🧳', '❤️', '🤷‍♀️', '🙏', '\ud83d', '\udc4d'];
const INJECTION = [
  '<b>', '</b>', '<i>x</i>', '<script>alert(1)</script>', '<a href="javascript:x">x</a>', '&amp;', '&lt;', '&#x27;', '&',
  '*', '**', '*bold*', '_x_', '__', '`code`', '```', '[a](http://x.y)', '~x~', '||spoiler||', '>', '\\', '{{name}}', '{{nik}}', '$t(common.menu)',
  '%s', '${x}', '\n\n', '\r\n', '\t', '\u0000', '\u0007', '\u001b[31m',
];
const NUMBERS = [
  '0', '-1', '-0', '25', '17', '65', '120', '121', '1e309', '1e3', '0x1A', '25.5', '25,5', '٢٥', '２５', 'NaN', 'Infinity', '99999999999999999999999999',
  String(Number.MAX_SAFE_INTEGER), String(2 ** 64), '3171234567890123', '317123456789012', '31712345678901234', '0000000000000000', '3171230102000001',
];
const DATES = ['31-02-2000', '29/02/2001', '29-02-2000', '00-00-0000', '2000-13-45', '31 Februari 2000', '32/01/1999', '01-01-1899', '01-01-2200', '15 Agustus 1945', '1/1/00', '31/12/99', '2000-02-30'];
const WORDS = [
  'ya', 'tidak', 'iya', 'gak', 'y', 'n', '1', '2', '3', '8', '9', '12', 'menu', 'kembali', 'ulang', 'bantuan', 'bahasa', 'english', 'indonesia', 'petugas',
  'hapus data saya', '/start', '/start pmi', '/menu', '/hapusdata', 'dua puluh', 'umur saya 25', 'gmn cr daftar', 'sy udh lolos tp saldo blm masuk', 'kpn gelombang brkt',
  'cek status', 'insentif', 'syarat', 'daftar', 'pelatihan', 'faq', 'halo', 'apa', '?', '...', '', ' ', '   \n  ',
];

const piece = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 2, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 2, arbitrary: fc.constantFrom(...DATES) },
  { weight: 2, arbitrary: fc.constantFrom(...INJECTION) },
  { weight: 2, arbitrary: fc.constantFrom(...ZERO_WIDTH_RTL) },
  { weight: 2, arbitrary: fc.constantFrom(...EMOJI) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.bigInt().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
);

const text = fc.oneof(
  { weight: 6, arbitrary: fc.array(piece, { minLength: 1, maxLength: 6 }).map((xs) => xs.join(' ')) },
  { weight: 3, arbitrary: fc.array(piece, { minLength: 1, maxLength: 4 }).map((xs) => xs.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  // very long texts: repeated pieces and raw long strings
  { weight: 1, arbitrary: fc.tuple(piece, fc.integer({ min: 200, max: 2_000 })).map(([p, n]) => `${p} `.repeat(n).slice(0, 10_000)) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 500, maxLength: 2_000 }) },
);

// ---- events, sessions ----------------------------------------------------------------------------------

const event: fc.Arbitrary<InboundEvent> = fc.oneof(
  { weight: 10, arbitrary: text.map((t) => ({ type: 'text' as const, text: t })) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('choice' as const),
      ask: fc.oneof(fc.integer({ min: -3, max: 12 }), fc.constant(Number.MAX_SAFE_INTEGER)),
      id: fc.oneof(fc.constantFrom(...optionIds, 'yes', 'no', 'id', 'en', ...intents, '#0', '#1', '#99', '#-1', ''), fc.string({ maxLength: 20 })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.option(fc.oneof(fc.constantFrom(...deeplinks, 'pmi', ''), text), { nil: undefined }).map((payload) =>
      payload === undefined ? { type: 'start' as const } : { type: 'start' as const, payload },
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('photo', 'sticker', 'voice', 'audio', 'video', 'document', 'location', 'contact', 'other').map((kind) => ({ type: 'media' as const, kind })) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('contact' as const), phone: fc.oneof(fc.constantFrom('+6281234567890', '081234567890', '', '+1'), text), own: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('effect' as const), name: fc.oneof(fc.constantFrom('statusLookup', 'lookup', ''), fc.string({ maxLength: 10 })), result: fc.jsonValue({ maxDepth: 3 }) }) },
);

const answer: fc.Arbitrary<Answer> = fc.oneof(
  fc.boolean(),
  fc.integer({ min: -5, max: 200 }),
  fc.constantFrom(...optionIds, 'none', 'yes', '3171234567890123', '2000-02-29', '1990-05-17'),
  fc.string({ maxLength: 20 }),
);

const pending: fc.Arbitrary<Pending | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant({ kind: 'language' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'confirmDelete' as const }) },
  {
    weight: 1,
    arbitrary: fc
      .array(intents.length ? fc.constantFrom(...intents) : fc.constant('x'), { minLength: 1, maxLength: 3 })
      .map((options) => ({ kind: 'clarify' as const, options })),
  },
);

function sessionArb(place: { flow: string; step: string }): fc.Arbitrary<Session | null> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    {
      weight: 9,
      arbitrary: fc
        .record({
          lang: fc.constantFrom('id' as const, 'en' as const),
          answers: fc.oneof(fc.constant({}), fc.dictionary(fc.constantFrom(...saveNames, 'x'), answer, { maxKeys: 6 })),
          ask: fc.nat({ max: 50 }),
          pending,
          ret: fc.option(fc.constantFrom(...places), { nil: undefined }),
          rets: fc.array(fc.constantFrom(...places), { maxLength: 3 }),
          hist: fc.array(fc.constantFrom(...places), { maxLength: 4 }),
          seen: fc.array(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 8 }),
        })
        .map((r) => {
          const s: Session = { ...newSession(engine, NOW - 60_000), lang: r.lang, at: place, answers: r.answers, ask: r.ask, hist: r.hist, seen: r.seen };
          if (r.pending) s.pending = r.pending;
          if (r.ret) s.ret = r.ret;
          if (r.ret && r.rets.length) s.rets = r.rets;
          return s;
        }),
    },
  );
}

function inbound(ev: InboundEvent, messageId: string | undefined): Inbound {
  return { channel: 'telegram', chatId: '42', userId: '42', messageId, langHint: 'id', event: ev };
}

function check(prev: Session | null, ev: InboundEvent, messageId: string | undefined): void {
  const res = step(engine, prev, inbound(ev, messageId), NOW);
  for (const r of res.replies) {
    const ok = ReplySchema.safeParse(r);
    if (!ok.success) throw new Error(`bad reply ${JSON.stringify(r).slice(0, 300)}: ${ok.error.message}`);
    if (r.text.trim() === '') throw new Error(`blank reply text ${JSON.stringify(r.text)}`);
    if (r.choices) for (const c of r.choices) if (c.label.trim() === '' || c.id === '') throw new Error(`bad choice ${JSON.stringify(c)}`);
  }
  // Every message of the user gets a reply or starts an effect. Effect results are exempt: one
  // the waiting action has nothing to say about, or a stray one, is dropped silently.
  if (!res.duplicate && ev.type !== 'effect' && res.replies.length === 0 && res.effects.length === 0) {
    throw new Error('a handled message got no reply and asked for no effect');
  }
  // A stray effect (at a step with no action waiting) changes nothing.
  if (ev.type === 'effect' && prev && !engine.flows.get(prev.at.flow)?.steps[prev.at.step]?.action) {
    if (res.replies.length || res.effects.length || res.session !== prev) throw new Error('a stray effect result was not dropped silently');
  }
  const valid = SessionSchema.safeParse(res.session);
  if (!valid.success) throw new Error(`invalid session ${JSON.stringify(res.session).slice(0, 400)}: ${valid.error.message}`);
  // What a store would keep must come back as the same session.
  const back = decodeSession(encodeSession(res.session));
  if (back.status !== 'ok') throw new Error(`session does not survive a store round-trip: ${back.status}`);
  if (!engine.flows.get(res.session.at.flow)?.steps[res.session.at.step]) throw new Error(`session left at an unknown place ${JSON.stringify(res.session.at)}`);
}

describe('fuzzing step at every step of every flow', () => {
  it(`flows are loaded (${places.length} steps in ${engine.flows.size} flows)`, () => {
    expect(engine.flows.size).toBeGreaterThanOrEqual(2);
    expect(places.length).toBeGreaterThan(5);
  });

  it(`${TOTAL_RUNS}+ generated inputs: no throw, well-formed replies, valid sessions`, () => {
    const perStep = Math.max(60, Math.ceil(TOTAL_RUNS / places.length));
    let runs = 0;
    for (const place of places) {
      fc.assert(
        fc.property(sessionArb(place), event, fc.option(fc.string({ minLength: 1, maxLength: 6 }), { nil: undefined }), (prev, ev, messageId) => {
          runs++;
          check(prev, ev, messageId);
        }),
        { numRuns: perStep, seed: 0x5eed ^ places.indexOf(place), endOnFailure: true },
      );
    }
    expect(runs).toBeGreaterThanOrEqual(TOTAL_RUNS);
  }, 60_000);
});
