// The pure core's fast paths (CPU per message, workload A) against what they replaced: each
// result must be exactly the one the straightforward computation gives.
import { distance } from 'fastest-levenshtein';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createI18next, createTranslate, readLocales, type Resources } from '../src/core/i18n.ts';
import { matchOption, normalizeAnswer, parseInteger, parseNumberWords, type OptionCandidate, type ParseResult } from '../src/core/inputs.ts';
import { newSession, step } from '../src/core/step.ts';
import { LANGS, type Inbound, type InboundEvent, type Lang, type Session } from '../src/core/types.ts';
import { repoEngine } from './support/app.ts';

// ---- normalizeAnswer: the shortcut for text already in normal form ---------------------------------

/** normalizeAnswer as it was: every text through NFKC and the four replacements. */
function normalizeSlow(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u0000]/g, '')
    .toLowerCase()
    .replace(/[!?.,;:"'`~()[\]{}*_]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const typed = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'aZ09 yaTIDAKdua puluh\t\n.,!?_*()\u200b\u00a0\ufeffＡ１ﬁİ'.split('')), maxLength: 16 }),
  fc.string({ maxLength: 16 }),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.constantFrom('2', 'ya', 'Ya', 'TIDAK', '30', 'dua puluhan', ' 2', '2 ', 'dua  puluh', 'a b', 'A', ''),
);

describe('normalizeAnswer', () => {
  it('gives what the full normalization gives, for any text', () => {
    fc.assert(
      fc.property(typed, (t) => {
        expect(normalizeAnswer(t)).toBe(normalizeSlow(t));
      }),
      { numRuns: 5000 },
    );
  });
});

// ---- parseInteger: plain digits read directly ---------------------------------------------------------

const NUMBER_FILLER = /\b(umur|usia|saya|sy|aku|tahun|thn|th|years?|yrs?|old|yo|age|i'?m|am|sekitar|kira kira|kira2|orang|org)\b/g;

/** parseInteger as it was: every text through the replacements. */
function parseIntegerSlow(text: string, min: number, max: number): ParseResult {
  if (/\d[.,]\d/.test(text)) return { ok: false, reason: 'format' };
  const t = normalizeSlow(text).replace(/(\d)([a-z])/g, '$1 $2').replace(NUMBER_FILLER, ' ').trim();
  if (t === '') return { ok: false, reason: normalizeSlow(text) === '' ? 'empty' : 'format' };
  const n = /^\d{1,6}$/.test(t) ? Number.parseInt(t, 10) : parseNumberWords(t);
  if (n === null) return { ok: false, reason: 'format' };
  if (n < min || n > max) return { ok: false, reason: 'range' };
  return { ok: true, value: n };
}

describe('parseInteger', () => {
  it('reads what the full parse reads, for digits and anything else', () => {
    const text = fc.oneof(
      fc.stringMatching(/^\d{0,8}$/),
      fc.string({ unit: fc.constantFrom(...'0123456789 .,-+e٢５'.split('')), maxLength: 8 }),
      fc.constantFrom('30', '007', '000000', '1000000', '30 tahun', 'umur 25', 'dua puluh', 'dua puluhan', ' 30', '30\n', '１２', '25.5'),
      typed,
    );
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 200 }), (t, min, max) => {
        expect(parseInteger(t, min, max)).toEqual(parseIntegerSlow(t, min, max));
      }),
      { numRuns: 5000 },
    );
  });
});

// ---- matchOption: normalized names kept for frozen option lists -----------------------------------------

/** matchOption as it was: every name normalized on every call. */
function matchSlow(text: string, options: OptionCandidate[]): string | null {
  const t = normalizeSlow(text);
  if (t === '') return null;
  const num = t.match(/^(?:no |nomor |nomer |pilih |angka )?(\d{1,2})$/);
  if (num) return options[Number(num[1]) - 1]?.id ?? null;
  const exact = options.filter((o) => o.id === t || o.names.some((n) => normalizeSlow(n) === t));
  if (exact.length === 1) return exact[0]!.id;
  if (t.length >= 4) {
    const partial = options.filter((o) => o.names.some((n) => normalizeSlow(n).includes(t)));
    if (partial.length === 1) return partial[0]!.id;
  }
  let best: { id: string; d: number } | null = null;
  let tie = false;
  for (const o of options) {
    for (const raw of o.names) {
      const n = normalizeSlow(raw);
      if (n.length < 3) continue;
      const allowed = Math.max(1, Math.floor(n.length / 4));
      if (Math.abs(t.length - n.length) > allowed) continue;
      const d = distance(t, n);
      if (d > allowed) continue;
      if (!best || d < best.d) {
        best = { id: o.id, d };
        tie = false;
      } else if (d === best.d && best.id !== o.id) tie = true;
    }
  }
  return best && !tie ? best.id : null;
}

const words = ['Masih sekolah', 'kuliah', 'Tidak', 'tidak ada', 'Bukan!', 'PNS', 'pegawai BUMN', 'honorer', 'ya', 'Luar negeri', 'indonesia', 'none', 'no', '1', '12'];
const optionList = fc.array(
  fc.record({ id: fc.constantFrom('a', 'b', 'tidak', 'none', 'x'), names: fc.array(fc.constantFrom(...words), { maxLength: 4 }) }),
  { minLength: 1, maxLength: 5 },
);
const answerText = fc.oneof(fc.constantFrom(...words, 'tidk', 'pegawai', 'sekolah', 'luar negri', 'nomor 2', '3', 'BUKAN', ' ya '), typed);

describe('matchOption', () => {
  it('picks what the full comparison picks, for frozen (kept) and plain option lists, again and again', () => {
    fc.assert(
      fc.property(optionList, fc.array(answerText, { minLength: 1, maxLength: 4 }), (options, texts) => {
        const frozen = Object.freeze(options.map((o) => Object.freeze({ id: o.id, names: Object.freeze([...o.names]) })));
        for (const text of texts) {
          const want = matchSlow(text, options);
          expect(matchOption(text, options)).toBe(want);
          expect(matchOption(text, frozen)).toBe(want);
          expect(matchOption(text, frozen)).toBe(want);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

// ---- texts with parameters: filled in without i18next where i18next would only fill them in ----------

function plainFixed(resources: Resources): Record<Lang, (key: string, params: object) => string> {
  const inst = createI18next(resources);
  return Object.fromEntries(LANGS.map((l) => [l, inst.getFixedT(l)])) as Record<Lang, (key: string, params: object) => string>;
}

/** The text, or the error thrown (i18next throws on some option values, e.g. a number as `lng`). */
function outcome(f: () => string): string {
  try {
    return `text ${f()}`;
  } catch (err) {
    return `error ${(err as Error).name}: ${(err as Error).message}`;
  }
}

function keysOf(node: unknown, path = ''): string[] {
  if (typeof node === 'string') return [path];
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) => keysOf(v, path ? `${path}.${k}` : k));
}

const nasty = fc.constantFrom('{{min}}', '$t(common.yes)', '$t(t.plain)', '}}', '{{', '{{-a}}', 'a\nb', '', ' ', '<b>', '*x*', '%s', 'Rp1.000', '$t(');
const paramValue = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(fc.string({ maxLength: 8 }), nasty) },
  { weight: 3, arbitrary: fc.oneof(fc.integer({ min: -3, max: 200 }), fc.constantFrom(-0, 0.5, 1e21, Number.NaN, Infinity, 1)) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, {}, [1, 2], { a: 1 }) },
);

/** Parameter sets: mostly exactly a text's placeholders, sometimes fewer or more, or an i18next option. */
function paramsFor(names: string[]): fc.Arbitrary<Record<string, unknown>> {
  const pool = [...names, 'count', 'context', 'lng', 'ns', 'replace', 'defaultValue', 'ordinal', 'keyPrefix', 'x', 'min', 'max'];
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(...names.map(() => paramValue)).map((vs) => Object.fromEntries(names.map((n, i) => [n, vs[i]]))) },
    { weight: 2, arbitrary: fc.dictionary(fc.constantFrom(...pool), paramValue, { minKeys: 1, maxKeys: 5 }) },
  );
}

function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/{{(.+?)}}/g)].map((m) => m[1]!.trim()))];
}

describe('createTranslate: texts with parameters', () => {
  it('gives what i18next gives for every text of the repository, in both languages, with any parameters', () => {
    const resources = readLocales('locales');
    const t = createTranslate(resources);
    const fixed = plainFixed(resources);
    const keys = [...new Set([...keysOf(resources.id), ...keysOf(resources.en)])];
    const cases = fc.constantFrom(...keys).chain((key) => {
      const text = [resources.id, resources.en].map((tree) => key.split('.').reduce<unknown>((n, k) => (n as Record<string, unknown>)?.[k], tree)).join(' ');
      return fc.tuple(fc.constant(key), fc.constantFrom(...LANGS), paramsFor(placeholders(String(text))));
    });
    fc.assert(
      fc.property(cases, ([key, lang, params]) => {
        fc.pre(Object.keys(params).length > 0);
        const want = outcome(() => fixed[lang](key, params));
        expect(outcome(() => t(lang, key, params))).toBe(want);
        expect(outcome(() => t(lang, key, params))).toBe(want);
      }),
      { numRuns: 4000 },
    );
  });

  // What i18next does more than fill in placeholders: each such text must still go to i18next.
  const tricky = {
    id: {
      t: {
        plain: 'Halo {{name}}, umur {{ age }}.',
        twice: '{{a}}{{a}} dan {{b}}',
        none: 'tanpa parameter',
        plural: 'ada {{count}} orang',
        plural_other: 'ada {{count}} orang (banyak)',
        ctx: 'pilihan {{x}}',
        ctx_male: 'pilihan {{x}} (pria)',
        nested: 'lihat $t(t.plain) untuk {{name}}',
        unescaped: 'mentah {{-name}}',
        formatted: 'jumlah {{n, number}}',
        optionName: 'bahasa {{lng}} dan {{count}} dan {{context}}',
        dotted: 'nilai {{a.b}}',
        odd: '{{{x}}} {{ }} {{x}',
        newline: 'baris {{na\nme}} {{name}}',
        onlyId: 'hanya id {{name}}',
        empty: '',
        count: 'hitung {{count}}',
        proto: 'proto {{__proto__}} {{constructor}}',
      },
    },
    en: {
      t: {
        plain: 'Hello {{name}}, aged {{ age }}.',
        twice: '{{a}}{{a}} and {{b}}',
        none: 'no parameters',
        plural_one: 'one person: {{count}}',
        plural_other: '{{count}} people',
        ctx: 'choice {{x}}',
        nested: 'see $t(t.plain) for {{name}}',
        unescaped: 'raw {{-name}}',
        formatted: 'amount {{n, number}}',
        optionName: 'language {{lng}} and {{count}} and {{context}}',
        dotted: 'value {{a.b}}',
        odd: '{{{x}}} {{ }} {{x}',
        newline: 'line {{na\nme}} {{name}}',
        empty: '',
        count: 'count {{count}}',
        count_zero: 'none',
        proto: 'proto {{__proto__}} {{constructor}}',
      },
    },
  } as unknown as Resources;
  const trickyKeys = [...new Set([...keysOf(tricky.id), ...keysOf(tricky.en)]), 't.missing', 't', 'missing.deep.key'];
  const trickyParams = fc.dictionary(fc.constantFrom('name', 'age', 'a', 'b', 'count', 'x', 'context', 'n', 'lng', 'ns', 'replace', 'defaultValue', 'ordinal', 'keyPrefix', '__proto__'), paramValue, {
    minKeys: 1,
    maxKeys: 5,
  });

  it('gives what i18next gives for plural and context forms, nesting, formats, fallbacks and odd placeholders', () => {
    const t = createTranslate(tricky);
    const fixed = plainFixed(tricky);
    fc.assert(
      fc.property(fc.constantFrom(...trickyKeys), fc.constantFrom(...LANGS), trickyParams, (key, lang, params) => {
        expect(outcome(() => t(lang, key, params))).toBe(outcome(() => fixed[lang](key, params)));
      }),
      { numRuns: 4000 },
    );
  });

  it('leaves everything to i18next when a locale file has a key with a dot in it', () => {
    const dotted = { id: { t: { 'a.b': 'x {{name}}', plain: 'y {{name}}' }, 't.plain': 'z {{name}}' }, en: { t: { plain: 'w {{name}}' } } } as unknown as Resources;
    const t = createTranslate(dotted);
    const fixed = plainFixed(dotted);
    for (const lang of LANGS) for (const key of ['t.plain', 't.a.b', 'a.b']) expect(t(lang, key, { name: 'N' })).toBe(fixed[lang](key, { name: 'N' }));
  });
});

// ---- step: the session it is given stays as it was ----------------------------------------------------

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

describe('step and the session it is given', () => {
  const engine = repoEngine();
  const NOW = Date.UTC(2024, 5, 15, 3, 0, 0);
  const places = [...engine.flows].flatMap(([flow, f]) => Object.keys(f.steps).map((s) => ({ flow, step: s })));
  const saveNames = [...new Set([...engine.flows.values()].flatMap((f) => Object.values(f.steps).flatMap((s) => (s.save ? [s.save] : []))))];
  const optionIds = [...new Set([...engine.flows.values()].flatMap((f) => Object.values(f.steps).flatMap((s) => (s.input?.type === 'choice' ? s.input.options.map((o) => o.id) : []))))];
  const intents = Object.keys(engine.routes.intents);
  const texts = [
    '1', '2', '3', '8', 'ya', 'tidak', 'Ya', '30', 'dua puluh lima', 'dua puluhan', 'rahasia', '3171234567890123', '17-08-1990', 'menu', 'kembali',
    'ulang', 'bantuan', 'bahasa', 'english', 'indonesia', 'petugas', 'hapus data saya', '/start', 'kapan gelombang dibuka', 'otp gak masuk', 'halo',
    'cek status', 'x'.repeat(600), '', 'Masih sekolah', 'luar negeri', 'batal',
  ];
  const event: fc.Arbitrary<InboundEvent> = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...texts).map((text) => ({ type: 'text' as const, text })) },
    { weight: 3, arbitrary: fc.record({ type: fc.constant('choice' as const), ask: fc.integer({ min: 0, max: 12 }), id: fc.constantFrom(...optionIds, 'yes', 'no', 'id', 'en', ...intents) }) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, 'pmi').map((payload) => (payload ? { type: 'start' as const, payload } : { type: 'start' as const })) },
    { weight: 1, arbitrary: fc.constant({ type: 'media' as const, kind: 'photo' as const }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('contact' as const), phone: fc.constant('+6281234567890'), own: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('effect' as const), name: fc.constantFrom('statusLookup', 'helpdesk'), result: fc.jsonValue({ maxDepth: 2 }) }) },
  );
  const session: fc.Arbitrary<Session> = fc
    .record({
      at: fc.constantFrom(...places),
      lang: fc.constantFrom(...LANGS),
      answers: fc.dictionary(fc.constantFrom(...saveNames), fc.oneof(fc.boolean(), fc.integer({ min: 0, max: 99 }), fc.constantFrom(...optionIds, '3171234567890123')), { maxKeys: 6 }),
      hist: fc.array(fc.constantFrom(...places), { maxLength: 12 }),
      ret: fc.option(fc.constantFrom(...places), { nil: undefined }),
      rets: fc.array(fc.constantFrom(...places), { maxLength: 3 }),
      pending: fc.option(fc.constantFrom({ kind: 'language' as const }, { kind: 'confirmDelete' as const }, { kind: 'clarify' as const, options: intents.slice(0, 2) }), { nil: undefined }),
      ask: fc.nat({ max: 12 }),
      seen: fc.array(fc.string({ minLength: 1, maxLength: 3 }), { maxLength: 8 }),
      idle: fc.boolean(),
    })
    .map((r) => {
      // Plain objects, as the store's JSON gives (fc.dictionary makes them without a prototype).
      const s: Session = { ...newSession(engine, NOW - (r.idle ? 3_600_000 : 60_000)), lang: r.lang, at: r.at, answers: { ...r.answers }, hist: r.hist, ask: r.ask, seen: r.seen };
      if (r.pending) s.pending = r.pending;
      if (r.ret) s.ret = r.ret;
      if (r.ret && r.rets.length) s.rets = r.rets;
      return s;
    });

  it('never changes it, and what comes out does not depend on it being a fresh copy', () => {
    fc.assert(
      fc.property(session, fc.array(event, { minLength: 1, maxLength: 4 }), fc.option(fc.string({ minLength: 1, maxLength: 3 }), { nil: undefined }), (start, events, messageId) => {
        let prev = deepFreeze(start);
        for (const [i, ev] of events.entries()) {
          const before = structuredClone(prev);
          const input: Inbound = { channel: 'telegram', chatId: '1', userId: '1', messageId: messageId && `${messageId}${i}`, event: ev };
          const res = step(engine, prev, input, NOW + i); // a change to the frozen session throws
          expect(prev).toStrictEqual(before);
          expect(res).toStrictEqual(step(engine, structuredClone(before), input, NOW + i));
          prev = deepFreeze(res.session);
        }
      }),
      { numRuns: 3000 },
    );
  }, 60_000);
});
