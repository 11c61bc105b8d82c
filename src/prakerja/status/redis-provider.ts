// The redis provider: records imported by `npm run status:import` (see redis-layout.ts), one
// HGET per lookup.
import type { Redis } from 'ioredis';
import type { Hasher } from './hash.ts';
import { ProviderUnavailableError, type StatusProvider } from './provider.ts';
import { locate, readMeta, secretCheck, type Meta } from './redis-layout.ts';
import { unpackRecord, type StatusRecord } from './record.ts';

export interface RedisProviderOptions {
  prefix: string;
  hasher: Hasher;
  /** How long the layout (meta hash) is cached. */
  metaTtlMs?: number;
  /** Close the client in close() (when the provider made it). */
  ownsClient?: boolean;
  now?: () => number;
}

export class RedisStatusProvider implements StatusProvider {
  readonly kind = 'redis' as const;
  private meta: { value: Meta; at: number } | undefined;
  private readonly check: string;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly o: RedisProviderOptions,
  ) {
    this.check = secretCheck(o.hasher);
    this.now = o.now ?? Date.now;
  }

  private async layout(): Promise<Meta> {
    const ttl = this.o.metaTtlMs ?? 60_000;
    if (this.meta && this.now() - this.meta.at < ttl) return this.meta.value;
    const m = await readMeta(this.redis, this.o.prefix);
    if (!m) throw new ProviderUnavailableError(`no status data under "${this.o.prefix}" (run npm run status:import)`);
    if (m.check !== this.check) throw new ProviderUnavailableError('the status data was imported with a different STATUS_HMAC_SECRET');
    this.meta = { value: m, at: this.now() };
    return m;
  }

  async lookup(nikHash: string): Promise<StatusRecord | null> {
    let buf: Buffer | null;
    try {
      const m = await this.layout();
      const { key, field } = locate(this.o.prefix, m.bits, nikHash);
      buf = await this.redis.hgetBuffer(key, field);
    } catch (err) {
      if (err instanceof ProviderUnavailableError) throw err;
      throw new ProviderUnavailableError(`redis: ${(err as Error).message}`, { cause: err });
    }
    if (!buf) return null;
    const r = unpackRecord(buf);
    if (!r) throw new ProviderUnavailableError('a stored record could not be read (corrupt or from a newer version)');
    return r;
  }

  async close(): Promise<void> {
    if (this.o.ownsClient) await this.redis.quit().catch(() => undefined);
  }
}
