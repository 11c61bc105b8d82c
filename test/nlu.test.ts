// src/nlu: normalisation of informal Indonesian, the stemmer, the matcher's decisions, and the
// consistency of its data (examples, routes, FAQ texts, sources).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { RoutesSchema } from '../src/core/flow-schema.ts';
import { hasKey, readLocales } from '../src/core/i18n.ts';
import { LANGS, type Lang } from '../src/core/types.ts';
import { loadNluData, type NluData } from '../src/nlu/data.ts';
import { createUnderstander } from '../src/nlu/index.ts';
import { normalize, repairStretched, type Lexicon } from '../src/nlu/normalize.ts';
import { informalAlternatives, stem } from '../src/nlu/stem.ts';
import { loadEvalSet } from './nlu/evaluate.ts';

let data: NluData;
let lex: Lexicon;
let nlu: ReturnType<typeof createUnderstander>;
beforeAll(() => {
  data = loadNluData('locales');
  lex = data.lexicon;
  nlu = createUnderstander({ localesDir: 'locales' });
});

describe('normalize', () => {
  it('lowercases and drops punctuation, emoji and invisible marks', () => {
    expect(normalize('Halo\u200b MIN!!! 🙏🙏 Apa kabar??')).toBe('halo min apa kabar');
    expect(normalize('\u202eotp\u202c ga masuk 😭😭😭')).toBe('otp ga masuk');
    expect(normalize('👍')).toBe('');
    expect(normalize('   ')).toBe('');
  });

  it('expands doubled words written with a 2 and splits letters from digits', () => {
    expect(normalize('kedip2 terus')).toBe('kedip kedip terus');
    expect(normalize('hati2 ya')).toBe('hati hati ya');
    expect(normalize('gel48 tgl20')).toBe('gel 48 tgl 20');
    expect(normalize('umur 25')).toBe('umur 25');
  });

  it('repairs stretched letters but keeps legitimate doubles', () => {
    const known = new Set(['banget', 'tolong', 'kak', 'sudah', 'kk', 'maaf', 'saat', 'ya', 'good']);
    expect(repairStretched('bangettt', known)).toBe('banget');
    expect(repairStretched('tolonggg', known)).toBe('tolong');
    expect(repairStretched('kakk', known)).toBe('kak');
    expect(repairStretched('yaaa', known)).toBe('ya');
    expect(repairStretched('sudah', known)).toBe('sudah');
    expect(repairStretched('kk', known)).toBe('kk');
    expect(repairStretched('maaf', known)).toBe('maaf');
    expect(repairStretched('saat', known)).toBe('saat');
    expect(repairStretched('goooood', known)).toBe('good');
    // Unknown words: runs of three or more become one letter; doubles stay.
    expect(repairStretched('mantappp', known)).toBe('mantap');
    expect(repairStretched('tunggu', known)).toBe('tunggu');
  });

  it('expands slang and abbreviations from the data files', () => {
    expect(normalize('sy udh lolos tp saldo blm masuk', lex)).toBe('saya sudah lolos tapi saldo belum masuk');
    expect(normalize('kpn gelombang dibuka min?', lex)).toBe('kapan gelombang dibuka admin');
    expect(normalize('gmn cr daftar', lex)).toBe('bagaimana cara daftar');
    expect(normalize('brp lama bs cair? pdhl udh rating', lex)).toBe('berapa lama bisa cair padahal sudah rating');
    expect(normalize('gk/ga/gak/nggak', lex)).toBe('tidak tidak tidak tidak');
    expect(normalize('yg dgn utk krn dr sm jg lg aja kak dll', lex)).toBe('yang dengan untuk karena dari sama juga lagi saja kak dan lain lain');
    expect(normalize('udahhh bangettt gimanaaa', lex)).toBe('sudah banget bagaimana');
    expect(normalize('no hp sy ilang', lex)).toBe('nomor hp saya hilang');
    expect(normalize('e-KTP', lex)).toBe('ktp');
    expect(normalize('insentip intensif incentive', lex)).toBe('insentif insentif insentif');
  });

  it('keeps "kk" (Kartu Keluarga) and maps regional words', () => {
    expect(normalize('1 KK boleh brp org', lex)).toBe('1 kk boleh berapa orang');
    expect(normalize('piye carane daftar', lex)).toBe('bagaimana cara daftar');
    expect(normalize('otp ne ora teko', lex)).toBe('otp tidak datang');
  });

  it('maps mixed English onto the same words', () => {
    expect(normalize("I can't login, forgot my password", lex)).toBe('i can not login lupa my password');
    expect(normalize('when does the next wave open', lex)).toBe('kapan does the berikutnya gelombang dibuka');
    expect(normalize('phone number not active', lex)).toBe('nomor hp tidak aktif');
  });
});

describe('stem', () => {
  it('brings derived forms to one root', () => {
    for (const w of ['pendaftaran', 'mendaftar', 'terdaftar', 'daftarkan', 'didaftarkan']) expect(stem(w)).toBe('daftar');
    expect(stem('pembatalan')).toBe('batal');
    expect(stem('dibatalkan')).toBe('batal');
    expect(stem('kecurangan')).toBe('curang');
    expect(stem('diblokir')).toBe('blokir');
    expect(stem('terblokir')).toBe('blokir');
    expect(stem('tertahan')).toBe('tahan');
    expect(stem('ditahan')).toBe('tahan');
    expect(stem('pencairan')).toBe('cair');
    expect(stem('bekerja')).toBe('kerja');
    expect(stem('insentifnya')).toBe('insentif');
  });

  it('leaves words that only look affixed', () => {
    for (const w of ['masalah', 'sekolah', 'berapa', 'bulan', 'kerja', 'status', 'dinas']) expect(stem(w)).toBe(w);
  });

  it('uses known words to undo nasal sound changes', () => {
    const known = new Set(['tipu', 'kirim', 'masuk']);
    expect(stem('penipuan', known)).toBe('tipu');
    expect(stem('mengirim', known)).toBe('kirim');
    expect(stem('memasukkan', known)).toBe('masuk');
  });

  it('offers informal roots (Jakarta -in, ng-/ny- prefixes)', () => {
    expect(informalAlternatives('batalin')).toContain('batal');
    expect(informalAlternatives('nyambung')).toContain('sambung');
    expect(informalAlternatives('ngecek')).toContain('cek');
    expect(informalAlternatives('nanya')).toContain('tanya');
    expect(informalAlternatives('prakerjaku')).toContain('prakerja');
  });
});

describe('understand', () => {
  const id = (t: string) => nlu.understand(t, 'id');

  it('returns none for plain answers to a question, so the step hint shows', () => {
    for (const t of ['1', '25', 'dua puluh', 'ya', 'tidak', 'iya kak', 'belum', 'sudah', '17 agustus 1990', '17-08-1990', 'umur saya 25 tahun', '2x', 'yes', 'no', 'twenty five', 'laki laki', '']) {
      expect(id(t), t).toEqual({ kind: 'none' });
    }
  });

  it('returns none for text with nothing to do with the programme', () => {
    for (const t of ['asdfghjkl', 'wkwkwk', '🙏🙏🙏', '???']) expect(id(t), t).toEqual({ kind: 'none' });
  });

  it('matches the design document examples', () => {
    expect(id('gmn cr daftar')).toEqual({ kind: 'match', intent: 'registration' });
    expect(id('kpn gelombang brkt')).toEqual({ kind: 'match', intent: 'faq.next_wave' });
    const u = id('sy udh lolos tp saldo blm masuk');
    expect(u.kind === 'match' ? [u.intent] : u.kind === 'unsure' ? u.candidates : []).toContain('incentive');
  });

  it('understands the keywords the FAQ answers tell people to type', () => {
    const typed: Record<Lang, [string, string][]> = {
      id: [['insentif', 'incentive'], ['tips pelatihan', 'courses'], ['nomor kartu', 'faq.card_number'], ['sambungkan rekening', 'faq.connect_account'], ['tidak lolos', 'problem.not_passed']],
      en: [['incentive', 'incentive'], ['training tips', 'courses'], ['card number', 'faq.card_number'], ['connect account', 'faq.connect_account'], ['not passed', 'problem.not_passed']],
    };
    for (const lang of LANGS) for (const [t, intent] of typed[lang]) expect(nlu.understand(t, lang), `${lang}: ${t}`).toEqual({ kind: 'match', intent });
  });

  it('prefers the real question over a greeting in the same message', () => {
    expect(id('halo min')).toEqual({ kind: 'match', intent: 'greeting' });
    expect(id('halo min, kapan gelombang dibuka?')).toEqual({ kind: 'match', intent: 'faq.next_wave' });
    expect(id('makasih kak')).toEqual({ kind: 'match', intent: 'thanks' });
  });

  it('offers two or three guesses when it is a close call', () => {
    const u = id('otp');
    expect(u.kind).toBe('unsure');
    if (u.kind === 'unsure') {
      expect(u.candidates.length).toBeGreaterThanOrEqual(2);
      expect(u.candidates.length).toBeLessThanOrEqual(3);
      expect(u.candidates).toContain('problem.otp');
    }
  });

  it('is deterministic', () => {
    const msgs = loadEvalSet().map((e) => e.text);
    const a = msgs.map((m) => JSON.stringify(id(m)));
    const other = createUnderstander({ localesDir: 'locales' });
    expect(msgs.map((m) => JSON.stringify(other.understand(m, 'id')))).toEqual(a);
  });

  it('is fast enough to run on every invalid answer (time is logged, not asserted)', () => {
    const msgs = [...loadEvalSet().map((e) => e.text), 'dua puluh', '25', 'ya'];
    for (const m of msgs) id(m); // warm up
    const rounds = 5;
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) for (const m of msgs) id(m);
    const perCall = (performance.now() - t0) / (rounds * msgs.length);
    const t1 = performance.now();
    for (let r = 0; r < 2000; r++) id('dua puluh');
    const answerCall = (performance.now() - t1) / 2000;
    console.log(`nlu: ${(perCall * 1000).toFixed(0)} µs per call on the evaluation messages (~${Math.round(1000 / perCall)} calls/s); ${(answerCall * 1000).toFixed(1)} µs for a plain answer ("dua puluh")`);
    expect(perCall).toBeGreaterThan(0);
  });
});

describe('NLU data', () => {
  const routes = () => {
    const merged: Record<string, { label: string; answer?: string; go?: unknown }> = {};
    for (const f of ['flows/_routes.yaml', 'flows/_routes.faq.yaml']) {
      const r = RoutesSchema.parse(parse(readFileSync(f, 'utf8')) ?? {});
      Object.assign(merged, r.intents);
    }
    return merged;
  };

  it('has at least 40 FAQ entries, each with examples in both languages and a source', () => {
    const faq = Object.keys(RoutesSchema.parse(parse(readFileSync('flows/_routes.faq.yaml', 'utf8'))).intents).filter((i) => i.startsWith('faq.'));
    expect(faq.length).toBeGreaterThanOrEqual(40);
    for (const intent of faq) {
      for (const lang of LANGS) expect(data.examples.some((e) => e.intent === intent && e.lang === lang), `${intent} has ${lang} examples`).toBe(true);
      expect(data.sources.get(intent), `${intent} has a source`).toMatch(/^(\[[A-Z0-9.-]+\])+$/);
    }
  });

  it('cites only source keys that shared/prakerja.md lists', () => {
    let doc = '';
    try {
      doc = readFileSync('../shared/prakerja.md', 'utf8');
    } catch {
      return; // shared/ is beside the repository in CI and on developer machines
    }
    for (const [intent, src] of data.sources) {
      for (const key of src.match(/\[[^\]]+\]/g) ?? []) expect(doc.includes(key.replace(/-(II|III|IV)\]$/, ']')) || doc.includes(key), `${intent}: ${key}`).toBe(true);
    }
  });

  it('has texts in every language for every FAQ and small-talk route, with short labels', () => {
    const res = readLocales('locales');
    const r = RoutesSchema.parse(parse(readFileSync('flows/_routes.faq.yaml', 'utf8')));
    for (const [name, route] of Object.entries(r.intents)) {
      for (const lang of LANGS) {
        expect(hasKey(res[lang], route.label), `${name} label in ${lang}`).toBe(true);
        if ('answer' in route) expect(hasKey(res[lang], route.answer), `${name} answer in ${lang}`).toBe(true);
        const label = route.label.split('.').reduce<unknown>((n, k) => (n as Record<string, unknown>)[k], res[lang]) as string;
        expect(label.length, `${name} label in ${lang}: "${label}"`).toBeLessThanOrEqual(30);
      }
    }
  });

  it('gives examples only for intents that are routed, and examples for every routed intent', () => {
    const routed = routes();
    const withExamples = new Set(data.examples.map((e) => e.intent));
    for (const intent of withExamples) expect(routed[intent], `${intent} is routed in flows/_routes*.yaml`).toBeDefined();
    for (const intent of Object.keys(routed)) expect(withExamples.has(intent), `${intent} has examples`).toBe(true);
  });

  it('keeps the evaluation set apart from the examples', () => {
    const examples = new Set(data.examples.map((e) => normalize(e.text, lex)));
    const clashes = loadEvalSet().filter((e) => examples.has(normalize(e.text, lex)));
    expect(clashes.map((c) => c.text)).toEqual([]);
  });
});
