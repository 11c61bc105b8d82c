// Personal data is kept no longer than the step that needs it, also when the user walks away:
// a session holding a personal answer (the NIK of a status lookup) lives 15 minutes in Redis,
// not the 30 days of an ordinary conversation. And a stray push never creates a session.
import { describe, expect, it } from 'vitest';
import { PERSONAL_TTL_MS } from '../src/core/types.ts';
import { MemorySessionStore } from '../src/store/memory-store.ts';
import { RedisSessionStore } from '../src/store/redis-store.ts';
import { testRuntime } from './support/app.ts';
import { ConsoleDriver } from './support/drivers/console.ts';
import { useTestRedis } from './support/test-redis.ts';

const DAY = 86_400_000;
const db = useTestRedis('personal-ttl');

describe('how long a session is kept', () => {
  it('15 minutes while it holds a NIK, 30 days again once the lookup dropped it', async () => {
    const prefix = db.prefix();
    const redis = db.redis;
    const { runtime } = testRuntime({ store: new RedisSessionStore(redis, { prefix, ttlMs: 30 * DAY }) });
    const user = new ConsoleDriver(runtime);
    await user.start('ani', 'status');
    await user.say('ani', 'ya');
    const key = `${prefix}s:console:ani`;
    expect(await redis.pttl(key)).toBeGreaterThan(PERSONAL_TTL_MS); // consent given, nothing personal yet
    const asked = await user.say('ani', '3201010101909901');
    expect(asked.map((r) => r.text).join('\n')).toMatch(/membuktikan/); // which factor: phone or card
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(PERSONAL_TTL_MS);
    await user.say('ani', 'menu'); // leaving the lookup drops the NIK
    expect(await redis.pttl(key)).toBeGreaterThan(29 * DAY);
    expect(await redis.get(key)).not.toContain('3201010101909901');
  });

  it('a platform retry of the NIK message (handed back unchanged) keeps the 15 minutes', async () => {
    const prefix = db.prefix();
    const redis = db.redis;
    const { runtime } = testRuntime({ store: new RedisSessionStore(redis, { prefix, ttlMs: 30 * DAY }) });
    const user = new ConsoleDriver(runtime);
    await user.start('budi', 'status');
    await user.say('budi', 'ya');
    const nik = { channel: 'console', chatId: 'budi', userId: 'budi', messageId: 'nik-1', event: { type: 'text', text: '3201010101909901' } } as const;
    expect((await runtime.handle(nik)).map((r) => r.text).join('\n')).toMatch(/membuktikan/);
    expect(await runtime.handle(nik)).toEqual([]); // the retry: dropped, the session handed back as it was
    const ttl = await redis.pttl(`${prefix}s:console:budi`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(PERSONAL_TTL_MS);
  });

  it('a push for a chat without a session (it deleted its data) stores nothing', async () => {
    const store = new MemorySessionStore(30 * DAY);
    const { runtime } = testRuntime({ store });
    const replies = await runtime.handle({
      channel: 'console',
      chatId: 'gone',
      userId: 'gone',
      event: { type: 'effect', name: 'helpdeskPush', result: { kind: 'closed', ticket: '7' } },
    });
    expect(replies).toEqual([]);
    expect(store.rawOf('console:gone')).toBeUndefined();
  });
});
