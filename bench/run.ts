// `npm run bench`: Pandu's benchmark, exactly as /work/shared/bench-workload.md describes it.
//
// One Node process; sessions in a real redis-server started here on a free loopback port
// (--save "" --appendonly no); the real Telegram path: a grammY Bot built by Pandu's own
// createTelegramChannel (botInfo given), fed with bot.handleUpdate(update). Every Bot API call is
// answered in-process by an API transformer (bench/fake-telegram.ts); the bot's apiRoot is a
// loopback leak trap, and any call reaching it fails the run.
//
//   A  USERS users (default 1000) at once, in rounds (Promise.all per round), each going
//      /start -> "1" -> the eligibility questions; 20% first answer the age with "dua puluh"
//      (or, should Pandu read that as 20, the first text of INVALID_AGES it rejects; see there).
//   B  one chat, 50 eligibility checks in a row; cost must not grow with the session's history.
//   C  one chat, 200 invalid ages then a valid one; cost must stay flat.
//   B and C each run after a warm-up on another chat, then REPEATS times on chats of their own,
//   each time after a young-generation GC; their figures are over all repetitions' updates (see there).
//
// Verdicts are checked against bench/rules.ts, an independent restatement of the rules; any
// mismatch, leak or handling error fails the run (exit code 1). The performance targets are
// reported (PASS/MISS) but do not change the exit code: the machine is shared and noisy.
// The run ends by itself (hard limit 115 s), kills its redis-server, and prints a human summary,
// then one JSON line, last.
//
// Environment: USERS (default 1000), WARMUP_USERS (default 1000), WARMUP_PASSES (default 40), SEED (default 7),
// BENCH_LOG_LEVEL (default "warn"), BENCH_PROFILE=<file.cpuprofile> (a CPU profile of workload A's
// rounds only, through node:inspector; `node --cpu-prof` profiles the whole run instead),
// BENCH_HEAP_PROFILE=<file.heapprofile> (sampled allocations during workload A's rounds).
import { readFileSync, writeFileSync } from 'node:fs';
import { Session as InspectorSession } from 'node:inspector/promises';
import { cpus, loadavg } from 'node:os';
import { Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Update, UserFromGetMe } from 'grammy/types';
import { Redis } from 'ioredis';
import { parse as parseYaml } from 'yaml';
import { buildEngine, createRedis, createRuntime, createSessionStore, redisReady } from '../src/app.ts';
import { createTelegramChannel, type UpdateDone } from '../src/channels/telegram/channel.ts';
import { createLogger } from '../src/log.ts';
import { createMetrics } from '../src/metrics.ts';
import { RedisSessionStore } from '../src/store/redis-store.ts';
import { startRedis, type RedisServer } from '../test/support/redis-server.ts';
import { createFakeApi, startLeakTrap, type LeakTrap } from './fake-telegram.ts';
import { expectedVerdict, makeProfile, rng, RULES, type Expected, type Profile } from './rules.ts';

const USERS = intEnv('USERS', 1000);
const WARMUP_USERS = intEnv('WARMUP_USERS', 1000);
/** Passes of B (and, times five, invalid answers of C) on another chat before each is measured. */
const WARMUP_PASSES = intEnv('WARMUP_PASSES', 40);
const SEED = intEnv('SEED', 7);
const HARD_LIMIT_MS = 115_000;
const B_PASSES = 50;
const C_INVALID = 200;
/**
 * B and C are each run this many times, each time on a chat of its own, and every figure they
 * report is taken over the updates of all the repetitions (each repetition's are in the JSON too). One run of B
 * compares two windows of about 10 ms. A single stall of the VM (1.5-3 ms, outside the process)
 * moves such a window's mean by 15-25 %, and B's updates can run twice as fast for a while (most
 * likely while Node and redis-server share one vCPU): see docs/performance.md, sixth round.
 */
const REPEATS = 3;
/**
 * The invalid age answer. bench-workload.md names "dua puluh": a number in words, which the age
 * question rejected when the workload was written. Should Pandu read numbers written in words
 * (then "dua puluh" is a valid 20 and every profile's answers would shift), the benchmark uses the
 * first of these that the age question still rejects, checked by asking it before the warm-up,
 * and says so in the summary and the JSON line (`invalid_age_text`).
 */
const INVALID_AGES = ['dua puluh', 'dua puluhan', 'rahasia'];
let INVALID_AGE = INVALID_AGES[0]!;
const DAY_MS = 86_400_000;
const PREFIX = 'pandu:';

/**
 * A young-generation collection (V8's `gc({ type: 'minor' })`, made available here without a
 * command-line flag). Not a full one: `gc()` also drops compiled code, and B's first passes were
 * then recompiled (twice the CPU per update, background compiler threads busy).
 */
setFlagsFromString('--expose-gc');
const v8Gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
const youngGc = (): void => v8Gc({ type: 'minor' });

function intEnv(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v.trim() === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(v)}`);
  return n;
}

// ---- texts the benchmark reads back (from the locale files: data, not the verdict code) ----------

/** Plain text of a sent message: HTML tags dropped, entities decoded. */
function plain(html: string): string {
  return html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

interface Markers {
  outcome: Record<Expected['outcome'], string>;
  rule: Record<string, string[]>;
  unsettled: Record<string, string>;
  bp2mi: string;
  ageHint: string;
}

function loadMarkers(): Markers {
  const loc = JSON.parse(readFileSync('locales/id/eligibility.json', 'utf8')) as {
    verdict: { eligible: string; notEligible: string; cannotDecide: string; bp2mi: string; reason: Record<string, string>; unsettled: Record<string, string> };
    age: { hint: string };
  };
  const unbold = (s: string) => s.replace(/\*/g, '');
  // "• *Umur*: peserta harus ... {{min}}" -> "• Umur:" (the heading of a reason, free of parameters)
  const head = (s: string) => {
    const line = unbold(s.split('\n')[0]!);
    const colon = line.indexOf(':');
    return colon > 0 ? line.slice(0, colon + 1) : line.split('{{')[0]!;
  };
  const v = loc.verdict;
  const rule: Record<string, string[]> = {
    citizenship: [head(v.reason.citizenship!)],
    age: [head(v.reason.ageUnder!), head(v.reason.ageOver!)],
    education: [head(v.reason.education!)],
    occupation: [head(v.reason.occupation!)],
    kk_limit: [head(v.reason.kkLimit!)],
    previous_recipient: [head(v.reason.previousRecipient!)],
  };
  const unsettled: Record<string, string> = {};
  for (const [k, s] of Object.entries(v.unsettled)) unsettled[k] = head(s);
  return {
    outcome: { eligible: unbold(v.eligible), not_eligible: unbold(v.notEligible), cannot_decide: unbold(v.cannotDecide) },
    rule,
    unsettled,
    bp2mi: head(v.bp2mi).slice(0, 20),
    ageHint: unbold(loc.age.hint),
  };
}

/** What the sent texts say the verdict was. */
function verdictSeen(texts: string[], m: Markers): Expected | null {
  const all = texts.map(plain);
  const has = (s: string) => all.some((t) => t.includes(s));
  const outcome = (Object.keys(m.outcome) as Expected['outcome'][]).filter((o) => has(m.outcome[o]));
  if (outcome.length !== 1) return null;
  return {
    outcome: outcome[0]!,
    failed: RULES.filter((r) => m.rule[r]!.some(has)),
    unsettled: Object.keys(m.unsettled).filter((u) => has(m.unsettled[u]!)),
    bp2mi: has(m.bp2mi),
  };
}

function sameVerdict(a: Expected, b: Expected): boolean {
  const set = (xs: string[]) => [...xs].sort().join(',');
  return a.outcome === b.outcome && set(a.failed) === set(b.failed) && set(a.unsettled) === set(b.unsettled) && a.bp2mi === b.bp2mi;
}

// ---- what a user types -------------------------------------------------------------------------------

type Flow = { steps: Record<string, { input?: { type: string; options?: { id: string }[] } }> };
const eligibilityFlow = parseYaml(readFileSync('flows/eligibility.yaml', 'utf8')) as Flow;

/** A choice is answered by its number, as the numbered list (and every channel) accepts. */
function option(step: string, id: string): string {
  const opts = eligibilityFlow.steps[step]?.input?.options ?? [];
  const i = opts.findIndex((o) => o.id === id);
  if (i < 0) throw new Error(`flows/eligibility.yaml: step ${step} has no option ${id}`);
  return String(i + 1);
}

const yn = (b: boolean) => (b ? 'ya' : 'tidak');

/** The answers to the eligibility questions, one message each, in the flow's order. */
function answers(p: Profile, invalidAgeFirst: number, invalidText = INVALID_AGE): string[] {
  const out = [yn(p.citizen)];
  for (let k = 0; k < invalidAgeFirst; k++) out.push(invalidText);
  out.push(String(p.age));
  out.push(option('education', p.studying ? 'studying' : 'not_studying'));
  out.push(option('occupation', p.occupation));
  if (p.occupation === 'none') out.push(option('otherRole', p.otherRole));
  out.push(yn(p.kkOthers > 0));
  if (p.kkOthers > 0) out.push(String(p.kkOthers));
  out.push(option('previous', p.previousRecipient ? 'recipient' : 'never'));
  out.push(option('residence', p.abroad ? 'abroad' : 'indonesia'));
  if (!p.abroad) out.push(yn(p.returningMigrant));
  return out;
}

// ---- the bench harness ---------------------------------------------------------------------------------

interface Harness {
  redis: RedisServer;
  admin: Redis;
  trap: LeakTrap;
  handle(chat: number, text: string): Promise<number>;
  /**
   * Resolves once every update handled so far has its session written. A reply goes out once its
   * session is handed to the store, before Redis confirms the write (docs/architecture.md), so
   * whatever reads Redis from the benchmark's own connection waits for this first.
   */
  settle(): Promise<void>;
  /** Texts sent to a chat since the last take(). */
  take(chat: number): string[];
  sessionKey(chat: number): string;
  done: { errors: number; outcomes: Map<string, number> };
  logLines: { warn: number; error: number };
  apiCalls: Map<string, number>;
  close(): Promise<void>;
}

const botInfo = {
  id: 1,
  is_bot: true,
  first_name: 'Pandu',
  username: 'pandu_bench_bot',
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
} as UserFromGetMe;

async function startHarness(): Promise<Harness> {
  const redis = await startRedis({ persistent: false });
  const trap = await startLeakTrap();
  const logLines = { warn: 0, error: 0 };
  const sink = new Writable({
    write(chunk, _enc, cb) {
      const level = /"level":(\d+)/.exec(String(chunk))?.[1];
      if (level && Number(level) >= 50) logLines.error++;
      else if (level && Number(level) >= 40) logLines.warn++;
      cb();
    },
  });
  const logger = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'warn', destination: sink });
  const engine = buildEngine({ flowsDir: 'flows', localesDir: 'locales', policyFile: 'policy/prakerja.yaml', defaultLang: 'id' });
  const client = createRedis(redis.url, logger);
  if (!(await redisReady(client, 5_000))) throw new Error('redis did not become ready');
  const store = createSessionStore({ redis: client, prefix: PREFIX, ttlMs: 30 * DAY_MS });
  const metrics = createMetrics();
  metrics.trackRedis(client);
  const runtime = createRuntime({ engine, store, logger, hooks: metrics.runtimeHooks() });
  const done = { errors: 0, outcomes: new Map<string, number>() };
  const channel = createTelegramChannel({
    token: '123456789:BENCH-token_not-real',
    runtime,
    logger,
    botInfo,
    apiRoot: trap.url,
    onUpdateDone: (d: UpdateDone) => {
      done.outcomes.set(d.outcome, (done.outcomes.get(d.outcome) ?? 0) + 1);
      if (d.outcome === 'error') done.errors++;
    },
  });
  const fake = createFakeApi();
  fake.install(channel.bot);
  const inbox = new Map<string, string[]>();
  fake.onSend = (chatId, text) => {
    const box = inbox.get(chatId);
    if (box) box.push(text);
    else inbox.set(chatId, [text]);
  };
  const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();

  let updateId = 1;
  const now = Math.floor(Date.now() / 1000);
  const bot = channel.bot;
  const handle = (chat: number, text: string): Promise<number> => {
    const isStart = text.startsWith('/start');
    const update = {
      update_id: updateId++,
      message: {
        message_id: updateId,
        date: now,
        chat: { id: chat, type: 'private', first_name: 'U' },
        from: { id: chat, is_bot: false, first_name: 'U', language_code: 'id' },
        text,
        ...(isStart ? { entities: [{ type: 'bot_command', offset: 0, length: 6 }] } : {}),
      },
    } as Update;
    const t = performance.now();
    return bot.handleUpdate(update).then(() => performance.now() - t);
  };
  return {
    redis,
    admin,
    trap,
    handle,
    settle: () => runtime.drain(),
    take(chat) {
      const k = String(chat);
      const box = inbox.get(k) ?? [];
      inbox.delete(k);
      return box;
    },
    sessionKey: (chat) => (store instanceof RedisSessionStore ? store.keyOf(`telegram:${chat}`) : `${PREFIX}s:telegram:${chat}`),
    done,
    logLines,
    apiCalls: fake.calls,
    async close() {
      await channel.stop().catch(() => undefined);
      metrics.close();
      await store.close().catch(() => undefined);
      admin.disconnect();
      await trap.close();
      await redis.stop();
    },
  };
}

/** redis-server's own CPU time (user + system, all its threads), in microseconds. */
async function redisCpuUs(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const f = (k: string) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (f('used_cpu_sys') + f('used_cpu_user')) * 1e6;
}

/**
 * CPU time of this process's main thread alone (where all JavaScript runs), in microseconds, from
 * Linux's /proc (`schedstat`: time on a CPU, in nanoseconds); NaN elsewhere. The rest of the
 * process's CPU time is V8's helper threads (garbage collection, compilation).
 */
function mainThreadCpuUs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
  } catch {
    return NaN;
  }
}

async function usedMemory(admin: Redis): Promise<number> {
  const info = await admin.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

async function commandStats(admin: Redis): Promise<Map<string, number>> {
  const info = await admin.info('commandstats');
  const m = new Map<string, number>();
  for (const [, name, calls] of info.matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) m.set(name!, Number(calls));
  return m;
}

/** Commands run between two snapshots, leaving out the benchmark's own INFO calls. */
function commandDelta(a: Map<string, number>, b: Map<string, number>): { total: number; by: Record<string, number> } {
  const by: Record<string, number> = {};
  let total = 0;
  for (const [name, calls] of b) {
    if (name === 'info') continue;
    const d = calls - (a.get(name) ?? 0);
    if (d > 0) {
      by[name] = d;
      total += d;
    }
  }
  return { total, by };
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

const median = (xs: number[]) => quantile(Float64Array.from(xs).sort(), 0.5);
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const r2 = (n: number) => Math.round(n * 100) / 100;
const r3 = (n: number) => Math.round(n * 1000) / 1000;

// ---- workload A ----------------------------------------------------------------------------------------

interface AUser {
  chat: number;
  profile: Profile;
  expected: Expected;
  msgs: string[];
  /** Index of the message answering the age with the invalid text, or -1. */
  invalidAt: number;
  next: number;
  silent: number;
  lastTexts: string[];
}

function makeUsers(n: number, chatBase: number, seed: number): AUser[] {
  const rand = rng(seed);
  const users: AUser[] = [];
  for (let i = 0; i < n; i++) {
    const profile = makeProfile(i, rand);
    const invalid = i % 5 === 4; // 20% first send the invalid age
    const msgs = ['/start', '1', ...answers(profile, invalid ? 1 : 0)];
    users.push({ chat: chatBase + i, profile, expected: expectedVerdict(profile), msgs, invalidAt: invalid ? 3 : -1, next: 0, silent: 0, lastTexts: [] });
  }
  return users;
}

interface AResult {
  updates: number;
  elapsedMs: number;
  latencies: Float64Array;
  /** Process CPU time (user + system) spent during the timed rounds, in microseconds. */
  cpuUs: number;
  /** The same, of the main thread alone (NaN where /proc is not there). */
  mainUs: number;
  /** redis-server's CPU time during the timed rounds (INFO cpu), in microseconds. */
  redisUs: number;
  peakUsed: number;
  endUsed: number;
  rounds: number;
  silent: number;
  hintMissing: number;
}

async function runA(h: Harness, users: AUser[]): Promise<AResult> {
  const lat: number[] = [];
  let elapsed = 0;
  let peak = 0;
  let rounds = 0;
  let silent = 0;
  let hintMissing = 0;
  let cpuUs = 0;
  let mainUs = 0;
  let redisUs = 0;
  const markers = loadMarkers();
  for (;;) {
    const batch = users.filter((u) => u.next < u.msgs.length);
    if (batch.length === 0) break;
    rounds++;
    const r0 = await redisCpuUs(h.admin);
    const m0 = mainThreadCpuUs();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const ms = await Promise.all(batch.map((u) => h.handle(u.chat, u.msgs[u.next]!)));
    // The round's work includes the writes of its sessions, confirmed after the last replies.
    await h.settle();
    elapsed += performance.now() - t0;
    const c = process.cpuUsage(c0);
    cpuUs += c.user + c.system;
    mainUs += mainThreadCpuUs() - m0;
    redisUs += (await redisCpuUs(h.admin)) - r0;
    for (const x of ms) lat.push(x);
    // Between rounds (not timed): what each user was told, and Redis memory mid-flow.
    for (const u of batch) {
      const texts = h.take(u.chat);
      if (texts.length === 0) silent++;
      if (u.next === u.invalidAt && !texts.some((t) => plain(t).includes(markers.ageHint))) hintMissing++;
      u.next++;
      if (u.next === u.msgs.length) u.lastTexts = texts;
    }
    const used = await usedMemory(h.admin);
    if (users.some((u) => u.next < u.msgs.length)) peak = Math.max(peak, used);
  }
  const endUsed = await usedMemory(h.admin);
  const sorted = Float64Array.from(lat).sort();
  return { updates: lat.length, elapsedMs: elapsed, latencies: sorted, cpuUs, mainUs, redisUs, peakUsed: peak, endUsed, rounds, silent, hintMissing };
}

function checkVerdicts(users: AUser[], markers: Markers): { mismatches: number; examples: string[]; outcomes: Record<string, number> } {
  let mismatches = 0;
  const examples: string[] = [];
  const outcomes: Record<string, number> = {};
  for (const u of users) {
    outcomes[u.expected.outcome] = (outcomes[u.expected.outcome] ?? 0) + 1;
    const seen = verdictSeen(u.lastTexts, markers);
    if (!seen || !sameVerdict(seen, u.expected)) {
      mismatches++;
      if (examples.length < 5) examples.push(`chat ${u.chat}: expected ${JSON.stringify(u.expected)}, saw ${JSON.stringify(seen)} for ${JSON.stringify(u.profile)}`);
    }
  }
  return { mismatches, examples, outcomes };
}

// ---- workloads B and C -----------------------------------------------------------------------------------

async function sessionBytes(h: Harness, chat: number): Promise<{ strlen: number; memory: number }> {
  await h.settle();
  const key = h.sessionKey(chat);
  const [strlen, memory] = await Promise.all([h.admin.strlen(key), h.admin.call('MEMORY', 'USAGE', key) as Promise<number | null>]);
  return { strlen, memory: memory ?? 0 };
}

async function runB(h: Harness, markers: Markers, chat = 900_000_001, passes = B_PASSES) {
  const rand = rng(SEED + 1);
  await h.handle(chat, '/start');
  h.take(chat);
  const passMeans: number[] = [];
  const passTimes: number[][] = [];
  const passCpu: number[] = [];
  const bytes: { strlen: number; memory: number }[] = [];
  let mismatches = 0;
  let extraMenuUpdates = 0;
  for (let pass = 1; pass <= passes; pass++) {
    const profile = makeProfile(pass, rand);
    // After a verdict the user is at its result question, where "1" is that question's first
    // option: "menu" (a global command) takes them back to the main menu, where "1" is the check.
    const msgs = [...(pass > 1 ? ['menu'] : []), '1', ...answers(profile, 0)];
    if (pass > 1) extraMenuUpdates++;
    const ms: number[] = [];
    let last: string[] = [];
    const cpu0 = mainThreadCpuUs();
    for (const m of msgs) {
      ms.push(await h.handle(chat, m));
      last = h.take(chat);
    }
    passCpu.push((mainThreadCpuUs() - cpu0) / msgs.length);
    const seen = verdictSeen(last, markers);
    if (!seen || !sameVerdict(seen, expectedVerdict(profile))) mismatches++;
    passMeans.push(mean(ms));
    passTimes.push(ms);
    bytes.push(await sessionBytes(h, chat));
  }
  // Per-update means over the passes (every pass has a similar number of updates).
  return {
    first5: mean(passMeans.slice(0, 5)),
    // Medians of the single updates too: a mean of ~50 updates moves by 0.04 ms with one 2 ms
    // hiccup of the machine, a median shows whether the typical update got slower.
    first5Median: median(passTimes.slice(0, 5).flat()),
    last5Median: median(passTimes.slice(-5).flat()),
    /** The single updates of passes 1-5 and 46-50 (for medians over several runs). */
    first5Times: passTimes.slice(0, 5).flat(),
    last5Times: passTimes.slice(-5).flat(),
    last5: mean(passMeans.slice(-5)),
    // Main-thread CPU time per update: what an update costs here, without the waits for Redis's
    // replies and without V8's background threads.
    first5CpuUs: mean(passCpu.slice(0, 5)),
    last5CpuUs: mean(passCpu.slice(-5)),
    all: mean(passMeans),
    bytes,
    mismatches,
    extraMenuUpdates,
  };
}

type BResult = Awaited<ReturnType<typeof runB>>;
type CResult = Awaited<ReturnType<typeof runC>>;

/**
 * B over its repetitions, pooled: every figure is taken over the updates of all of them (the mean
 * latency of passes 1-5 is that of the passes 1-5 of every repetition, and so on; every
 * repetition has the same passes, so a mean of their means is the mean of their updates).
 */
function pooledB(runs: BResult[]): BResult {
  const m = (f: (r: BResult) => number) => mean(runs.map(f));
  const first5Times = runs.flatMap((r) => r.first5Times);
  const last5Times = runs.flatMap((r) => r.last5Times);
  return {
    first5: m((r) => r.first5),
    last5: m((r) => r.last5),
    all: m((r) => r.all),
    first5Median: median(first5Times),
    last5Median: median(last5Times),
    first5Times,
    last5Times,
    first5CpuUs: m((r) => r.first5CpuUs),
    last5CpuUs: m((r) => r.last5CpuUs),
    bytes: runs.flatMap((r) => r.bytes),
    mismatches: runs.reduce((n, r) => n + r.mismatches, 0),
    extraMenuUpdates: runs[0]!.extraMenuUpdates,
  };
}

/** C over its repetitions, pooled the same way; the first repetition's session sizes; misses added up. */
function pooledC(runs: CResult[]): CResult {
  const m = (f: (r: CResult) => number) => mean(runs.map(f));
  return {
    ...runs[0]!,
    invalidMean: m((r) => r.invalidMean),
    first20: m((r) => r.first20),
    last20: m((r) => r.last20),
    hintMissing: runs.reduce((n, r) => n + r.hintMissing, 0),
    mismatch: runs.reduce((n, r) => n + r.mismatch, 0),
  };
}

async function runC(h: Harness, markers: Markers, chat = 910_000_001, invalidCount = C_INVALID) {
  const profile: Profile = { citizen: true, age: 30, studying: false, occupation: 'none', otherRole: 'none', kkOthers: 0, previousRecipient: false, abroad: false, returningMigrant: false };
  const all = answers(profile, invalidCount);
  for (const m of ['/start', '1', all[0]!]) await h.handle(chat, m);
  h.take(chat);
  const before = await sessionBytes(h, chat);
  const invalid: number[] = [];
  let hintMissing = 0;
  for (let k = 0; k < invalidCount; k++) {
    invalid.push(await h.handle(chat, all[1 + k]!));
    if (!h.take(chat).some((t) => plain(t).includes(markers.ageHint))) hintMissing++;
  }
  const afterInvalid = await sessionBytes(h, chat);
  let last: string[] = [];
  for (const m of all.slice(1 + invalidCount)) {
    await h.handle(chat, m);
    last = h.take(chat);
  }
  const after = await sessionBytes(h, chat);
  const seen = verdictSeen(last, markers);
  return {
    invalidMean: mean(invalid),
    first20: mean(invalid.slice(0, 20)),
    last20: mean(invalid.slice(-20)),
    before,
    afterInvalid,
    after,
    hintMissing,
    mismatch: !seen || !sameVerdict(seen, expectedVerdict(profile)) ? 1 : 0,
  };
}

/** The first of INVALID_AGES that the age question rejects (re-asks with its hint), asked on probe chats. */
async function pickInvalidAge(h: Harness, markers: Markers): Promise<string> {
  for (const [i, text] of INVALID_AGES.entries()) {
    const chat = 920_000_001 + i;
    for (const m of ['/start', '1', yn(true)]) await h.handle(chat, m);
    h.take(chat);
    await h.handle(chat, text);
    if (h.take(chat).some((t) => plain(t).includes(markers.ageHint))) return text;
  }
  throw new Error(`the age question accepts every one of ${JSON.stringify(INVALID_AGES)}: add an invalid age to INVALID_AGES`);
}

// ---- main ----------------------------------------------------------------------------------------------------

/** Node flags in effect (command line and NODE_OPTIONS), without tsx's own loader flags. */
function nodeFlags(): string[] {
  const all = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)];
  const out: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const a = all[i]!;
    if ((a === '--require' || a === '--import' || a === '--loader') && all[i + 1]?.includes('tsx')) i++;
    else if (!a.includes('tsx')) out.push(a);
  }
  return out;
}

function pkgVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  const startedAt = performance.now();
  const h = await startHarness();
  let killed = false;
  const hard = setTimeout(() => {
    killed = true;
    process.stderr.write(`bench: still running after ${HARD_LIMIT_MS / 1000} s; giving up\n`);
    void h.redis.stop().finally(() => {
      process.stdout.write(`${JSON.stringify({ error: 'timeout', leaks: h.trap.leaks.length })}\n`);
      process.exit(1);
    });
  }, HARD_LIMIT_MS);
  hard.unref();
  try {
    const markers = loadMarkers();
    const serverInfo = await h.admin.info('server');
    const redisVersion = /redis_version:(\S+)/.exec(serverInfo)?.[1] ?? 'unknown';

    INVALID_AGE = await pickInvalidAge(h, markers);

    // Warm-up (not reported): the same conversations on other chats, so the JIT has seen the path.
    if (WARMUP_USERS > 0) await runA(h, makeUsers(WARMUP_USERS, 800_000_000, SEED + 100));
    await h.admin.flushall();
    await new Promise((r) => setTimeout(r, 50));

    // ---- A
    const users = makeUsers(USERS, 100_000_000, SEED);
    const usedBefore = await usedMemory(h.admin);
    const cmdBefore = await commandStats(h.admin);
    const profiler = process.env.BENCH_PROFILE || process.env.BENCH_HEAP_PROFILE ? new InspectorSession() : undefined;
    if (profiler) {
      profiler.connect();
      if (process.env.BENCH_PROFILE) {
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.setSamplingInterval', { interval: 100 }); // µs: ~8,000 samples in A instead of ~800
        await profiler.post('Profiler.start');
      }
      if (process.env.BENCH_HEAP_PROFILE) await profiler.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
    }
    const a = await runA(h, users);
    if (profiler) {
      if (process.env.BENCH_PROFILE) {
        const { profile } = await profiler.post('Profiler.stop');
        writeFileSync(process.env.BENCH_PROFILE, JSON.stringify(profile));
      }
      if (process.env.BENCH_HEAP_PROFILE) {
        const { profile } = await profiler.post('HeapProfiler.stopSampling');
        writeFileSync(process.env.BENCH_HEAP_PROFILE, JSON.stringify(profile));
      }
      profiler.disconnect();
    }
    const cmdAfter = await commandStats(h.admin);
    const cmds = commandDelta(cmdBefore, cmdAfter);
    const verdicts = checkVerdicts(users, markers);
    const aOut = {
      updates: a.updates,
      rounds: a.rounds,
      updatesPerS: a.updates / (a.elapsedMs / 1000),
      cpuUsPerUpdate: a.cpuUs / a.updates,
      mainCpuUsPerUpdate: a.mainUs / a.updates,
      redisCpuUsPerUpdate: a.redisUs / a.updates,
      p50: quantile(a.latencies, 0.5),
      p95: quantile(a.latencies, 0.95),
      p99: quantile(a.latencies, 0.99),
      cmdsPerUpdate: cmds.total / a.updates,
      bytesPeak: (a.peakUsed - usedBefore) / USERS,
      bytesEnd: (a.endUsed - usedBefore) / USERS,
    };

    // ---- B, C
    // Each one-chat workload after a warm-up of its own on another chat (not reported): A's
    // warm-up runs many chats at once, so B's and C's one-at-a-time path would otherwise still
    // be compiled by the JIT during their first passes (see docs/performance.md).
    // Then a young-generation collection, so that what A and the warm-up left there is not copied
    // by a scavenge in the middle of B or C: with A's heap that one scavenge took 8 ms, which
    // alone moves a five-pass mean of ~55 updates by 0.15 ms, whichever window it falls in. B and
    // C then collect only their own garbage, as a chat's updates do.
    await runB(h, markers, 900_000_101, WARMUP_PASSES);
    const bRuns: BResult[] = [];
    for (let r = 0; r < REPEATS; r++) {
      youngGc();
      bRuns.push(await runB(h, markers, 900_000_001 + r));
    }
    const b = pooledB(bRuns);
    await runC(h, markers, 910_000_101, WARMUP_PASSES * 5);
    const cRuns: CResult[] = [];
    for (let r = 0; r < REPEATS; r++) {
      youngGc();
      cRuns.push(await runC(h, markers, 910_000_001 + r, C_INVALID));
    }
    const c = pooledC(cRuns);

    const leaks = h.trap.leaks.length;
    const errors = h.done.errors + h.logLines.error;
    const mismatches = verdicts.mismatches + b.mismatches + c.mismatch;
    const bBytesMax = Math.max(...b.bytes.map((x) => x.strlen));
    const bMemMax = Math.max(...b.bytes.map((x) => x.memory));
    const totalS = (performance.now() - startedAt) / 1000;

    const targets = {
      a_15k_updates_per_s: aOut.updatesPerS >= 15_000,
      a_no_mismatch: verdicts.mismatches === 0,
      a_max_2_cmds_per_update: aOut.cmdsPerUpdate <= 2,
      a_max_1kb_per_user_mid_flow: aOut.bytesPeak <= 1024,
      b_mean_max_0_3_ms: b.all <= 0.3,
      b_no_growth: b.last5 <= b.first5 * 1.1,
      c_flat: c.last20 <= c.first20 * 1.25 + 0.05,
    };
    const pass = (ok: boolean) => (ok ? 'PASS' : 'MISS');
    const cpu = cpus()[0]?.model ?? 'unknown';
    const lines = [
      `Pandu benchmark (bench-workload.md) on ${cpus().length} cores, ${cpu}; node ${process.version}, redis ${redisVersion}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
      ...(INVALID_AGE !== INVALID_AGES[0] ? [`NOTE: the age question accepts "${INVALID_AGES[0]}" now; the invalid age answer is "${INVALID_AGE}" (see INVALID_AGES in bench/run.ts)`] : []),
      `Path: grammY ${pkgVersion('grammy')} Bot from createTelegramChannel, bot.handleUpdate, Bot API answered in-process; ioredis ${pkgVersion('ioredis')}`,
      '',
      `Workload A: ${USERS} users, ${aOut.updates} updates in ${a.rounds} rounds (warm-up: ${WARMUP_USERS} users, not counted)`,
      `  throughput        ${aOut.updatesPerS.toFixed(0)} updates/s over ${(a.elapsedMs / 1000).toFixed(2)} s of rounds       [target >= 15000: ${pass(targets.a_15k_updates_per_s)}]`,
      `  cpu               ${aOut.cpuUsPerUpdate.toFixed(1)} us of this process's CPU time per update (user + system; includes GC; less sensitive to a busy machine than wall time)`,
      `                    ${aOut.mainCpuUsPerUpdate.toFixed(1)} us of it on the main thread (all JavaScript: its busy share bounds the throughput), the rest V8's helper threads; redis-server ${aOut.redisCpuUsPerUpdate.toFixed(1)} us`,
      `  latency           p50 ${r2(aOut.p50)} ms, p95 ${r2(aOut.p95)} ms, p99 ${r2(aOut.p99)} ms (handleUpdate call to resolution, ${USERS} at once)`,
      `  redis commands    ${r3(aOut.cmdsPerUpdate)} per update (${Object.entries(cmds.by).map(([k, v]) => `${k} ${v}`).join(', ')})   [target <= 2: ${pass(targets.a_max_2_cmds_per_update)}]`,
      `  redis memory      ${aOut.bytesPeak.toFixed(0)} B per user mid-flow (peak between rounds), ${aOut.bytesEnd.toFixed(0)} B at the end   [target <= 1024: ${pass(targets.a_max_1kb_per_user_mid_flow)}]`,
      `  verdicts          ${USERS - verdicts.mismatches}/${USERS} as the rules give (${Object.entries(verdicts.outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}), ${verdicts.mismatches} mismatches`,
      `  other checks      ${a.silent} updates without a reply, ${a.hintMissing} "${INVALID_AGE}" answers not re-asked with the hint`,
      ...verdicts.examples.map((e) => `  MISMATCH ${e}`),
      '',
      `Workload B: one chat, ${B_PASSES} eligibility checks in a row ("menu" before "1" from pass 2: ${b.extraMenuUpdates} extra updates; warm-up: ${WARMUP_PASSES} passes on another chat, not counted), run ${REPEATS} times on chats of their own, each after a young-generation GC; figures over all ${REPEATS} runs' updates`,
      `  each run          ${bRuns.map((r) => `${r3(r.first5)} / ${r3(r.last5)} / ${r3(r.all)}`).join(', ')} ms (passes 1-5 / 46-50 / all, means)`,
      `  mean latency      passes 1-5 ${r3(b.first5)} ms, passes 46-50 ${r3(b.last5)} ms, all ${r3(b.all)} ms   [target <= 0.3 ms: ${pass(targets.b_mean_max_0_3_ms)}; no growth: ${pass(targets.b_no_growth)}]`,
      `  median update     passes 1-5 ${r3(b.first5Median)} ms, passes 46-50 ${r3(b.last5Median)} ms (for reading the growth check: not affected by single hiccups)`,
      `  cpu per update    passes 1-5 ${b.first5CpuUs.toFixed(1)} us, passes 46-50 ${b.last5CpuUs.toFixed(1)} us (main thread's CPU time: the cost without the waits for Redis)`,
      `  session in redis  ${[...new Set(b.bytes.map((x) => x.strlen))].join(', ')} bytes (STRLEN after each pass of each run, the values seen); MEMORY USAGE max ${bMemMax} B`,
      `  verdicts          ${b.mismatches} mismatches`,
      '',
      `Workload C: one chat, ${C_INVALID} invalid ages ("${INVALID_AGE}") then a valid one (warm-up: ${WARMUP_PASSES * 5} on another chat, not counted), run ${REPEATS} times on chats of their own, each after a young-generation GC; figures over all ${REPEATS} runs' updates`,
      `  each run          ${cRuns.map((r) => `${r3(r.invalidMean)} (${r3(r.first20)} / ${r3(r.last20)})`).join(', ')} ms (mean of the invalid answers (first 20 / last 20))`,
      `  invalid answers   mean ${r3(c.invalidMean)} ms (first 20: ${r3(c.first20)} ms, last 20: ${r3(c.last20)} ms)   [flat: ${pass(targets.c_flat)}]`,
      `  session in redis  ${c.before.strlen} B before, ${c.afterInvalid.strlen} B after the invalid answers, ${c.after.strlen} B at the end; ${c.hintMissing} not re-asked`,
      '',
      `Bot API calls answered in-process: ${[...h.apiCalls].map(([k, v]) => `${k} ${v}`).join(', ')}`,
      `Leaks (calls that reached the network trap): ${leaks}${leaks ? ` (${h.trap.leaks.slice(0, 3).join('; ')})` : ''}`,
      `Handling errors: ${h.done.errors} updates failed, ${h.logLines.error} error log lines, ${h.logLines.warn} warnings`,
      `Total time ${totalS.toFixed(1)} s`,
    ];
    const ok = leaks === 0 && mismatches === 0 && errors === 0 && a.silent === 0 && a.hintMissing === 0 && c.hintMissing === 0;
    lines.push(ok ? 'RESULT: ok (no leak, no mismatch, no error)' : 'RESULT: FAILED (see above)');
    const json = {
      a_updates_per_s: Math.round(aOut.updatesPerS),
      a_p50_ms: r3(aOut.p50),
      a_p95_ms: r3(aOut.p95),
      a_p99_ms: r3(aOut.p99),
      a_redis_cmds_per_update: r3(aOut.cmdsPerUpdate),
      a_redis_bytes_per_user_peak: Math.round(aOut.bytesPeak),
      a_redis_bytes_per_user_end: Math.round(aOut.bytesEnd),
      a_mismatches: verdicts.mismatches,
      a_cpu_us_per_update: Math.round(aOut.cpuUsPerUpdate),
      a_main_thread_cpu_us_per_update: Number.isFinite(aOut.mainCpuUsPerUpdate) ? Math.round(aOut.mainCpuUsPerUpdate * 10) / 10 : null,
      a_redis_cpu_us_per_update: Math.round(aOut.redisCpuUsPerUpdate * 10) / 10,
      a_updates: aOut.updates,
      a_users: USERS,
      b_first5_mean_ms: r3(b.first5),
      b_last5_mean_ms: r3(b.last5),
      b_first5_median_ms: r3(b.first5Median),
      b_last5_median_ms: r3(b.last5Median),
      b_first5_main_thread_cpu_us: Math.round(b.first5CpuUs * 10) / 10,
      b_last5_main_thread_cpu_us: Math.round(b.last5CpuUs * 10) / 10,
      b_mean_ms: r3(b.all),
      b_session_bytes_max: bBytesMax,
      b_session_memory_usage_max: bMemMax,
      b_mismatches: b.mismatches,
      b_runs: bRuns.map((r) => ({ first5_mean_ms: r3(r.first5), last5_mean_ms: r3(r.last5), mean_ms: r3(r.all) })),
      c_invalid_mean_ms: r3(c.invalidMean),
      c_invalid_first20_mean_ms: r3(c.first20),
      c_invalid_last20_mean_ms: r3(c.last20),
      c_session_bytes_before: c.before.strlen,
      c_session_bytes_after: c.after.strlen,
      c_runs: cRuns.map((r) => ({ invalid_mean_ms: r3(r.invalidMean), first20_mean_ms: r3(r.first20), last20_mean_ms: r3(r.last20) })),
      leaks,
      errors,
      ok,
      targets,
      node: process.version,
      redis: redisVersion,
      pandu: (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version,
      grammy: pkgVersion('grammy'),
      ioredis: pkgVersion('ioredis'),
      zod: pkgVersion('zod'),
      cpus: cpus().length,
      load_avg_1m: r2(loadavg()[0]!),
      cpu_model: cpu,
      seed: SEED,
      warmup_users: WARMUP_USERS,
      warmup_passes: WARMUP_PASSES,
      invalid_age_text: INVALID_AGE,
      node_flags: nodeFlags(),
      total_s: r2(totalS),
    };
    clearTimeout(hard);
    await h.close();
    if (killed) return 1;
    process.stdout.write(`${lines.join('\n')}\n${JSON.stringify(json)}\n`);
    return ok ? 0 : 1;
  } catch (err) {
    clearTimeout(hard);
    await h.close().catch(() => undefined);
    throw err;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.stdout.write(`${JSON.stringify({ error: String((err as Error).message ?? err) })}\n`);
    process.exit(1);
  },
);
