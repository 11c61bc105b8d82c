// One interface for every source of incentive status records: a CSV loaded at start (file), a
// Redis filled by `npm run status:import` (redis), or the programme's API (http).
import type { StatusRecord } from './record.ts';

export interface StatusProvider {
  readonly kind: 'file' | 'redis' | 'http';
  /**
   * The record of the participant whose NIK has this hash (Hasher.nikHash: 64 hex digits), or
   * null when there is none. Rejects with ProviderUnavailableError when the source cannot answer
   * now (down, timing out, answering nonsense): the user is told to try again later.
   */
  lookup(nikHash: string): Promise<StatusRecord | null>;
  close(): Promise<void>;
}

/** The source cannot answer right now. `reason` is for logs (no personal data in it). */
export class ProviderUnavailableError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`status provider unavailable: ${reason}`, options);
    this.name = 'ProviderUnavailableError';
  }
}
