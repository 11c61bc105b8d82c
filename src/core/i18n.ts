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

/** i18next set up as Pandu uses it (also the reference the equivalence tests compare with). */
export function createI18next(resources: Resources): ReturnType<typeof i18next.createInstance> {
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
  return inst;
}

export function createTranslate(resources: Resources): Translate {
  const inst = createI18next(resources);
  const fixed = Object.fromEntries(LANGS.map((l) => [l, inst.getFixedT(l)])) as Record<Lang, (k: string, o?: object) => string>;
  // Texts are fixed once loaded, so a text without parameters is always the same string: look it
  // up in i18next once per language and key (about 10 µs each), then from a Map. The number of
  // entries is bounded by the keys the flows and code use, not by the traffic.
  const memo = Object.fromEntries(LANGS.map((l) => [l, new Map<string, string>()])) as Record<Lang, Map<string, string>>;
  const templates = Object.fromEntries(LANGS.map((l) => [l, new Map<string, Template | null>()])) as Record<Lang, Map<string, Template | null>>;
  const simple = !hasDottedKey(resources);
  return (lang, key, params) => {
    if (params !== undefined && !isEmpty(params)) {
      if (simple) {
        const m = templates[lang];
        let tpl = m.get(key);
        if (tpl === undefined) {
          tpl = compileTemplate(resources[lang], key);
          m.set(key, tpl);
        }
        const text = tpl && fill(tpl, params);
        if (text !== undefined && text !== null) return text;
      }
      return fixed[lang](key, params);
    }
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

// ---- texts i18next would only fill in ----------------------------------------------------------
//
// Even at 8-10 µs alone, an i18next call with parameters took 25-45 µs amid real traffic (cold
// caches, many shapes of options). For the texts it does nothing to but put each value in place
// of its {{name}}, `fill` does that itself. Such a text: found as a non-empty string at its key
// in its own language (no fallback), no plural or context forms beside it (`key_...`), no nesting
// (`$t(`), no unescaped or formatted placeholder (`{{-x}}`, `{{x, format}}`), placeholders that
// are plain names and none an i18next option (`count` aside: without plural forms it only selects
// which key to read), and the call passes exactly its placeholders, each a string, number or
// boolean. Then i18next (interpolation.skipOnVariables, escapeValue false) gives the text with
// each placeholder replaced by String(value), values never read again for placeholders or
// nesting: this. Anything else goes to i18next (test/core-fast-paths.test.ts compares the two).

interface Template {
  /** The text around the placeholders: parts[i] before names[i], the last part after the last. */
  parts: string[];
  names: string[];
  nameSet: ReadonlySet<string>;
}

/** i18next's own pattern for a placeholder (interpolation prefix and suffix, defaults). */
const PLACEHOLDER = /{{(.+?)}}/g;
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLAIN_KEY = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;
/** Every option i18next reads from the options of a `t` call (i18next 26), and object keys. */
const OPTION_NAMES = new Set([
  'appendNamespaceToCIMode', 'appendNamespaceToMissingKey', 'applyPostProcessor', 'context', 'contextSeparator',
  'fallbackLng', 'fallbackNS', 'formatParams', 'i18nResolved', 'ignoreJSONStructure', 'interpolation', 'interpolationkey',
  'joinArrays', 'keyPrefix', 'keySeparator', 'lng', 'lngs', 'missingInterpolationHandler', 'missingKeyNoValueFallbackToKey',
  'nest', 'ns', 'nsSeparator', 'ordinal', 'pluralSeparator', 'postProcess', 'postProcessPassResolved', 'replace',
  'returnDetails', 'returnEmptyString', 'returnNull', 'returnObjects', 'returnedObjectHandler', 'skipInterpolation',
  'skipOnVariables', '__proto__', 'constructor', 'prototype',
]);

function compileTemplate(tree: Record<string, unknown>, key: string): Template | null {
  if (!PLAIN_KEY.test(key)) return null;
  const path = key.split('.');
  let node: unknown = tree;
  for (let i = 0; i < path.length - 1; i++) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, path[i]!)) return null;
    node = (node as Record<string, unknown>)[path[i]!];
  }
  if (typeof node !== 'object' || node === null) return null;
  const parent = node as Record<string, unknown>;
  const last = path[path.length - 1]!;
  const raw = Object.hasOwn(parent, last) ? parent[last] : undefined;
  if (typeof raw !== 'string' || raw === '') return null;
  if (Object.keys(parent).some((k) => k.startsWith(`${last}_`))) return null;
  if (raw.includes('$t(') || raw.includes('{{-')) return null;
  const parts: string[] = [];
  const names: string[] = [];
  let end = 0;
  for (const m of raw.matchAll(PLACEHOLDER)) {
    const name = m[1]!.trim();
    if (!PLAIN_NAME.test(name) || OPTION_NAMES.has(name) || name.startsWith('defaultValue')) return null;
    parts.push(raw.slice(end, m.index));
    names.push(name);
    end = m.index + m[0].length;
  }
  parts.push(raw.slice(end));
  return { parts, names, nameSet: new Set(names) };
}

/** The text with its placeholders filled in, or undefined when i18next must do it. */
function fill(tpl: Template, params: Record<string, unknown>): string | undefined {
  let given = 0;
  for (const k in params) {
    if (!Object.hasOwn(params, k)) continue;
    if (!tpl.nameSet.has(k)) return undefined;
    given++;
  }
  if (given !== tpl.nameSet.size) return undefined;
  let out = tpl.parts[0]!;
  for (let i = 0; i < tpl.names.length; i++) {
    const v = params[tpl.names[i]!];
    if (typeof v === 'string') out += v;
    else if (typeof v === 'number' || typeof v === 'boolean') out += String(v);
    else return undefined;
    out += tpl.parts[i + 1]!;
  }
  return out;
}

/** A key with a dot in a locale file would make i18next look texts up in ways `fill` does not follow. */
function hasDottedKey(resources: Resources): boolean {
  const walk = (node: unknown): boolean => {
    if (typeof node !== 'object' || node === null) return false;
    for (const [k, v] of Object.entries(node)) if (k.includes('.') || k.includes('###') || walk(v)) return true;
    return false;
  };
  return LANGS.some((l) => walk(resources[l]));
}
