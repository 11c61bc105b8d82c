// Building blocks of the configuration schema, shared by src/config.ts and the parts that bring
// their own variables (src/helpdesk/config.ts, src/prakerja/status/settings.ts). Each reads a
// string (an unset or blank variable arrives as undefined) and its error messages say what is
// expected; ConfigError adds what was found.
import { z } from 'zod';

/** Surrounding whitespace is dropped (a classic .env mistake); an empty value counts as unset. */
export function blankToUndefined(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** Wraps a variable's schema so that "", "  " and a missing variable all mean "not set". */
export function envVar<T extends z.ZodType>(schema: T) {
  return z.preprocess(blankToUndefined, schema);
}

export const expected = (what: string) => ({ error: `expected ${what}` });

/** Case-insensitive choice among fixed words. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.enum(values, expected(what)));
}

/** A whole number (decimal digits, optional sign) within [min, max]. */
export function wholeNumber(min: number, max: number, what: string) {
  return z
    .string()
    .regex(/^[+-]?\d+$/, expected(what))
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n >= min && n <= max, expected(what));
}
