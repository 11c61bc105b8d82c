// The embedded store: sessions in this process's memory, serialized exactly as in Redis so the
// same validation and reset rules apply. Claims of one chat queue up in arrival order.
import type { Session } from '../core/types.ts';
import { decodeSession, encodeSession, type Claim, type SessionStore } from './session-store.ts';

interface Entry {
  raw: string;
  expiresAt: number;
}

export class MemorySessionStore implements SessionStore {
  private data = new Map<string, Entry>();
  private tails = new Map<string, Promise<void>>();
  private releasers = new WeakMap<Claim, () => void>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(key: string): Promise<Claim> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let free!: () => void;
    const mine = new Promise<void>((r) => (free = r));
    const tail = before.then(() => mine);
    this.tails.set(key, tail);
    await before;
    const e = this.data.get(key);
    if (e && e.expiresAt <= this.now()) this.data.delete(key);
    const raw = this.data.get(key)?.raw;
    const claim: Claim = { key, loaded: raw === undefined ? { status: 'new' } : decodeSession(raw) };
    this.releasers.set(claim, () => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
      free();
    });
    return claim;
  }

  async commit(claim: Claim, session: Session, ttlMs = this.ttlMs): Promise<void> {
    this.data.set(claim.key, { raw: encodeSession(session), expiresAt: this.now() + ttlMs });
    this.done(claim);
  }

  async release(claim: Claim): Promise<void> {
    this.done(claim);
  }

  async remove(claim: Claim): Promise<void> {
    this.data.delete(claim.key);
    this.done(claim);
  }

  /** Test and tooling access: the stored text of a chat's session. */
  rawOf(key: string): string | undefined {
    return this.data.get(key)?.raw;
  }

  setRaw(key: string, raw: string): void {
    this.data.set(key, { raw, expiresAt: this.now() + this.ttlMs });
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}

  private done(claim: Claim): void {
    const f = this.releasers.get(claim);
    if (!f) throw new Error('claim already handed back');
    this.releasers.delete(claim);
    f();
  }
}
