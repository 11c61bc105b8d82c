// Matches a message against the examples of every intent (both languages: people mix them).
//
// MiniSearch does the retrieval: an inverted index over the examples' words (each indexed as
// written and as stemmed), BM25+ ranking, and typo-tolerant (fuzzy, edit distance) and prefix
// lookup. What it lacks, added here: a confidence that can be compared with fixed thresholds.
// BM25 scores grow with the length of the message, so the confidence is built from coverage
// instead: how much of an example (weighted by how telling each word is) the message contains,
// and how much of the message the example explains. Long complaints with the question buried
// inside still cover a short example fully; a lone common word covers little of anything.
//
// Everything is built once, in the constructor; a call allocates only for the message at hand.
import MiniSearch, { type SearchResult } from 'minisearch';
import type { Understanding } from '../core/engine.ts';
import type { Lang } from '../core/types.ts';
import type { Example, NluData } from './data.ts';
import { normalize, type Lexicon } from './normalize.ts';
import { informalAlternatives, stem } from './stem.ts';

export interface Thresholds {
  /** At or above (with a clear lead): the intent is taken. */
  match: number;
  /** At or above: offered as a guess. Below: nothing fits. */
  unsure: number;
  /** The lead over the next intent needed to take the top one without asking. */
  margin: number;
  /** Guesses offered: those within this distance of the top one. */
  spread: number;
}

/** How the confidence is computed (calibrated on the examples, leave-one-out; see test/nlu/tune.ts). */
export interface Scoring {
  /** conf = docCoverage^docExp * messageCoverage^(1 - docExp). */
  docExp: number;
  /** An unknown word in a message weighs like the word at this quantile of the known weights. */
  unknownQuantile: number;
  /** Weight factor for weak words (question words, "bisa", "tidak"...). */
  weakFactor: number;
  /** Credit for a word matched only through a typo or a prefix ("insentip" ~ "insentif"). */
  fuzzyCredit: number;
  /** Share of the second-best example's confidence added to its intent's best (agreeing examples). */
  support: number;
}

export interface MatcherOptions extends Thresholds, Scoring {}

export const DEFAULT_OPTIONS: MatcherOptions = {
  match: 0.45,
  unsure: 0.38,
  margin: 0.04,
  spread: 0.12,
  docExp: 0.5,
  unknownQuantile: 0.5,
  weakFactor: 0.5,
  fuzzyCredit: 0.6,
  support: 0.3,
};

/** Small talk ("halo", "makasih") never outranks a real question in the same message. */
const SMALL_TALK = new Set(['greeting', 'thanks', 'goodbye']);

interface Unit {
  /** The word as normalised, and its stem (the same string when nothing was cut). */
  forms: readonly string[];
  key: string;
}

interface Doc {
  id: number;
  text: string;
}

interface DocInfo {
  intent: string;
  lang: Lang;
  units: Unit[];
  weight: number;
  text: string;
  forms: ReadonlySet<string>;
}

export interface Scored {
  intent: string;
  confidence: number;
  /** The example that gave the confidence (for tests and tuning). */
  example: string;
}

export interface Analysis {
  /** The words the matcher looked at (after normalisation, filler removed). */
  terms: string[];
  /** True when the message looks like a plain answer ("25", "ya", "dua puluh", a date). */
  answerLike: boolean;
  ranked: Scored[];
}

export class Matcher {
  private readonly lex: Lexicon;
  private readonly stop: ReadonlySet<string>;
  private readonly answers: ReadonlySet<string>;
  private readonly weak: ReadonlySet<string>;
  private readonly vocab = new Set<string>();
  /** Stems the examples use: an informal spelling is mapped onto one of these when it can be. */
  private readonly stemVocab = new Set<string>();
  /** Every term in the index (words as written and stems). */
  private readonly indexed = new Set<string>();
  private readonly stems = new Map<string, string>();
  /** How telling each (stemmed) word is: its idf over the examples, less for weak words. */
  private readonly weights = new Map<string, number>();
  private readonly docs: DocInfo[] = [];
  private readonly ms: MiniSearch<Doc>;
  private readonly unknownWeight: number;
  readonly intents: ReadonlySet<string>;

  constructor(
    data: NluData,
    readonly options: MatcherOptions = DEFAULT_OPTIONS,
  ) {
    this.stop = data.stop;
    this.answers = data.answers;
    this.weak = data.weak;
    // The examples' own words are known spellings too (stretched-letter repair keeps them).
    const known = new Set(data.lexicon.known);
    for (const ex of data.examples) for (const w of normalize(ex.text).split(' ')) known.add(w);
    this.lex = { ...data.lexicon, known };
    for (const ex of data.examples) for (const w of normalize(ex.text, this.lex).split(' ')) this.vocab.add(w);
    for (const w of this.vocab) this.stemVocab.add(stem(w, this.vocab));

    const texts: Doc[] = [];
    const df = new Map<string, number>();
    for (const ex of data.examples) this.addExample(ex, texts, df);
    const n = this.docs.length;
    for (const [k, c] of df) this.weights.set(k, Math.log((n + 1) / (c + 0.5)));
    // An unknown word in a message (a name, an unrelated topic) counts like a typical word: it is
    // evidence that the message is about something the examples do not cover.
    const sorted = [...this.weights.values()].sort((a, b) => a - b);
    this.unknownWeight = sorted.length ? sorted[Math.floor(sorted.length * options.unknownQuantile)]! : 1;
    for (const w of this.weak) {
      const k = this.stemOf(w);
      const had = this.weights.get(k);
      if (had !== undefined) this.weights.set(k, had * options.weakFactor);
    }
    for (const d of this.docs) d.weight = d.units.reduce((s, u) => s + this.weightOf(u.key), 0);
    this.intents = new Set(this.docs.map((d) => d.intent));

    this.ms = new MiniSearch<Doc>({
      fields: ['text'],
      idField: 'id',
      tokenize: (s) => s.split(' '),
      processTerm: (t) => this.formsOf(t),
      searchOptions: {
        combineWith: 'OR',
        // Typos and prefixes only for words the examples do not have as such: cheaper, and a
        // known word ("reset") is not also taken for its neighbours ("resep").
        fuzzy: (t) => (t.length >= 5 && !this.indexed.has(t) ? 0.2 : false),
        maxFuzzy: 2,
        prefix: (t) => t.length >= 4 && !this.indexed.has(t),
        weights: { fuzzy: 0.6, prefix: 0.7 },
      },
    });
    this.ms.addAll(texts);
  }

  private addExample(ex: Example, texts: Doc[], df: Map<string, number>): void {
    const units = this.unitsOf(normalize(ex.text, this.lex));
    if (units.length === 0) return;
    const id = this.docs.length;
    const text = units.map((u) => u.forms[0]).join(' ');
    this.docs.push({ intent: ex.intent, lang: ex.lang, units, weight: 0, text, forms: new Set(units.flatMap((u) => u.forms)) });
    texts.push({ id, text });
    for (const k of new Set(units.map((u) => u.key))) df.set(k, (df.get(k) ?? 0) + 1);
    for (const u of units) for (const f of u.forms) this.indexed.add(f);
  }

  private stemOf(w: string): string {
    let s = this.stems.get(w);
    if (s === undefined) {
      s = stem(w, this.vocab);
      if (!this.stemVocab.has(s)) {
        for (const alt of informalAlternatives(w)) {
          const a = stem(alt, this.vocab);
          if (this.stemVocab.has(a)) {
            s = a;
            break;
          }
        }
      }
      // Bounded: unknown words from messages must not grow the cache without end.
      if (this.stems.size < 50_000) this.stems.set(w, s);
    }
    return s;
  }

  private formsOf(w: string): string[] {
    const s = this.stemOf(w);
    return s === w ? [w] : [w, s];
  }

  private unitsOf(normalized: string): Unit[] {
    const out: Unit[] = [];
    const seen = new Set<string>();
    for (const w of normalized.split(' ')) {
      if (w === '' || this.stop.has(w)) continue;
      const forms = this.formsOf(w);
      const key = forms[forms.length - 1]!;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ forms, key });
    }
    return out;
  }

  private weightOf(key: string): number {
    return this.weights.get(key) ?? this.unknownWeight;
  }

  /** Is every word a plain answer word or a number ("25", "dua puluh", "17 agustus 1990", "ya")? */
  private isAnswerLike(words: string[]): boolean {
    return words.every((w) => /^\d+$/.test(w) || this.answers.has(w));
  }

  /** The examples as indexed, with their ids (for leave-one-out calibration). */
  examples(): { id: number; intent: string; lang: Lang; text: string }[] {
    return this.docs.map((d, id) => ({ id, intent: d.intent, lang: d.lang, text: d.text }));
  }

  analyse(text: string, lang: Lang, without?: number): Analysis {
    const normalized = normalize(text.length > 1000 ? text.slice(0, 1000) : text, this.lex);
    const words = normalized === '' ? [] : normalized.split(' ');
    const units = this.unitsOf(normalized);
    const terms = units.map((u) => u.forms[0]!);
    if (words.length === 0 || this.isAnswerLike(words) || units.length === 0) {
      return { terms, answerLike: words.length > 0 && this.isAnswerLike(words), ranked: [] };
    }
    const queryForms = new Set<string>();
    for (const u of units) for (const f of u.forms) queryForms.add(f);
    let qTotal = 0;
    for (const u of units) qTotal += this.weightOf(u.key);

    const results = without === undefined ? this.ms.search(terms.join(' ')) : this.ms.search(terms.join(' '), { filter: (r) => r.id !== without });
    const best = new Map<string, Scored & { second: number }>();
    const limit = Math.min(results.length, 80);
    for (let i = 0; i < limit; i++) {
      const r = results[i]!;
      const d = this.docs[r.id as number]!;
      let conf = this.confidence(d, r, units, queryForms, qTotal);
      if (d.lang !== lang) conf *= 0.98;
      const had = best.get(d.intent);
      if (!had) best.set(d.intent, { intent: d.intent, confidence: conf, example: d.text, second: 0 });
      else if (conf > had.confidence) {
        had.second = had.confidence;
        had.confidence = conf;
        had.example = d.text;
      } else if (conf > had.second) had.second = conf;
    }
    const sup = this.options.support;
    const ranked = [...best.values()]
      .map((b): Scored => ({ intent: b.intent, confidence: b.confidence + sup * b.second, example: b.example }))
      .sort((a, b) => b.confidence - a.confidence || (a.intent < b.intent ? -1 : 1));
    return { terms, answerLike: false, ranked: smallTalkLast(ranked) };
  }

  private confidence(d: DocInfo, r: SearchResult, q: Unit[], queryForms: Set<string>, qTotal: number): number {
    // r.terms: the example's words that matched (also by typo or prefix); r.queryTerms: the
    // message's words that matched. Exact matches get full credit, typo/prefix ones less.
    const fuzzy = this.options.fuzzyCredit;
    let docHit = 0;
    for (const u of d.units) {
      let credit = 0;
      for (const f of u.forms) {
        if (queryForms.has(f)) {
          credit = 1;
          break;
        }
        if (r.terms.includes(f)) credit = fuzzy;
      }
      docHit += credit * this.weightOf(u.key);
    }
    let qHit = 0;
    for (const u of q) {
      let credit = 0;
      for (const f of u.forms) {
        if (d.forms.has(f)) {
          credit = 1;
          break;
        }
        if (r.queryTerms.includes(f)) credit = fuzzy;
      }
      qHit += credit * this.weightOf(u.key);
    }
    const docCov = d.weight > 0 ? docHit / d.weight : 0;
    const qCov = qTotal > 0 ? qHit / qTotal : 0;
    return Math.pow(docCov, this.options.docExp) * Math.pow(qCov, 1 - this.options.docExp);
  }

  understand(text: string, lang: Lang): Understanding {
    return this.decide(this.analyse(text, lang).ranked);
  }

  decide(ranked: Scored[]): Understanding {
    const t = this.options;
    const top = ranked[0];
    if (!top || top.confidence < t.unsure) return { kind: 'none' };
    const second = ranked[1];
    if (top.confidence >= t.match && (!second || top.confidence - second.confidence >= t.margin)) return { kind: 'match', intent: top.intent };
    const candidates = ranked.filter((s) => s.confidence >= t.unsure && top.confidence - s.confidence <= t.spread).slice(0, 3).map((s) => s.intent);
    return { kind: 'unsure', candidates };
  }
}

/** Keep small talk behind any real intent that scored close to it (within 0.15). */
function smallTalkLast(ranked: Scored[]): Scored[] {
  const top = ranked[0];
  if (!top || !SMALL_TALK.has(top.intent)) return ranked;
  const real = ranked.find((s) => !SMALL_TALK.has(s.intent));
  if (!real || top.confidence - real.confidence > 0.15) return ranked;
  return [real, ...ranked.filter((s) => s !== real)];
}
