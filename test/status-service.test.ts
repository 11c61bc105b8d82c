// The statusLookup effect on its own (with the Redis lockout), the settings and the assembly.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createStatusService, loadStatusSettings, StatusSettingsError, STATUS_EFFECT } from '../src/prakerja/status/index.ts';
import { createHasher } from '../src/prakerja/status/hash.ts';
import { MemoryLockout, RedisLockout, type Lockout } from '../src/prakerja/status/lockout.ts';
import type { StatusProvider } from '../src/prakerja/status/provider.ts';
import { statusLookup, type StatusServiceOptions } from '../src/prakerja/status/service.ts';
import { DEMO, demoProvider, TEST_SECRET } from './status-helpers.ts';
import { useTestRedis } from './support/test-redis.ts';

const hasher = createHasher(TEST_SECRET);
const who = (userId: string, channel = 'telegram') => ({ channel, userId });
const db = useTestRedis('status:svc');

async function options(lockout?: Lockout, provider?: StatusProvider): Promise<StatusServiceOptions> {
  return { provider: provider ?? (await demoProvider(hasher)), lockout: lockout ?? new MemoryLockout(), hasher };
}

describe('statusLookup', () => {
  it('finds by card and by phone, in any common phone format', async () => {
    const o = await options();
    const card = await statusLookup(o, { op: 'lookup', nik: DEMO.gagal.nik, factor: 'card', value: '9999-0000-0000-0005' }, who('1'));
    expect(card).toEqual({ kind: 'found', record: { status: 'gagal', reason: 'ewallet_not_kyc', name: 'Joko C. W.', amount: 600000, scheduledDate: '2024-01-15' } });
    for (const phone of ['+62 800-0000-0005', '080000000005', '6280000000005']) {
      expect((await statusLookup(o, { op: 'lookup', nik: DEMO.gagal.nik, factor: 'phone', value: phone }, who('2'))).kind).toBe('found');
    }
  });

  it('never returns the tags, and the record it returns carries only what the answer shows', async () => {
    const r = await statusLookup(await options(), { op: 'lookup', nik: DEMO.dijadwalkan.nik, factor: 'card', value: DEMO.dijadwalkan.card }, who('3'));
    expect(JSON.stringify(r)).not.toMatch(/Tag|[0-9a-f]{16}/);
  });

  it('refuses arguments that are not a NIK or a factor, without counting', async () => {
    const lockout = new MemoryLockout();
    const o = await options(lockout);
    expect(await statusLookup(o, { op: 'lookup', nik: '123', factor: 'card', value: DEMO.gagal.card }, who('4'))).toEqual({ kind: 'invalid' });
    expect(await statusLookup(o, { op: 'lookup', nik: DEMO.gagal.nik, factor: 'card', value: '12' }, who('4'))).toEqual({ kind: 'invalid' });
    expect(await statusLookup(o, { op: 'lookup', nik: DEMO.gagal.nik, factor: 'email', value: 'x' }, who('4'))).toEqual({ kind: 'invalid' });
    expect(await statusLookup(o, null, who('4'))).toEqual({ kind: 'invalid' });
    expect((await lockout.fail({ user: hasher.tag('user', 'telegram:4') })).attemptsLeft).toBe(4);
  });

  it('with the Redis lockout: per user across NIKs, and per NIK across users', async () => {
    const prefix = db.prefix();
    const o = await options(new RedisLockout(db.redis, { prefix }));
    // One user, five different NIKs, wrong each time: that user is locked.
    const niks = [DEMO.gagal.nik, DEMO.paid.nik, DEMO.belumDiproses.nik, DEMO.danaTertahan.nik, DEMO.dalamPengecekan.nik];
    const kinds = [];
    for (const nik of niks) kinds.push((await statusLookup(o, { op: 'lookup', nik, factor: 'card', value: '1111222233334444' }, who('spray'))).kind);
    expect(kinds).toEqual(['notVerified', 'notVerified', 'notVerified', 'notVerified', 'locked']);
    expect((await statusLookup(o, { op: 'precheck', nik: DEMO.dijadwalkan.nik }, who('spray'))).kind).toBe('locked');
    // The same user on another channel is another user.
    expect((await statusLookup(o, { op: 'precheck', nik: DEMO.dijadwalkan.nik }, who('spray', 'whatsapp'))).kind).toBe('clear');

    // Five users, one NIK: the NIK is locked for a sixth user with the right card.
    for (let i = 0; i < 5; i++) await statusLookup(o, { op: 'lookup', nik: DEMO.dijadwalkan.nik, factor: 'card', value: `11112222333344${10 + i}` }, who(`u${i}`));
    const r = await statusLookup(o, { op: 'lookup', nik: DEMO.dijadwalkan.nik, factor: 'card', value: DEMO.dijadwalkan.card }, who('owner'));
    expect(r.kind).toBe('locked');
    if (r.kind === 'locked') expect(r.until - Date.now()).toBeGreaterThan(3_500_000);
  });

  it('is unavailable, and shows nothing, when the lockout store is down', async () => {
    const down: Lockout = { check: async () => Promise.reject(new Error('ECONNREFUSED')), fail: async () => Promise.reject(new Error('ECONNREFUSED')) };
    let looked = 0;
    const provider: StatusProvider = { kind: 'file', lookup: async () => (looked++, null), close: async () => undefined };
    const o = await options(down, provider);
    expect(await statusLookup(o, { op: 'precheck', nik: DEMO.gagal.nik }, who('x'))).toEqual({ kind: 'unavailable' });
    expect(await statusLookup(o, { op: 'lookup', nik: DEMO.gagal.nik, factor: 'card', value: DEMO.gagal.card }, who('x'))).toEqual({ kind: 'unavailable' });
    expect(looked).toBe(0);
  });

  it('is unavailable when a failure cannot be counted', async () => {
    const lockout: Lockout = { check: async () => ({ locked: false }), fail: async () => Promise.reject(new Error('READONLY')) };
    const o = await options(lockout);
    expect(await statusLookup(o, { op: 'lookup', nik: DEMO.gagal.nik, factor: 'card', value: DEMO.dijadwalkan.card }, who('y'))).toEqual({ kind: 'unavailable' });
  });
});

describe('settings and assembly', () => {
  it('defaults to the demo file with the memory lockout, and looks up through the effect', async () => {
    const s = loadStatusSettings({});
    expect(s).toMatchObject({ provider: 'file', file: './data/status-demo.csv', redisPrefix: 'pandu:status:', lockout: { maxFailures: 5, windowMs: 3_600_000, lockMs: 3_600_000 } });
    const svc = await createStatusService(s, { logger: pino({ level: 'silent' }) });
    expect(svc.lockout).toBeInstanceOf(MemoryLockout);
    const handler = svc.effects[STATUS_EFFECT]!;
    const inbound = { channel: 'console' as const, chatId: 'c', userId: 'c', event: { type: 'text' as const, text: '' } };
    const r = await handler({ op: 'lookup', nik: DEMO.gagal.nik, factor: 'card', value: DEMO.gagal.card }, { inbound, session: {} as never });
    expect(r).toMatchObject({ kind: 'found' });
    await svc.close();
  });

  it('uses the Redis lockout when given the session Redis', async () => {
    const svc = await createStatusService(loadStatusSettings({}), { logger: pino({ level: 'silent' }), redis: db.redis, lockPrefix: db.prefix() });
    expect(svc.lockout).toBeInstanceOf(RedisLockout);
  });

  it('reports bad settings by variable', () => {
    expect(() => loadStatusSettings({ STATUS_PROVIDER: 'redis' })).toThrow(/STATUS_HMAC_SECRET: required when STATUS_PROVIDER=redis/);
    expect(() => loadStatusSettings({ STATUS_PROVIDER: 'http', STATUS_HMAC_SECRET: 'x'.repeat(20) })).toThrow(/STATUS_API_URL and STATUS_API_TOKEN are required/);
    expect(() => loadStatusSettings({ STATUS_HMAC_SECRET: 'short' })).toThrow(StatusSettingsError);
    expect(() => loadStatusSettings({ STATUS_PROVIDER: 'sql' })).toThrow(/STATUS_PROVIDER/);
    const http = loadStatusSettings({ STATUS_PROVIDER: 'http', STATUS_HMAC_SECRET: 'x'.repeat(20), STATUS_API_URL: 'https://api.example.org/status', STATUS_API_TOKEN: 't' });
    expect(http.api).toEqual({ url: 'https://api.example.org/status', token: 't', timeoutMs: 3000, retries: 2, breakerFailures: 5, breakerCooldownMs: 30_000 });
  });

  it('fails to start on a missing status file', async () => {
    await expect(createStatusService(loadStatusSettings({ STATUS_FILE: '/nonexistent/x.csv' }), { logger: pino({ level: 'silent' }) })).rejects.toThrow(/cannot load the status file/);
  });
});

describe('fileStatusEffects (synchronous set-up for test runtimes)', () => {
  it('looks up in the demo file', async () => {
    const { fileStatusEffects } = await import('../src/prakerja/status/index.ts');
    const handler = fileStatusEffects()[STATUS_EFFECT]!;
    const inbound = { channel: 'console' as const, chatId: 'c', userId: 'c', event: { type: 'text' as const, text: '' } };
    expect(await handler({ op: 'lookup', nik: DEMO.paid.nik, factor: 'card', value: DEMO.paid.card }, { inbound, session: {} as never })).toMatchObject({ kind: 'found', record: { status: 'paid', paidDate: '2024-03-05' } });
    const missing = fileStatusEffects({ file: '/nonexistent.csv' })[STATUS_EFFECT]!;
    expect(await missing({ op: 'lookup', nik: DEMO.paid.nik, factor: 'card', value: DEMO.paid.card }, { inbound, session: {} as never })).toEqual({ kind: 'unavailable' });
  });
});
