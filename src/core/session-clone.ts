// A deep copy of a session for `step`, which must never change the session it was given.
//
// `structuredClone` did this job at about 6 µs per call (it serializes through V8's value
// serializer); a session is a small tree of plain objects, arrays and primitives, which this
// copies in well under 1 µs. Anything else found in the tree (a Date, a Map, a class instance, a
// function, a sparse array, a cycle or an absurdly deep nesting, all of which only `ext` could
// hold) sends the whole session to `structuredClone`, so the result (or the error) is exactly
// what `structuredClone` gives. One difference remains: an object reachable twice in the same
// session is copied twice rather than shared, as it would be after the store's JSON round trip.
import type { Session } from './types.ts';

/** Returned by `copy` when the tree holds something it does not copy itself. */
const UNSUPPORTED: unique symbol = Symbol('unsupported');

/** Deeper than any session the schema allows; past it we assume a cycle. */
const MAX_DEPTH = 32;

export function cloneSession(session: Session): Session {
  const c = copy(session, 0);
  return c === UNSUPPORTED ? structuredClone(session) : (c as Session);
}

function copy(v: unknown, depth: number): unknown {
  if (typeof v !== 'object') return typeof v === 'function' || typeof v === 'symbol' ? UNSUPPORTED : v;
  if (v === null) return v;
  if (depth > MAX_DEPTH) return UNSUPPORTED;
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto === Array.prototype) {
    const a = v as unknown[];
    const out = new Array<unknown>(a.length);
    for (let i = 0; i < a.length; i++) {
      if (!(i in a)) return UNSUPPORTED;
      const c = copy(a[i], depth + 1);
      if (c === UNSUPPORTED) return UNSUPPORTED;
      out[i] = c;
    }
    return out;
  }
  if (proto !== Object.prototype && proto !== null) return UNSUPPORTED;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    const c = copy(o[k], depth + 1);
    if (c === UNSUPPORTED) return UNSUPPORTED;
    // A key named "__proto__" (JSON.parse makes it an own property) must stay one: assigned, it
    // would set the copy's prototype instead.
    if (k === '__proto__') Object.defineProperty(out, k, { value: c, writable: true, enumerable: true, configurable: true });
    else out[k] = c;
  }
  return out;
}
