// Every StatusProvider (file, redis, http), the record's CSV schema and packed form.
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadFileProvider } from '../src/prakerja/status/file-provider.ts';
import { createHasher, sameTag } from '../src/prakerja/status/hash.ts';
import { CircuitBreaker, HttpStatusProvider } from '../src/prakerja/status/http-provider.ts';
import { importStatusCsv } from '../src/prakerja/status/import.ts';
import { ProviderUnavailableError } from '../src/prakerja/status/provider.ts';
import { CsvRowSchema, maskName, normalizeCard, normalizePhone, packRecord, STATUS_CODES, unpackRecord, type StatusRecord } from '../src/prakerja/status/record.ts';
import { locate, metaKey } from '../src/prakerja/status/redis-layout.ts';
import { RedisStatusProvider } from '../src/prakerja/status/redis-provider.ts';
import { DEMO, DEMO_CSV, TEST_SECRET } from './status-helpers.ts';
import { useTestRedis } from './support/test-redis.ts';

const hasher = createHasher(TEST_SECRET);
const h = (nik: string) => hasher.nikHash(nik);

describe('record', () => {
  it('masks names to first name plus initials, idempotently', () => {
    expect(maskName('budi santoso wijaya')).toBe('Budi S. W.');
    expect(maskName('  Siti   Nurhaliza ')).toBe('Siti N.');
    expect(maskName('Sukarno')).toBe('Sukarno');
    expect(maskName('Budi S. W.')).toBe('Budi S. W.');
    expect(maskName('Ñoño Ávila')).toBe('Ñoño Á.');
  });

  it('normalises phone and card numbers', () => {
    for (const p of ['081234567890', '+62 812-3456-7890', '6281234567890', '(0812) 3456 7890', '81234567890']) expect(normalizePhone(p)).toBe('6281234567890');
    expect(normalizePhone('12345')).toBeNull();
    expect(normalizePhone('0812abc')).toBeNull();
    expect(normalizeCard('9999 0000 0000 0001')).toBe('9999000000000001');
    expect(normalizeCard('9999-0000-0000-001')).toBeNull();
  });

  it('packs and unpacks a record losslessly, in at most 64 bytes', () => {
    const r: StatusRecord = {
      status: 'dana_tertahan',
      reason: 'phone_expired',
      phoneTag: hasher.tag('phone', '6281234567890'),
      cardTag: hasher.tag('card', '9999000000000001'),
      name: 'Muhammad Rizky Aditya Pratama Nugroho Saputra',
      amount: 600000,
      scheduledDate: '2024-02-20',
      paidDate: '2024-03-05',
    };
    const buf = packRecord(r);
    expect(buf.length).toBeLessThanOrEqual(64);
    expect(unpackRecord(buf)).toEqual({ ...r, name: 'Muhammad R. A. P. N.' });
    for (const status of STATUS_CODES) expect(unpackRecord(packRecord({ status, name: 'A' }))).toEqual({ status, name: 'A' });
    expect(unpackRecord(Buffer.from('garbage'))).toBeNull();
  });

  it('validates CSV rows and names the column, never the value', () => {
    const ok = CsvRowSchema.safeParse({ nik: '3201010101909901', card_number: '9999000000000001', phone: '', name: 'Budi', status: 'Sedang diproses', amount: 'Rp600.000' });
    expect(ok.success && ok.data).toMatchObject({ status: 'dijadwalkan', amount: 600000, phone: undefined });
    const bad = CsvRowSchema.safeParse({ nik: '9901010101909901', card_number: '', phone: '', name: '', status: 'Berhasil', paid_date: '2024-13-01' });
    expect(bad.success).toBe(false);
    const text = JSON.stringify(bad.error?.issues);
    expect(text).not.toContain('9901010101909901');
    expect(text).not.toContain('Berhasil');
  });

  it('compares tags in constant time and never matches a missing one', () => {
    const t = hasher.tag('card', '9999000000000001');
    expect(sameTag(t, t)).toBe(true);
    expect(sameTag(t, hasher.tag('card', '9999000000000002'))).toBe(false);
    expect(sameTag(t, undefined)).toBe(false);
    expect(sameTag(undefined, undefined)).toBe(false);
    expect(sameTag('', '')).toBe(false);
  });
});

describe('file provider', () => {
  it('loads the demo file: 20 records covering every status', async () => {
    const load = await loadFileProvider(DEMO_CSV, hasher);
    expect(load.rows).toBe(20);
    expect(load.bad).toEqual([]);
    const seen = new Set<string>();
    for (const line of (await import('node:fs')).readFileSync(DEMO_CSV, 'utf8').split('\n')) {
      const nik = line.split(',')[0]!;
      if (!/^\d{16}$/.test(nik)) continue;
      const r = await load.provider.lookup(h(nik));
      expect(r).not.toBeNull();
      seen.add(r!.status);
    }
    expect([...seen].sort()).toEqual([...STATUS_CODES].sort());
  });

  it('finds a record by the NIK hash only, with tags and a masked name', async () => {
    const { provider } = await loadFileProvider(DEMO_CSV, hasher);
    const r = await provider.lookup(h(DEMO.dijadwalkan.nik));
    expect(r).toEqual({
      status: 'dijadwalkan',
      name: 'Budi C. S.',
      amount: 600000,
      scheduledDate: '2024-03-01',
      cardTag: hasher.tag('card', DEMO.dijadwalkan.card),
      phoneTag: hasher.tag('phone', normalizePhone(DEMO.dijadwalkan.phone)!),
    });
    expect(await provider.lookup(h(DEMO.absent.nik))).toBeNull();
    expect(await provider.lookup(DEMO.dijadwalkan.nik)).toBeNull(); // the NIK itself is no key
  });

  it('skips bad rows and reports them by line number', async () => {
    const csv = [
      '# a comment',
      'nik,card_number,phone,name,status,amount',
      '3201010101909901,9999000000000001,,Budi,Dijadwalkan,600000', // line 3 ok
      '9901010101909901,9999000000000001,,Budi,Gagal,', // line 4 province
      '3201010101909902,,,Budi,Gagal,', // line 5 no factor
      '3201010101909903,9999000000000003,,Budi,Berhasil,', // line 6 label
      '3201010101909904,9999000000000004,,Budi,Gagal', // line 7 column count
      '',
      '3201013202909905,9999000000000005,,Budi,Gagal,', // line 9 date
      '3201010101909906,9999000000000006,0812345,Budi,Gagal,', // line 10 phone
    ].join('\n');
    const load = await loadFileProvider(Readable.from([csv]), hasher);
    expect(load.rows).toBe(1);
    expect(load.bad.map((b) => b.line)).toEqual([4, 5, 6, 7, 9, 10]);
    expect(load.bad[0]!.problem).toMatch(/nik: .*province/);
    expect(load.bad[1]!.problem).toMatch(/card_number or a phone/);
    expect(load.bad[2]!.problem).toMatch(/status/);
    expect(load.bad[3]!.problem).toMatch(/columns/);
    expect(load.bad[4]!.problem).toMatch(/birth date/);
    expect(load.bad[5]!.problem).toMatch(/phone/);
    expect(JSON.stringify(load.bad)).not.toMatch(/\d{10,}/);
  });

  it('refuses a wrong header with the expected columns', async () => {
    await expect(loadFileProvider(Readable.from(['nik,card_no,name,status\n']), hasher)).rejects.toThrow(/unknown column.*card_no.*Expected columns/);
  });
});

describe('redis provider', () => {
  const db = useTestRedis('status:prov');
  const newPrefix = () => db.prefix();

  it('finds imported records, and null for an unknown NIK', async () => {
    const prefix = newPrefix();
    await importStatusCsv({ input: createReadStream(DEMO_CSV), redis: db.redis, prefix, hasher, expectedRows: 20 });
    const p = new RedisStatusProvider(db.redis, { prefix, hasher });
    const file = (await loadFileProvider(DEMO_CSV, hasher)).provider;
    for (const d of [DEMO.dijadwalkan, DEMO.gagal, DEMO.paid, DEMO.belumDiproses]) {
      expect(await p.lookup(h(d.nik))).toEqual(await file.lookup(h(d.nik)));
    }
    expect(await p.lookup(h(DEMO.absent.nik))).toBeNull();
  });

  it('is unavailable (not "not found") without data, with another secret, or on a corrupt record', async () => {
    const prefix = newPrefix();
    const none = new RedisStatusProvider(db.redis, { prefix, hasher });
    await expect(none.lookup(h(DEMO.gagal.nik))).rejects.toThrow(ProviderUnavailableError);

    await importStatusCsv({ input: createReadStream(DEMO_CSV), redis: db.redis, prefix, hasher, expectedRows: 20 });
    const other = createHasher('another-secret-0123456789');
    await expect(new RedisStatusProvider(db.redis, { prefix, hasher: other }).lookup(other.nikHash(DEMO.gagal.nik))).rejects.toThrow(/different STATUS_HMAC_SECRET/);

    const bits = Number(await db.redis.hget(metaKey(prefix), 'bits'));
    const { key, field } = locate(prefix, bits, h(DEMO.gagal.nik));
    await db.redis.hset(key, field, Buffer.from([9, 9, 9]));
    await expect(new RedisStatusProvider(db.redis, { prefix, hasher }).lookup(h(DEMO.gagal.nik))).rejects.toThrow(/could not be read/);
  });

  it('is unavailable when Redis is unreachable', async () => {
    const dead = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    dead.on('error', () => undefined);
    const p = new RedisStatusProvider(dead, { prefix: newPrefix(), hasher, ownsClient: true });
    await expect(p.lookup(h(DEMO.gagal.nik))).rejects.toThrow(ProviderUnavailableError);
    await p.close();
    dead.disconnect();
  });
});

// ---------------------------------------------------------------------------------------------

type Mode = 'ok' | 'notFound' | 'slow' | 'slowBody' | 'error500' | 'malformed' | 'wrongShape' | 'flaky';

describe('http provider', () => {
  let server: Server;
  let url: string;
  let mode: Mode = 'ok';
  let requests = 0;
  let bodies: string[] = [];
  let auth: (string | undefined)[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const record = { status: 'Dijadwalkan', name: 'Budi Santoso', phoneTag: hasher.tag('phone', '6280000000001'), cardTag: hasher.tag('card', DEMO.dijadwalkan.card), amount: 600000, scheduledDate: '2024-03-01' };

  const later = (ms: number, f: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      f();
    }, ms);
    timers.add(t);
  };

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        requests++;
        bodies.push(body);
        auth.push(req.headers.authorization);
        if (req.headers.authorization !== 'Bearer tok-123') {
          res.writeHead(401).end();
          return;
        }
        const json = (status: number, data: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(data));
        switch (mode) {
          case 'ok':
            return json(200, record);
          case 'notFound':
            return json(404, { error: 'not found' });
          case 'slow':
            return later(1_000, () => json(200, record));
          case 'slowBody':
            res.writeHead(200, { 'content-type': 'application/json' });
            res.write('{"status":');
            return later(1_000, () => res.end('"Gagal","name":"A"}'));
          case 'error500':
            return json(500, { error: 'boom' });
          case 'malformed':
            return res.writeHead(200, { 'content-type': 'application/json' }).end('{"status": "Dijadwalkan", "name": ');
          case 'wrongShape':
            return json(200, { status: 'Berhasil', name: 'A' });
          case 'flaky':
            return requests % 2 === 1 ? json(503, {}) : json(200, record);
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/status/lookup`;
  });
  afterAll(async () => {
    for (const t of timers) clearTimeout(t);
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    mode = 'ok';
    requests = 0;
    bodies = [];
    auth = [];
  });

  const provider = (o: Partial<ConstructorParameters<typeof HttpStatusProvider>[0]> = {}) =>
    new HttpStatusProvider({ url, token: 'tok-123', timeoutMs: 150, retries: 2, backoffMs: 5, ...o });

  it('posts the NIK hash (never the NIK) with the bearer token and validates the answer', async () => {
    const r = await provider().lookup(h(DEMO.dijadwalkan.nik));
    expect(r).toMatchObject({ status: 'dijadwalkan', name: 'Budi Santoso', amount: 600000 });
    expect(JSON.parse(bodies[0]!)).toEqual({ nikHash: h(DEMO.dijadwalkan.nik) });
    expect(bodies[0]).not.toContain(DEMO.dijadwalkan.nik);
    expect(auth[0]).toBe('Bearer tok-123');
  });

  it('returns null on 404', async () => {
    mode = 'notFound';
    expect(await provider().lookup(h(DEMO.absent.nik))).toBeNull();
    expect(requests).toBe(1);
  });

  it('times out a slow answer after the timeout, retries, then gives up', async () => {
    mode = 'slow';
    const t = performance.now();
    await expect(provider().lookup(h(DEMO.gagal.nik))).rejects.toThrow(/no answer within 150 ms/);
    expect(requests).toBe(3);
    expect(performance.now() - t).toBeLessThan(2_500); // 3 x 1 s if the timeout did not work
  });

  it('times out a body that stalls after the headers', async () => {
    mode = 'slowBody';
    await expect(provider({ retries: 0 }).lookup(h(DEMO.gagal.nik))).rejects.toThrow(/no answer within/);
    expect(requests).toBe(1);
  });

  it('retries 500s with backoff, then is unavailable', async () => {
    mode = 'error500';
    await expect(provider().lookup(h(DEMO.gagal.nik))).rejects.toThrow(/HTTP 500/);
    expect(requests).toBe(3);
  });

  it('recovers when a retry succeeds', async () => {
    mode = 'flaky';
    expect(await provider().lookup(h(DEMO.gagal.nik))).toMatchObject({ status: 'dijadwalkan' });
    expect(requests).toBe(2);
  });

  it('does not retry malformed JSON or a wrong shape, and is unavailable', async () => {
    mode = 'malformed';
    await expect(provider().lookup(h(DEMO.gagal.nik))).rejects.toThrow(/not valid JSON/);
    expect(requests).toBe(1);
    mode = 'wrongShape';
    await expect(provider().lookup(h(DEMO.gagal.nik))).rejects.toThrow(/does not match/);
    expect(requests).toBe(2);
  });

  it('does not retry a 401 (wrong token)', async () => {
    await expect(provider({ token: 'wrong' }).lookup(h(DEMO.gagal.nik))).rejects.toThrow(/HTTP 401/);
    expect(requests).toBe(1);
  });

  it('is unavailable when nothing listens', async () => {
    const p = new HttpStatusProvider({ url: 'http://127.0.0.1:1/x', token: 't', timeoutMs: 200, retries: 1, backoffMs: 1 });
    await expect(p.lookup(h(DEMO.gagal.nik))).rejects.toThrow(/network error/);
  });

  it('opens the circuit after consecutive failures, then lets one trial through after the cool-down', async () => {
    const clock = { now: 0 };
    const p = provider({ retries: 0, breaker: { failures: 3, cooldownMs: 10_000 }, now: () => clock.now });
    mode = 'error500';
    for (let i = 0; i < 3; i++) await expect(p.lookup(h(DEMO.gagal.nik))).rejects.toThrow(ProviderUnavailableError);
    expect(requests).toBe(3);
    expect(p.breaker.state).toBe('open');
    await expect(p.lookup(h(DEMO.gagal.nik))).rejects.toThrow(/circuit open/);
    expect(requests).toBe(3); // failed at once, no request
    clock.now += 10_000;
    expect(p.breaker.state).toBe('halfOpen');
    await expect(p.lookup(h(DEMO.gagal.nik))).rejects.toThrow(/HTTP 500/); // the trial fails: open again
    expect(requests).toBe(4);
    expect(p.breaker.state).toBe('open');
    clock.now += 10_000;
    mode = 'ok';
    expect(await p.lookup(h(DEMO.gagal.nik))).toMatchObject({ status: 'dijadwalkan' });
    expect(p.breaker.state).toBe('closed');
  });
});

describe('circuit breaker', () => {
  it('lets only one trial through while half-open', () => {
    const clock = { now: 0 };
    const b = new CircuitBreaker({ failures: 1, cooldownMs: 100, now: () => clock.now });
    expect(b.tryAcquire()).toBe(true);
    b.failure();
    expect(b.tryAcquire()).toBe(false);
    clock.now = 100;
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.success();
    expect(b.tryAcquire()).toBe(true);
  });
});
