// Free-text understanding: normalise informal Indonesian, then match intents and FAQ entries.
// The data (spellings, examples per intent and language) lives beside the texts in locales/.
import type { Understander } from '../core/engine.ts';
import { loadNluData } from './data.ts';
import { DEFAULT_OPTIONS, Matcher, type MatcherOptions } from './matcher.ts';

export interface UnderstanderOptions {
  localesDir: string;
  /** Override the calibrated thresholds and scoring (tests and tuning only). */
  options?: Partial<MatcherOptions>;
}

/** Reads locales/<lang>/{slang,intents}.yaml and builds the index once; `understand` is then cheap. */
export function createUnderstander(opts: UnderstanderOptions): Understander & { matcher: Matcher } {
  const matcher = new Matcher(loadNluData(opts.localesDir), { ...DEFAULT_OPTIONS, ...opts.options });
  return { matcher, understand: (text, lang) => matcher.understand(text, lang) };
}

export { Matcher, DEFAULT_OPTIONS, type MatcherOptions } from './matcher.ts';
export { normalize } from './normalize.ts';
export { loadNluData } from './data.ts';
