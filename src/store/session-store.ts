// Where sessions live between messages. A chat is *claimed* while one message is handled and
// handed back with the new session (commit), unchanged (release) or deleted (remove), so two
// messages of one chat are never applied at once, also across processes sharing one Redis.
import { SESSION_VERSION, SessionSchema, type Session } from '../core/types.ts';

export type Loaded =
  | { status: 'ok'; session: Session }
  | { status: 'new' }
  /** The stored session could not be used (corrupt, unknown version, abandoned by a dead process). */
  | { status: 'reset'; reason: 'corrupt' | 'version' | 'abandoned' };

export interface Claim {
  readonly key: string;
  readonly loaded: Loaded;
}

export interface SessionStore {
  claim(key: string): Promise<Claim>;
  /**
   * The session this process expects the next claim of `key` to return, if it knows one (the one
   * it last wrote or read), without asking anyone. Only a guess: the claim decides. When the claim
   * then loads a session, it is this very object exactly when the stored session is still the one
   * this process knew, so the runtime can start working on it while the claim is on its way.
   */
  peek?(key: string): Session | undefined;
  /**
   * Hands the chat back with `session`. The store may keep the object and return it from a later
   * claim (the Redis store does, to skip decoding), so neither side may change it in place.
   * `ttlMs` shortens this session's life (it holds personal answers); default: the store's TTL.
   *
   * The hand-back takes effect when `commit` is called: this process's next claim of the chat
   * returns this session even when made before the promise settles, which is when the store has
   * it for sure (other processes wait for it like for any held chat). Should the write fail (the
   * promise rejects with StoreUnavailableError), the store keeps the session and restores it on
   * this process's next claim of the chat, so the caller may answer the user from it without
   * waiting.
   */
  commit(claim: Claim, session: Session, ttlMs?: number): Promise<void>;
  /**
   * Hands the chat back unchanged. `ttlMs` is the time to live of the session as it was (shorter
   * when it holds personal answers, as for `commit`); default: the store's TTL.
   */
  release(claim: Claim, ttlMs?: number): Promise<void>;
  /** Deletes the chat's session. Should that fail, the store completes the removal once it can. */
  remove(claim: Claim): Promise<void>;
  /** Is the store reachable right now? (health checks) */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** The store cannot be reached: the user is told to try again shortly; nothing was changed. */
export class StoreUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('session store unavailable', { cause });
    this.name = 'StoreUnavailableError';
  }
}

// ---- the stored form ------------------------------------------------------------------------
//
// A session is stored as a JSON array, by position, not as the object itself: every message
// writes it, so its size is what each commit costs (JSON.stringify, the socket, Redis's memory).
//
//   [v, lang, flow, step, answers, hist, ask, seen, ts]          + a 10th element, an object with
//                                                                   ret / rets / pending / ext, when any is set
//
// A place in `hist` is its step alone when it is in the flow the user is in now (nearly always),
// else "flow/step" (flow and step ids never hold a "/": flow-schema.ts). Mid-way through the
// eligibility check that is about 290 bytes instead of 540 as an object. Sessions stored as the
// object (before this form) still load.

const PLACE_SEP = '/';

/** The stored form of a session (see above). */
export function encodeSession(s: Session): string {
  const flow = s.at.flow;
  const hist = new Array<string>(s.hist.length);
  for (let i = 0; i < hist.length; i++) {
    const p = s.hist[i]!;
    hist[i] = p.flow === flow ? p.step : p.flow + PLACE_SEP + p.step;
  }
  const form: unknown[] = [s.v, s.lang, flow, s.at.step, s.answers, hist, s.ask, s.seen, s.ts];
  if (s.ret !== undefined || s.rets !== undefined || s.pending !== undefined || s.ext !== undefined) {
    form.push({ ret: s.ret, rets: s.rets, pending: s.pending, ext: s.ext }); // undefined ones are left out
  }
  return JSON.stringify(form);
}

/** Parses and validates a stored session (either form) against the schema and its version. */
export function decodeSession(raw: string): Loaded {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { status: 'reset', reason: 'corrupt' };
  }
  if (Array.isArray(data)) {
    if (data[0] !== SESSION_VERSION) return { status: 'reset', reason: typeof data[0] === 'number' ? 'version' : 'corrupt' };
    data = fromStoredForm(data);
    if (data === undefined) return { status: 'reset', reason: 'corrupt' };
  }
  const r = SessionSchema.safeParse(data);
  if (r.success) return { status: 'ok', session: r.data };
  const v = (data as { v?: unknown } | null)?.v;
  return { status: 'reset', reason: typeof v === 'number' && v !== SESSION_VERSION ? 'version' : 'corrupt' };
}

/** The session object of a stored array, for the schema to check; undefined when it is not one. */
function fromStoredForm(a: unknown[]): unknown {
  if (a.length !== 9 && a.length !== 10) return undefined;
  const [v, lang, flow, step, answers, hist, ask, seen, ts, rest] = a;
  if (typeof flow !== 'string' || !Array.isArray(hist)) return undefined;
  const places: unknown[] = [];
  for (const h of hist) {
    if (typeof h !== 'string') return undefined;
    const at = h.indexOf(PLACE_SEP);
    places.push(at < 0 ? { flow, step: h } : { flow: h.slice(0, at), step: h.slice(at + 1) });
  }
  const extra = a.length === 10 ? rest : {};
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) return undefined;
  return { ...(extra as object), v, lang, at: { flow, step }, answers, hist: places, ask, seen, ts };
}
