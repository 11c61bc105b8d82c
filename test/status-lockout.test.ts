// One lockout contract, two implementations (memory, Redis): 5 failures within an hour, for the
// same user or for the same NIK across users, lock further lookups for an hour.
import { describe, expect, it } from 'vitest';
import { MemoryLockout, RedisLockout, type Lockout, type LockoutPolicy } from '../src/prakerja/status/lockout.ts';
import { useTestRedis } from './support/test-redis.ts';

const HOUR = 3_600_000;
const db = useTestRedis('status:lock');

interface Subject {
  lockout: Lockout;
  /** Let time pass (memory: the clock; Redis: PTTLs are real, so tests use short windows there). */
  advance(ms: number): Promise<void>;
  /** Window/lock lengths this subject uses. */
  unit: number;
}

const subjects: Record<string, (policy?: Partial<LockoutPolicy>) => Subject> = {
  memory: (policy) => {
    const clock = { now: 1_000_000 };
    return { lockout: new MemoryLockout({ ...policy }, () => clock.now), advance: async (ms) => void (clock.now += ms), unit: HOUR };
  },
  redis: (policy) => {
    const prefix = db.prefix();
    // Real time in Redis: an "hour" of 1 s (long enough for a loaded machine to fail 5 times in it).
    const unit = 1_000;
    return {
      lockout: new RedisLockout(db.redis, { prefix, policy: { windowMs: unit, lockMs: unit, ...policy } }),
      advance: (ms) => new Promise((r) => setTimeout(r, (ms / HOUR) * unit + 30)),
      unit,
    };
  },
};

for (const [name, make] of Object.entries(subjects)) {
  describe(`${name} lockout`, () => {
    it('locks a user after 5 failures, counting down the attempts left', async () => {
      const { lockout } = make();
      const keys = { user: 'u1', nik: 'nikA' };
      const left: number[] = [];
      for (let i = 0; i < 4; i++) left.push((await lockout.fail({ user: 'u1', nik: `nik${i}` })).attemptsLeft);
      expect(left).toEqual([4, 3, 2, 1]);
      expect(await lockout.check(keys)).toEqual({ locked: false });
      const last = await lockout.fail({ user: 'u1', nik: 'nik9' });
      expect(last.attemptsLeft).toBe(0);
      expect(last.lockedUntil).toBeGreaterThan(0);
      const st = await lockout.check({ user: 'u1', nik: 'fresh' });
      expect(st.locked).toBe(true);
      // Another user is not locked (the NIKs tried were all different).
      expect(await lockout.check({ user: 'u2', nik: 'nik0' })).toEqual({ locked: false });
    });

    it('locks a NIK after 5 failures across different users', async () => {
      const { lockout } = make();
      for (let i = 0; i < 4; i++) expect((await lockout.fail({ user: `user${i}`, nik: 'target' })).lockedUntil).toBeUndefined();
      expect((await lockout.fail({ user: 'user4', nik: 'target' })).lockedUntil).toBeDefined();
      expect((await lockout.check({ user: 'newcomer', nik: 'target' })).locked).toBe(true);
      expect((await lockout.check({ user: 'newcomer', nik: 'other' })).locked).toBe(false);
      expect((await lockout.check({ user: 'newcomer' })).locked).toBe(false);
    });

    it('forgets failures after the window, and the lock after its hour', async () => {
      const s = make();
      for (let i = 0; i < 4; i++) await s.lockout.fail({ user: 'u', nik: `n${i}` });
      await s.advance(HOUR);
      // The window passed: counting starts again.
      expect((await s.lockout.fail({ user: 'u', nik: 'x' })).attemptsLeft).toBe(4);
      for (let i = 0; i < 4; i++) await s.lockout.fail({ user: 'u', nik: `y${i}` });
      expect((await s.lockout.check({ user: 'u' })).locked).toBe(true);
      await s.advance(HOUR);
      expect((await s.lockout.check({ user: 'u' })).locked).toBe(false);
    });

    it('reports the lock end about an hour ahead', async () => {
      const s = make();
      const before = Date.now();
      for (let i = 0; i < 5; i++) await s.lockout.fail({ user: 'late' });
      const st = await s.lockout.check({ user: 'late' });
      expect(st.locked).toBe(true);
      if (st.locked && name === 'redis') {
        expect(st.until - before).toBeGreaterThan(s.unit * 0.5);
        expect(st.until - before).toBeLessThanOrEqual(s.unit + 2_000);
      }
    });
  });
}

describe('redis lockout under concurrency', () => {
  it('counts every failure exactly once when many arrive at once', async () => {
    const prefix = db.prefix();
    const lockout = new RedisLockout(db.redis, { prefix, policy: { maxFailures: 50 } });
    const results = await Promise.all(Array.from({ length: 49 }, (_, i) => lockout.fail({ user: `u${i}`, nik: 'same' })));
    expect(results.every((r) => r.lockedUntil === undefined)).toBe(true);
    expect(Math.min(...results.map((r) => r.attemptsLeft))).toBe(1);
    expect((await lockout.fail({ user: 'last', nik: 'same' })).lockedUntil).toBeDefined();
    // The lock key expires by itself (no key without a TTL is left behind).
    for (const k of await db.redis.keys(`${prefix}*`)) expect(await db.redis.pttl(k)).toBeGreaterThan(0);
  });
});
