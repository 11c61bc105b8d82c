// Copies of a session for `step`, which must never change the session it was given.
//
// `step` makes a shallow copy (`stepSession`) and shares the rest with the given session: a turn
// gives the session new `at`, `hist`, `seen`, `ret`, `rets` and `pending` values rather than
// changing them, and copies `answers` before its first change (`copyOwn`). The deep copy it made
// before (`cloneSession`, below) was about 3 % of a message's CPU in workload A, for parts that
// most turns never change. Sharing is safe because no session is changed in place once made (the
// Redis store hands step the object it committed last: see redis-store.ts). Unlike the deep copy,
// whatever a turn does not change keeps its identity and prototype, and `ext` is never looked at.
//
// `cloneSession`: `structuredClone` did this job at about 6 µs per call (it serializes through
// V8's value serializer); a session is a small tree of plain objects, arrays and primitives,
// which this copies in well under 1 µs. Anything else found in the tree (a Date, a Map, a class instance, a
// function, a sparse array, a cycle or an absurdly deep nesting, all of which only `ext` could
// hold) sends the whole session to `structuredClone`, so the result (or the error) is exactly
// what `structuredClone` gives. One difference remains: an object reachable twice in the same
// session is copied twice rather than shared, as it would be after the store's JSON round trip.
import type { Session } from './types.ts';

/** Returned by `copy` when the tree holds something it does not copy itself. */
const UNSUPPORTED: unique symbol = Symbol('unsupported');

/** Deeper than any session the schema allows; past it we assume a cycle. */
const MAX_DEPTH = 32;

/**
 * The session a turn works on. A property added to an object made by spreading costs about 1 µs
 * on Node 20 (see copyOwn); a turn adds at most `pending`, `ret` and `rets`, now and then, and
 * over workload A's sessions this copy costs no more than the alternatives.
 */
export function stepSession(session: Session): Session {
  return { ...session };
}

/**
 * A shallow copy of a plain object's own enumerable string keys, as `copy` makes them one level
 * down. Not `{ ...o }`: on Node 20 a property added to an object made that way costs about 1 µs,
 * and the answers copied here are copied to be added to.
 */
export function copyOwn<T extends object>(o: T): T {
  const src = o as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k in src) {
    if (!Object.hasOwn(src, k)) continue;
    if (k === '__proto__') Object.defineProperty(out, k, { value: src[k], writable: true, enumerable: true, configurable: true });
    else out[k] = src[k];
  }
  return out as T;
}

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
