// A session as stored in Redis, read back through the store's own decoder (the stored form is an
// array by position, not the session object: src/store/session-store.ts).
import type { Session } from '../../src/core/types.ts';
import { decodeSession } from '../../src/store/session-store.ts';

export function storedSession(raw: string | null): Session {
  if (raw === null) throw new Error('no session stored');
  const loaded = decodeSession(raw);
  if (loaded.status !== 'ok') throw new Error(`stored session does not load: ${JSON.stringify(loaded)}`);
  return loaded.session;
}
