// Benchmark of `npm run status:import` at scale: generates N synthetic participant rows (default
// 1,000,000) into a temporary CSV, starts its own throwaway redis-server on a free loopback port
// (never 6379), imports the file with the real command (progress bar on stderr), then prints the
// import rate, Redis bytes per record (INFO memory used_memory delta / rows), the peak RSS of
// this process during the import (flat memory), and a sample of lookups through the provider.
//
//   npx tsx bench/status-import.ts [rows]
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { runStatusImport } from '../src/cli/status-import.ts';
import { PROVINCE_CODES } from '../src/prakerja/nik.ts';
import { createHasher } from '../src/prakerja/status/hash.ts';
import { RedisStatusProvider } from '../src/prakerja/status/redis-provider.ts';
import { readMeta } from '../src/prakerja/status/redis-layout.ts';
import { startRedis } from '../test/support/redis-server.ts';

const N = Number(process.argv[2] ?? 1_000_000);
if (!Number.isSafeInteger(N) || N < 1) throw new Error('usage: bench/status-import.ts [rows]');
const SECRET = 'bench-secret-not-for-production';
const PREFIX = 'bench:status:';

const FIRST = ['Budi', 'Siti', 'Agus', 'Dewi', 'Joko', 'Rina', 'Andi', 'Putri', 'Hendra', 'Nur', 'Slamet', 'Wulan', 'Yusuf', 'Maya', 'Rudi', 'Muhammad'];
const LAST = ['Santoso', 'Rahayu', 'Pratama', 'Lestari', 'Widodo', 'Marlina', 'Gunawan', 'Aini', 'Riyadi', 'Sari', 'Hidayat', 'Anggraini', 'Hartono', 'Susanti'];
const STATUS = ['Dijadwalkan', 'Dalam pengecekan', 'Dana tertahan', 'Belum diproses', 'Gagal', 'paid'];
const PROVINCES = Object.keys(PROVINCE_CODES);
const DAY = 86_400_000;
const BASE = Date.UTC(1960, 0, 1);

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** The i-th synthetic row: unique NIK (birth day from i / 9999, serial from i % 9999). */
function row(i: number): { line: string; nik: string; card: string } {
  const serial = (i % 9999) + 1;
  const birth = new Date(BASE + Math.floor(i / 9999) * DAY);
  const female = i % 2 === 1;
  const dd = birth.getUTCDate() + (female ? 40 : 0);
  const prov = PROVINCES[i % PROVINCES.length]!;
  const nik = `${prov}${pad((i % 79) + 1, 2)}${pad((i % 39) + 1, 2)}${pad(dd, 2)}${pad(birth.getUTCMonth() + 1, 2)}${pad(birth.getUTCFullYear() % 100, 2)}${pad(serial, 4)}`;
  const card = `9${pad(i, 15)}`;
  const phone = `08${pad(i, 10)}`;
  const name = `${FIRST[i % FIRST.length]} ${LAST[(i >> 4) % LAST.length]} ${LAST[(i >> 8) % LAST.length]}`;
  const status = STATUS[i % STATUS.length]!;
  const paid = status === 'paid' ? '2024-03-05' : '';
  const sched = i % 3 === 0 ? '2024-03-01' : '';
  const amount = i % 4 === 0 ? '' : '600000';
  return { line: `${nik},${card},${phone},${name},${status},,${amount},${sched},${paid}\n`, nik, card };
}

async function generate(path: string): Promise<void> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  out.write('nik,card_number,phone,name,status,reason,amount,scheduled_date,paid_date\n');
  let chunk = '';
  for (let i = 0; i < N; i++) {
    chunk += row(i).line;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pandu-status-bench-'));
  const csv = join(dir, 'participants.csv');
  const server = await startRedis();
  const redis = new Redis(server.url, { maxRetriesPerRequest: 3 });
  try {
    let t = performance.now();
    await generate(csv);
    const size = statSync(csv).size;
    process.stdout.write(`generated ${N.toLocaleString('en-US')} rows (${(size / 1e6).toFixed(1)} MB) in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);

    const before = await usedMemory(redis);
    let peakRss = process.memoryUsage().rss;
    const rssBefore = peakRss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
    t = performance.now();
    const code = await runStatusImport([csv, '--redis-url', server.url, '--prefix', PREFIX, '--expected-rows', String(N)], { STATUS_HMAC_SECRET: SECRET }, {
      stdout: process.stdout,
      stderr: process.stderr,
    });
    const secs = (performance.now() - t) / 1000;
    clearInterval(sampler);
    if (code !== 0) throw new Error(`import exited with ${code}`);
    const after = await usedMemory(redis);
    const meta = await readMeta(redis, PREFIX);
    const buckets = 2 ** (meta?.bits ?? 0);

    // Encodings of a few buckets: listpack is the compact one.
    const enc = new Map<string, number>();
    for (let b = 0; b < Math.min(buckets, 200); b++) {
      const e = String(await redis.object('ENCODING', `${PREFIX}b:${b.toString(36)}`));
      enc.set(e, (enc.get(e) ?? 0) + 1);
    }

    // Lookups through the provider, with verification data present.
    const hasher = createHasher(SECRET);
    const provider = new RedisStatusProvider(redis, { prefix: PREFIX, hasher });
    const M = Math.min(N, 2000);
    let found = 0;
    let matched = 0;
    t = performance.now();
    for (let k = 0; k < M; k++) {
      const i = Math.floor((k * N) / M);
      const { nik, card } = row(i);
      const r = await provider.lookup(hasher.nikHash(nik));
      if (r) found++;
      if (r?.cardTag === hasher.tag('card', card)) matched++;
    }
    const lookupMs = (performance.now() - t) / M;

    const line = (k: string, v: string) => process.stdout.write(`${k.padEnd(26)} ${v}\n`);
    process.stdout.write('\n');
    line('rows', N.toLocaleString('en-US'));
    line('import time', `${secs.toFixed(1)} s`);
    line('import rate', `${Math.round(N / secs).toLocaleString('en-US')} rows/s`);
    line('redis used_memory delta', `${((after - before) / 1e6).toFixed(1)} MB`);
    line('redis bytes per record', (((after - before) / N) as number).toFixed(1));
    line('projected for 12 M rows', `${((((after - before) / N) * 12e6) / 1e9).toFixed(2)} GB`);
    line('buckets', `${buckets.toLocaleString('en-US')} (${(N / buckets).toFixed(1)} records each on average)`);
    line('bucket encodings (sample)', [...enc].map(([e, n]) => `${e}: ${n}`).join(', '));
    line('peak RSS during import', `${(peakRss / 1e6).toFixed(0)} MB (${((peakRss - rssBefore) / 1e6).toFixed(0)} MB above the start)`);
    line('lookups', `${found}/${M} found, ${matched}/${M} card tags match, ${lookupMs.toFixed(3)} ms each (sequential)`);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
