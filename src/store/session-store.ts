// Where sessions live between messages. A chat is *claimed* while one message is handled and
// handed back with the new session (commit), unchanged (release) or deleted (remove), so two
// messages of one chat are never applied at once, also across processes sharing one Redis.
import { SessionSchema, type Session } from '../core/types.ts';

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
   */
  commit(claim: Claim, session: Session, ttlMs?: number): Promise<void>;
  release(claim: Claim): Promise<void>;
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

/** Serialized form: compact JSON. Parsing validates against the schema and its version. */
export function encodeSession(s: Session): string {
  return JSON.stringify(s);
}

export function decodeSession(raw: string): Loaded {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { status: 'reset', reason: 'corrupt' };
  }
  const r = SessionSchema.safeParse(data);
  if (r.success) return { status: 'ok', session: r.data };
  const v = (data as { v?: unknown } | null)?.v;
  return { status: 'reset', reason: typeof v === 'number' && v !== 1 ? 'version' : 'corrupt' };
}
