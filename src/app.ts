// Builds the parts of Pandu that every channel shares: the engine (flows, texts, actions,
// understanding), the session store and the runtime. main.ts adds the channels around it.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Engine } from './core/engine.ts';
import { loadEngine } from './core/loader.ts';
import { Runtime, type EffectHandler, type RuntimeHooks } from './core/runtime.ts';
import type { Lang } from './core/types.ts';
import { createUnderstander } from './nlu/index.ts';
import { createActions } from './prakerja/actions.ts';
import { MemorySessionStore } from './store/memory-store.ts';
import { RedisSessionStore } from './store/redis-store.ts';
import type { SessionStore } from './store/session-store.ts';

export interface EngineConfig {
  flowsDir: string;
  localesDir: string;
  policyFile: string;
  defaultLang: Lang;
}

export function buildEngine(c: EngineConfig): Engine {
  return loadEngine({
    flowsDir: c.flowsDir,
    localesDir: c.localesDir,
    actions: createActions({ policyFile: c.policyFile }),
    nlu: createUnderstander({ localesDir: c.localesDir }),
    defaultLang: c.defaultLang,
  });
}

/**
 * An ioredis client set to fail fast: a chat bot must answer "coba lagi sebentar" at once rather
 * than queue a command for a minute while Redis is away (ioredis 6 defaults to 20 retries and an
 * offline queue). It keeps reconnecting by itself, so Pandu recovers when Redis is back.
 */
export function createRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    // 0: a command whose reply was lost to a dropped connection fails at once and is never sent
    // again. ioredis would otherwise resend it after reconnecting, and a resent claim or commit
    // can undo what another process has done with the chat since (the store recovers from a
    // failed one: see src/store/redis-store.ts).
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 3_000,
    retryStrategy: (times) => Math.min(100 * times, 2_000),
    lazyConnect: false,
  });
  let down = false;
  redis.on('error', (err: Error) => {
    if (!down) logger.warn({ err: { message: err.message } }, 'redis connection problem');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('redis connection restored');
    down = false;
  });
  return redis;
}

/** Resolves when the client is ready, or after `ms` (Pandu starts anyway and answers with an apology). */
export function redisReady(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => done(false), ms);
    const done = (ok: boolean) => {
      clearTimeout(t);
      redis.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    redis.on('ready', onReady);
  });
}

export interface StoreConfig {
  redis?: Redis;
  prefix: string;
  ttlMs: number;
}

export function createSessionStore(c: StoreConfig): SessionStore {
  return c.redis ? new RedisSessionStore(c.redis, { prefix: c.prefix, ttlMs: c.ttlMs }) : new MemorySessionStore(c.ttlMs);
}

export interface RuntimeParts {
  engine: Engine;
  store: SessionStore;
  logger: Logger;
  effects?: Record<string, EffectHandler>;
  hooks?: RuntimeHooks;
}

export function createRuntime(p: RuntimeParts): Runtime {
  return new Runtime(p);
}
