// Reads the NLU's data files: locales/<lang>/slang.yaml (spellings, filler words, answer words)
// and locales/<lang>/intents.yaml (examples per intent). Validated with zod; a broken file stops
// start-up with its path and the reason, like a broken flow.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { LANGS, type Lang } from '../core/types.ts';
import type { Lexicon } from './normalize.ts';

// YAML reads `dua: 2` as a number; a replacement is always text.
const Replacement = z.union([z.string(), z.number()]).transform(String);
const SlangSchema = z.strictObject({
  words: z.record(z.string().min(1), Replacement).default({}),
  phrases: z.record(z.string().min(1), Replacement).default({}),
  keep: z.array(z.string().min(1)).default([]),
  stop: z.array(z.string().min(1)).default([]),
  weak: z.array(z.string().min(1)).default([]),
  answers: z.array(z.string().min(1)).default([]),
});

const IntentName = z.string().regex(/^[a-z][\w.-]*$/, 'an intent name such as "faq.next_wave"');
const IntentsSchema = z.record(
  IntentName,
  z.strictObject({
    /** Where the answer's facts come from (shared/prakerja.md source keys); not shown to users. */
    source: z.string().regex(/^(\[[A-Z0-9.-]+\])+$/, 'source keys such as "[FAQ][PK-INS]"').optional(),
    examples: z.array(z.string().min(1)).min(1),
  }),
);

export interface Example {
  intent: string;
  lang: Lang;
  text: string;
}

export interface NluData {
  lexicon: Lexicon;
  /** Filler words the matcher ignores. */
  stop: ReadonlySet<string>;
  /** Words that count for less (they turn up in questions of every kind). */
  weak: ReadonlySet<string>;
  /** Words a plain answer is made of ("ya", "dua", "puluh", "tahun", month names). */
  answers: ReadonlySet<string>;
  examples: Example[];
  /** Source keys per intent (FAQ entries), from any language's file. */
  sources: ReadonlyMap<string, string>;
}

export class NluDataError extends Error {
  override name = 'NluDataError';
}

function readYaml(path: string): unknown {
  try {
    return parse(readFileSync(path, 'utf8')) ?? {};
  } catch (err) {
    throw new NluDataError(`${path}: ${(err as Error).message.split('\n')[0]}`);
  }
}

function check<T>(path: string, schema: z.ZodType<T>, raw: unknown): T {
  const r = schema.safeParse(raw);
  if (!r.success) throw new NluDataError(`${path}: ${r.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Reads every language's slang.yaml and intents.yaml under `localesDir`. */
export function loadNluData(localesDir: string): NluData {
  const words = new Map<string, string>();
  const phrases = new Map<string, string>();
  const known = new Set<string>();
  const stop = new Set<string>();
  const weak = new Set<string>();
  const answers = new Set<string>();
  const examples: Example[] = [];
  const sources = new Map<string, string>();
  const addKnown = (s: string) => {
    for (const w of s.split(' ')) if (w) known.add(w);
  };

  for (const lang of LANGS) {
    const slangPath = join(localesDir, lang, 'slang.yaml');
    if (existsSync(slangPath)) {
      const s = check(slangPath, SlangSchema, readYaml(slangPath));
      // The first language (id) wins a clash; a word means the same to everyone who types it.
      for (const [k, v] of Object.entries(s.words)) if (!words.has(k)) words.set(k, v);
      for (const [k, v] of Object.entries(s.phrases)) if (!phrases.has(k)) phrases.set(k, v);
      for (const [k, v] of [...Object.entries(s.words), ...Object.entries(s.phrases)]) {
        addKnown(k);
        addKnown(v);
      }
      for (const w of [...s.keep, ...s.stop, ...s.answers]) known.add(w);
      for (const w of s.stop) stop.add(w);
      for (const w of s.weak) weak.add(w);
      for (const w of s.answers) answers.add(w);
    }
    const intentsPath = join(localesDir, lang, 'intents.yaml');
    if (!existsSync(intentsPath)) continue;
    const data = check(intentsPath, IntentsSchema, readYaml(intentsPath));
    for (const [intent, entry] of Object.entries(data)) {
      if (entry.source && !sources.has(intent)) sources.set(intent, entry.source);
      for (const text of entry.examples) examples.push({ intent, lang, text });
    }
  }
  return { lexicon: { words, phrases, known }, stop, weak, answers, examples, sources };
}
