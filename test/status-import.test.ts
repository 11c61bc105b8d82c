// `npm run status:import`: bad rows reported by line number without stopping, good rows
// imported, a rerun updates, and the errors that stop it (header, secret, Redis).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runStatusImport } from '../src/cli/status-import.ts';
import { createHasher } from '../src/prakerja/status/hash.ts';
import { metaKey } from '../src/prakerja/status/redis-layout.ts';
import { RedisStatusProvider } from '../src/prakerja/status/redis-provider.ts';
import { DEMO_CSV, TEST_SECRET } from './status-helpers.ts';

const hasher = createHasher(TEST_SECRET);
const HEADER = 'nik,card_number,phone,name,status,reason,amount,scheduled_date,paid_date';
let redis: Redis;
let url: string;
let dir: string;
let n = 0;
const prefixes: string[] = [];

function newPrefix(): string {
  const p = `test:status:import:${process.pid}:${++n}:`;
  prefixes.push(p);
  return p;
}

function sink(): { stream: Writable & { isTTY?: boolean }; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(c, _e, cb) {
      chunks.push(String(c));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function run(args: string[], env: NodeJS.ProcessEnv = { STATUS_HMAC_SECRET: TEST_SECRET }) {
  const out = sink();
  const err = sink();
  const code = await runStatusImport(args, env, { stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

function file(name: string, lines: string[]): string {
  const p = join(dir, name);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

beforeAll(() => {
  url = inject('redisUrl');
  redis = new Redis(url, { maxRetriesPerRequest: 1 });
  dir = mkdtempSync(join(tmpdir(), 'pandu-status-import-'));
});
afterAll(async () => {
  for (const p of prefixes) {
    const keys = await redis.keys(`${p}*`);
    if (keys.length) await redis.del(...keys);
  }
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

describe('status:import', () => {
  it('imports good rows, reports bad rows by line number without stopping, and summarises', async () => {
    const prefix = newPrefix();
    const csv = file('mixed.csv', [
      '# fictional test data', // line 1
      HEADER, // line 2
      '3201010101909901,9999000000000001,080000000001,Budi Santoso,Dijadwalkan,,600000,2024-03-01,', // 3 ok
      '3201010101909902,12345,,Ani,Gagal,,,,', // 4 bad card
      '3201010101909903,9999000000000003,,Citra Dewi,Gagal,ewallet_limit,600000,,', // 5 ok
      '3201010101909904,9999000000000004,,Dodi,Berhasil,,,,', // 6 bad status
      '3201010101909905,9999000000000005,,Eka,paid,,600000,,', // 7 paid without date
      '3201010101909906,9999000000000006,,Fajar,Gagal,,,', // 8 column count
      '', // 9 empty, skipped
      '3201010101909907,9999000000000007,,"Gita ""G"" Sari",Belum diproses,,,,', // 10 ok (quoted)
      '3201019901909908,9999000000000008,,Hadi,Gagal,,,,', // 11 bad date
      '3201010101909909,9999000000000009,,Indah,Gagal,,,2024-02-30,', // 12 impossible date
    ]);
    const r = await run([csv, '--redis-url', url, '--prefix', prefix, '--no-progress']);
    expect(r.code).toBe(2);
    for (const [line, what] of [
      [4, 'card_number: must be 16 digits'],
      [6, 'status: expected one of'],
      [7, 'paid_date: is required when status is paid'],
      [8, 'wrong number of columns'],
      [11, 'nik: digits 7-12'],
      [12, 'scheduled_date: expected a date'],
    ] as const) {
      expect(r.stderr).toContain(`line ${line}: ${what}`);
    }
    expect(r.stdout).toMatch(/Imported 3 rows into .* 6 bad rows skipped \(lines 4, 6, 7, 8, 11, 12\)/);
    // Nothing personal in the output.
    expect(r.stdout + r.stderr).not.toMatch(/32010101019099|99990000000000|Santoso/);

    const p = new RedisStatusProvider(redis, { prefix, hasher });
    expect(await p.lookup(hasher.nikHash('3201010101909901'))).toMatchObject({ status: 'dijadwalkan', name: 'Budi S.' });
    expect(await p.lookup(hasher.nikHash('3201010101909903'))).toMatchObject({ status: 'gagal', reason: 'ewallet_limit' });
    expect(await p.lookup(hasher.nikHash('3201010101909907'))).toMatchObject({ status: 'belum_diproses', name: 'Gita G. S.' });
    expect(await p.lookup(hasher.nikHash('3201010101909904'))).toBeNull();
    // No key holds a NIK, card or phone number.
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.join(' ')).not.toMatch(/\d{10,}/);
  });

  it('a rerun updates records in place and keeps the buckets', async () => {
    const prefix = newPrefix();
    const v1 = file('v1.csv', [HEADER, '3201010101909901,9999000000000001,,Budi,Dalam pengecekan,,,,', '3201010101909902,9999000000000002,,Ani,Gagal,,,,']);
    const v2 = file('v2.csv', [HEADER, '3201010101909901,9999000000000001,,Budi,Dijadwalkan,,600000,2024-05-01,', '3201010101909903,9999000000000003,,Citra,Belum diproses,,,,']);
    expect((await run([v1, '--redis-url', url, '--prefix', prefix, '--no-progress'])).code).toBe(0);
    const bits = await redis.hget(metaKey(prefix), 'bits');
    const again = await run([v2, '--redis-url', url, '--prefix', prefix, '--no-progress', '--expected-rows', '100000000']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Updated 2 rows/);
    expect(await redis.hget(metaKey(prefix), 'bits')).toBe(bits);
    const p = new RedisStatusProvider(redis, { prefix, hasher });
    expect(await p.lookup(hasher.nikHash('3201010101909901'))).toMatchObject({ status: 'dijadwalkan', amount: 600000, scheduledDate: '2024-05-01' });
    expect(await p.lookup(hasher.nikHash('3201010101909902'))).toMatchObject({ status: 'gagal' }); // kept
    expect(await p.lookup(hasher.nikHash('3201010101909903'))).toMatchObject({ status: 'belum_diproses' }); // added
    // Running the same file twice changes nothing.
    const before = await redis.keys(`${prefix}b:*`);
    expect((await run([v2, '--redis-url', url, '--prefix', prefix, '--no-progress'])).code).toBe(0);
    expect((await redis.keys(`${prefix}b:*`)).sort()).toEqual(before.sort());
  });

  it('imports the demo file with a progress bar on stderr', async () => {
    const prefix = newPrefix();
    const r = await run([DEMO_CSV, '--redis-url', url, '--prefix', prefix]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Imported 20 rows/);
    expect(r.stderr).toMatch(/100% \| 20 rows \| [\d,]+ rows\/s \| 0 bad \| ETA/);
  });

  it('stops on a wrong header, a missing or different secret, or no Redis', async () => {
    const prefix = newPrefix();
    const bad = file('header.csv', ['nik,kartu,name,status', '3201010101909901,1,Budi,Gagal']);
    const h = await run([bad, '--redis-url', url, '--prefix', prefix, '--no-progress']);
    expect(h.code).toBe(1);
    expect(h.stderr).toMatch(/line 1 \(header\): unknown column\(s\) "kartu"/);

    const none = await run([DEMO_CSV, '--redis-url', url, '--prefix', prefix], {});
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/STATUS_HMAC_SECRET must be set/);

    expect((await run([DEMO_CSV, '--redis-url', url, '--prefix', prefix, '--no-progress'])).code).toBe(0);
    const other = await run([DEMO_CSV, '--redis-url', url, '--prefix', prefix, '--no-progress'], { STATUS_HMAC_SECRET: 'a-different-secret-123456' });
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/different STATUS_HMAC_SECRET/);

    const noRedis = await run([DEMO_CSV, '--no-progress']);
    expect(noRedis.code).toBe(1);
    expect(noRedis.stderr).toMatch(/--redis-url or set STATUS_REDIS_URL or REDIS_URL/);

    const missing = await run([join(dir, 'nope.csv'), '--redis-url', url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Cannot read .*ENOENT/);
  });

  it('runs as a command (tsx), with the URL from REDIS_URL (a blank STATUS_REDIS_URL, as in .env.example, is unset)', async () => {
    const prefix = newPrefix();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/status-import.ts', DEMO_CSV, '--prefix', prefix, '--no-progress'], {
      env: { ...process.env, REDIS_URL: url, STATUS_REDIS_URL: '', STATUS_HMAC_SECRET: TEST_SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/Imported 20 rows/);
  });
});
