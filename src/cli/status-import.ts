// `npm run status:import -- participants.csv`: loads participant status records into Redis for
// STATUS_PROVIDER=redis (layout: src/prakerja/status/redis-layout.ts).
//
// Streams the file with flat memory, shows a progress bar with rate and ETA on stderr, validates
// every row, reports bad rows by line number and goes on, and prints a summary. Running it again
// with a newer file updates the records. The HMAC secret comes from STATUS_HMAC_SECRET only (an
// argument would show up in `ps`) and must be the one Pandu runs with.
//
// Exit codes: 0 every row imported; 2 imported, but some rows were bad (skipped); 1 nothing or
// not everything could be imported (bad arguments, header, Redis, secret mismatch).
import { createReadStream, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { MultiBar } from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { Redis } from 'ioredis';
import { CsvHeaderError } from '../prakerja/status/csv.ts';
import { createHasher } from '../prakerja/status/hash.ts';
import { ImportError, importStatusCsv, type ImportSummary } from '../prakerja/status/import.ts';
import { DEFAULT_STATUS_PREFIX } from '../prakerja/status/redis-layout.ts';
import { loadStatusSettings, StatusSettingsError, type StatusSettings } from '../prakerja/status/settings.ts';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Bad rows printed one by one; beyond this only counted (the summary has the total). */
const MAX_PRINTED_BAD = 100;
/** Average bytes per CSV row, to size the buckets when --expected-rows is not given. */
const BYTES_PER_ROW_GUESS = 90;

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number above 0');
  return n;
}

const fmt = (n: number) => new Intl.NumberFormat('en-US').format(Math.round(n));

/** Runs the command; resolves with the exit code. Exported for tests. */
export async function runStatusImport(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  const say = (s: string) => io.stderr.write(`${s}\n`);
  const program = new Command()
    .name('status:import')
    .description('Import participant status records (CSV) into Redis for STATUS_PROVIDER=redis.')
    .argument('<file>', 'CSV with columns nik,card_number,phone,name,status,reason,amount,scheduled_date,paid_date')
    .option('--redis-url <url>', 'Redis to import into (default: STATUS_REDIS_URL, then REDIS_URL)')
    .option('--prefix <prefix>', `key prefix (default: STATUS_REDIS_PREFIX or "${DEFAULT_STATUS_PREFIX}")`)
    .option('--expected-rows <n>', 'rows expected at full size, to size the buckets on a first import (default: estimated from the file size)', positiveInt)
    .option('--batch <n>', 'records per Redis pipeline', positiveInt, 1000)
    .option('--no-progress', 'no progress bar')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  let file: string;
  let opts: { redisUrl?: string; prefix?: string; expectedRows?: number; batch: number; progress: boolean };
  try {
    program.parse(argv, { from: 'user' });
    file = program.args[0]!;
    opts = program.opts();
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
    throw err;
  }

  // The same checks as Pandu's own start-up (blank values count as unset there too).
  let status: StatusSettings;
  try {
    status = loadStatusSettings(env);
  } catch (err) {
    if (!(err instanceof StatusSettingsError)) throw err;
    say(err.message);
    return 1;
  }
  const secret = status.hmacSecret;
  if (!secret) {
    say('STATUS_HMAC_SECRET must be set (at least 16 characters): the same secret Pandu runs with.');
    return 1;
  }
  const url = opts.redisUrl ?? status.redisUrl ?? (env.REDIS_URL?.trim() || undefined);
  if (!url) {
    say('No Redis to import into: pass --redis-url or set STATUS_REDIS_URL or REDIS_URL.');
    return 1;
  }
  const prefix = opts.prefix ?? status.redisPrefix;
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    say(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return 1;
  }

  const redis = new Redis(url, { maxRetriesPerRequest: 3, connectTimeout: 5_000, lazyConnect: true });
  redis.on('error', () => undefined); // surfaced by the failing command
  const showBar = opts.progress && size > 0;
  const bars = showBar
    ? new MultiBar(
        {
          stream: io.stderr,
          format: ' {bar} {percentage}% | {rows} rows | {rate} rows/s | {bad} bad | ETA {eta_formatted}',
          barsize: 30,
          hideCursor: true,
          noTTYOutput: true,
          notTTYSchedule: 5_000,
          fps: 5,
          etaBuffer: 50,
          clearOnComplete: false,
        },
        { format: '', barCompleteChar: '#', barIncompleteChar: '-' },
      )
    : undefined;
  const bar = bars?.create(size, 0, { rows: '0', rate: '0', bad: '0' });
  const log = (line: string) => (bars ? bars.log(`${line}\n`) : say(line));

  const started = performance.now();
  let printed = 0;
  let summary: ImportSummary;
  try {
    await redis.connect();
    summary = await importStatusCsv({
      input: createReadStream(file, { highWaterMark: 256 * 1024 }),
      redis,
      prefix,
      hasher: createHasher(secret),
      expectedRows: opts.expectedRows ?? Math.max(1, Math.ceil(size / BYTES_PER_ROW_GUESS)),
      batchSize: opts.batch,
      onBadRow: (line, problem) => {
        if (printed < MAX_PRINTED_BAD) log(`line ${line}: ${problem}`);
        else if (printed === MAX_PRINTED_BAD) log(`(more bad rows: only the first ${MAX_PRINTED_BAD} are shown; see the summary)`);
        printed++;
      },
      onProgress: (p) => {
        const secs = (performance.now() - started) / 1000;
        bar?.update(p.bytes, { rows: fmt(p.rows), rate: fmt(secs > 0 ? p.rows / secs : 0), bad: fmt(p.bad) });
      },
    });
    bar?.update(size);
  } catch (err) {
    bars?.stop();
    await redis.quit().catch(() => redis.disconnect());
    if (err instanceof CsvHeaderError || err instanceof ImportError) say(err.message);
    else say(`Import failed: ${(err as Error).message}`);
    return 1;
  }
  bars?.stop();
  await redis.quit().catch(() => redis.disconnect());

  const secs = summary.ms / 1000;
  const lines = summary.badLines.slice(0, 20).join(', ') + (summary.bad > 20 ? ', ...' : '');
  io.stdout.write(
    `${summary.update ? 'Updated' : 'Imported'} ${fmt(summary.rows)} rows into ${prefix} in ${secs.toFixed(1)} s ` +
      `(${fmt(secs > 0 ? summary.rows / secs : summary.rows)} rows/s, ${2 ** summary.bucketBits} buckets)` +
      (summary.bad ? `; ${fmt(summary.bad)} bad row${summary.bad === 1 ? '' : 's'} skipped (lines ${lines})` : '; no bad rows') +
      '\n',
  );
  return summary.bad > 0 ? 2 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runStatusImport(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr }).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`status:import stopped on an unexpected error: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
