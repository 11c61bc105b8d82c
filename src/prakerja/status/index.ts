// The status lookup, assembled: provider, lockout and keyed hashing from the settings, and the
// effect handler the runtime needs. main.ts calls createStatusService once at start-up; the
// flow's actions (statusActions) need no configuration and are registered in createActions.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { EffectHandler } from '../../core/runtime.ts';
import { loadFileProvider } from './file-provider.ts';
import { ProviderUnavailableError } from './provider.ts';
import { createHasher, randomSecret, type Hasher } from './hash.ts';
import { HttpStatusProvider } from './http-provider.ts';
import { MemoryLockout, RedisLockout, type Lockout } from './lockout.ts';
import type { StatusProvider } from './provider.ts';
import { RedisStatusProvider } from './redis-provider.ts';
import { createStatusEffect, STATUS_EFFECT } from './service.ts';
import { DEMO_STATUS_FILE, type StatusSettings } from './settings.ts';

export { statusActions } from './actions.ts';
export { STATUS_EFFECT } from './service.ts';
export { DEMO_STATUS_FILE, loadStatusSettings, StatusSettingsError, type StatusSettings } from './settings.ts';

export interface StatusDeps {
  logger: Logger;
  /** The session store's Redis (REDIS_URL), when there is one: lockout counters live there. */
  redis?: Redis;
  /** Key prefix for the lockout counters (e.g. the session prefix + "status:lock:"). */
  lockPrefix?: string;
}

export interface StatusService {
  /** For RuntimeOptions.effects: `{ ...status.effects }`. */
  effects: Record<string, EffectHandler>;
  provider: StatusProvider;
  lockout: Lockout;
  hasher: Hasher;
  close(): Promise<void>;
}

export class StatusStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StatusStartError';
  }
}

export async function createStatusService(s: StatusSettings, deps: StatusDeps): Promise<StatusService> {
  const { logger } = deps;
  if (!s.hmacSecret && s.provider !== 'file') throw new StatusStartError(`STATUS_HMAC_SECRET is required when STATUS_PROVIDER=${s.provider}`);
  // The file provider hashes its CSV at start, so a secret that lives only in this process will do.
  const hasher = createHasher(s.hmacSecret ?? randomSecret());

  let provider: StatusProvider;
  if (s.provider === 'file') {
    let load;
    try {
      load = await loadFileProvider(s.file, hasher);
    } catch (err) {
      throw new StatusStartError(`cannot load the status file ${s.file}: ${(err as Error).message}`, { cause: err });
    }
    if (load.bad.length) {
      logger.warn({ status: { file: s.file, badRows: load.bad.length, lines: load.bad.slice(0, 50).map((b) => `line ${b.line}: ${b.problem}`) } }, 'status file has bad rows (skipped)');
    }
    logger.info({ status: { provider: 'file', file: s.file, rows: load.rows } }, 'status records loaded');
    provider = load.provider;
  } else if (s.provider === 'redis') {
    const url = s.redisUrl;
    let client: Redis;
    let owns = false;
    if (url) {
      client = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 3_000, retryStrategy: (n) => Math.min(100 * n, 2_000) });
      client.on('error', (err: Error) => logger.debug({ err: { message: err.message } }, 'status redis connection problem'));
      owns = true;
    } else if (deps.redis) {
      client = deps.redis;
    } else {
      throw new StatusStartError('STATUS_PROVIDER=redis needs STATUS_REDIS_URL or REDIS_URL');
    }
    provider = new RedisStatusProvider(client, { prefix: s.redisPrefix, hasher, ownsClient: owns });
  } else {
    if (!s.api) throw new StatusStartError('STATUS_PROVIDER=http needs STATUS_API_URL and STATUS_API_TOKEN');
    provider = new HttpStatusProvider({
      url: s.api.url,
      token: s.api.token,
      timeoutMs: s.api.timeoutMs,
      retries: s.api.retries,
      breaker: { failures: s.api.breakerFailures, cooldownMs: s.api.breakerCooldownMs },
    });
  }

  const lockout: Lockout = deps.redis
    ? new RedisLockout(deps.redis, { prefix: deps.lockPrefix ?? 'pandu:status:lock:', policy: s.lockout })
    : new MemoryLockout(s.lockout);

  return {
    effects: { [STATUS_EFFECT]: createStatusEffect({ provider, lockout, hasher, logger }) },
    provider,
    lockout,
    hasher,
    close: () => provider.close(),
  };
}

/**
 * Synchronous set-up for tests and tools that cannot await (e.g. test/support/app.ts
 * testRuntime): the `statusLookup` effect over a CSV (default: the demo file) with the in-memory
 * lockout. The file is read on first use; a file that cannot be read makes lookups "unavailable".
 */
export function fileStatusEffects(opts: { file?: string; logger?: Logger; lockout?: Lockout; secret?: string } = {}): Record<string, EffectHandler> {
  const hasher = createHasher(opts.secret ?? randomSecret());
  let loading: Promise<StatusProvider> | undefined;
  const provider: StatusProvider = {
    kind: 'file',
    async lookup(nikHash) {
      loading ??= loadFileProvider(opts.file ?? DEMO_STATUS_FILE, hasher).then((l) => l.provider);
      let p: StatusProvider;
      try {
        p = await loading;
      } catch (err) {
        throw new ProviderUnavailableError(`status file: ${(err as Error).message}`);
      }
      return p.lookup(nikHash);
    },
    close: async () => undefined,
  };
  return { [STATUS_EFFECT]: createStatusEffect({ provider, lockout: opts.lockout ?? new MemoryLockout(), hasher, logger: opts.logger }) };
}
