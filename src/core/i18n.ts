// Texts: locales/<lang>/<name>.json, each file's keys under its name ("common.json" -> "common.*").
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import i18next from 'i18next';
import type { Translate } from './engine.ts';
import { LANGS, type Lang } from './types.ts';

export type Resources = Record<Lang, Record<string, unknown>>;

export class LocaleError extends Error {}

export function readLocales(dir: string): Resources {
  const out = {} as Resources;
  for (const lang of LANGS) {
    const tree: Record<string, unknown> = {};
    const folder = join(dir, lang);
    let files: string[];
    try {
      files = readdirSync(folder).filter((f) => f.endsWith('.json')).sort();
    } catch {
      throw new LocaleError(`${folder}: folder is missing (every language needs one)`);
    }
    for (const f of files) {
      const path = join(folder, f);
      try {
        tree[basename(f, '.json')] = JSON.parse(readFileSync(path, 'utf8'));
      } catch (err) {
        throw new LocaleError(`${path}: not valid JSON (${(err as Error).message})`);
      }
    }
    out[lang] = tree;
  }
  return out;
}

/** Does `key` ("a.b.c") name a text in this one language's tree (no fallback)? Plural forms count. */
export function hasKey(tree: Record<string, unknown>, key: string): boolean {
  const parts = key.split('.');
  let node: unknown = tree;
  for (let i = 0; i < parts.length; i++) {
    if (typeof node !== 'object' || node === null) return false;
    const obj = node as Record<string, unknown>;
    const part = parts[i]!;
    if (i === parts.length - 1) return typeof obj[part] === 'string' || typeof obj[`${part}_other`] === 'string';
    node = obj[part];
  }
  return false;
}

export function createTranslate(resources: Resources): Translate {
  const inst = i18next.createInstance();
  void inst.init({
    resources: Object.fromEntries(LANGS.map((l) => [l, { translation: resources[l] }])),
    lng: 'id',
    fallbackLng: 'id',
    // Replies are plain text; channels escape for their own markup.
    interpolation: { escapeValue: false },
    initAsync: false,
    returnNull: false,
  });
  const fixed = Object.fromEntries(LANGS.map((l) => [l, inst.getFixedT(l)])) as Record<Lang, (k: string, o?: object) => string>;
  // Texts are fixed once loaded, so a text without parameters is always the same string: look it
  // up in i18next once per language and key (about 10 µs each), then from a Map. The number of
  // entries is bounded by the keys the flows and code use, not by the traffic.
  const memo = Object.fromEntries(LANGS.map((l) => [l, new Map<string, string>()])) as Record<Lang, Map<string, string>>;
  return (lang, key, params) => {
    if (params !== undefined && !isEmpty(params)) return fixed[lang](key, params);
    const m = memo[lang];
    let text = m.get(key);
    if (text === undefined) {
      text = fixed[lang](key, {});
      m.set(key, text);
    }
    return text;
  };
}

function isEmpty(o: Record<string, unknown>): boolean {
  for (const _ in o) return false;
  return true;
}
