// A connection to the throwaway redis-server of this test run (test/global-setup.ts), opened
// before the file's tests and closed after them, with fresh key prefixes whose keys are removed
// at the end. Call at the top level of a test file (or of a describe block).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';

export interface TestRedis {
  /** The connection (available inside tests and hooks). */
  readonly redis: Redis;
  /** A key prefix no other test uses; its keys are deleted after the file's tests. */
  prefix(): string;
}

export function useTestRedis(label: string): TestRedis {
  let redis: Redis | undefined;
  let n = 0;
  const prefixes: string[] = [];
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
  });
  afterAll(async () => {
    if (!redis) return;
    for (const p of prefixes) {
      const keys = await redis.keys(`${p}*`);
      if (keys.length) await redis.del(...keys);
    }
    await redis.quit();
  });
  return {
    get redis() {
      if (!redis) throw new Error('useTestRedis: the connection exists only inside tests and hooks');
      return redis;
    },
    prefix() {
      const p = `test:${label}:${process.pid}:${++n}:`;
      prefixes.push(p);
      return p;
    },
  };
}
