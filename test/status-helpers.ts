// Shared by the status tests: a hermetic engine with the real status flow, texts and actions
// (plus a minimal menu and a stub incentive flow, so these tests do not depend on flows other
// engineers are still writing), a runtime wired with the status effect over the demo CSV, and
// the demo records.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { Engine } from '../src/core/engine.ts';
import { loadEngine } from '../src/core/loader.ts';
import { Runtime } from '../src/core/runtime.ts';
import type { Inbound, Reply } from '../src/core/types.ts';
import { loadFileProvider } from '../src/prakerja/status/file-provider.ts';
import { createHasher, type Hasher } from '../src/prakerja/status/hash.ts';
import { MemoryLockout, type Lockout } from '../src/prakerja/status/lockout.ts';
import type { StatusProvider } from '../src/prakerja/status/provider.ts';
import { statusActions } from '../src/prakerja/status/actions.ts';
import { helpdeskActions } from '../src/helpdesk/actions.ts';
import { createStatusEffect, STATUS_EFFECT } from '../src/prakerja/status/service.ts';
import { MemorySessionStore } from '../src/store/memory-store.ts';

export const DEMO_CSV = 'data/status-demo.csv';
export const TEST_SECRET = 'test-secret-0123456789abcdef';

/** Demo rows by their row number in data/status-demo.csv. */
export const DEMO = {
  dijadwalkan: { nik: '3201010101909901', card: '9999000000000001', phone: '080000000001', name: 'Budi C. S.' },
  dalamPengecekan: { nik: '3201014202919902', card: '9999000000000002', phone: '080000000002' },
  danaTertahan: { nik: '3201010303929903', card: '9999000000000003', phone: '080000000003' },
  belumDiproses: { nik: '3201014404939904', card: '9999000000000004', phone: '080000000004' },
  gagal: { nik: '3201010505949905', card: '9999000000000005', phone: '080000000005', name: 'Joko C. W.' },
  paid: { nik: '3201014606959906', card: '9999000000000006', phone: '080000000006' },
  /** Structurally valid, not in the file. */
  absent: { nik: '3201010101909999', card: '9999000000009999' },
} as const;

let engineCache: Engine | undefined;

/** The status flow and its texts from the repository, around a minimal menu. */
export function statusEngine(): Engine {
  if (engineCache) return engineCache;
  const dir = mkdtempSync(join(tmpdir(), 'pandu-status-flow-'));
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  for (const f of ['_commands.yaml', 'agent.yaml', 'status.yaml']) copyFileSync(join('flows', f), join(flows, f));
  writeFileSync(
    join(flows, 'menu.yaml'),
    [
      'id: menu',
      'start: main',
      'steps:',
      '  main:',
      '    ask: menu.ask',
      '    input:',
      '      type: choice',
      '      options:',
      '        - { id: status, label: menu.options.status, aliases: [status, cek status], next: { flow: status } }',
      '        - { id: agent, label: menu.options.agent, aliases: [petugas], next: { flow: agent } }',
      '',
    ].join('\n'),
  );
  // Stand-in for the incentive flow (another engineer's); the status flow links to it.
  writeFileSync(join(flows, 'incentive.yaml'), 'id: incentive\nstart: info\nsteps:\n  info:\n    say: status.after.incentive\n    next: $menu\n');
  writeFileSync(join(flows, '_routes.yaml'), 'deeplinks:\n  status: { flow: status }\nintents: {}\n');
  const locales = join(dir, 'locales');
  for (const lang of ['id', 'en']) {
    mkdirSync(join(locales, lang), { recursive: true });
    for (const f of ['common.json', 'agent.json', 'status.json']) copyFileSync(join('locales', lang, f), join(locales, lang, f));
    const menu = lang === 'id' ? { ask: 'Apa yang bisa saya bantu?', options: { status: 'Cek status insentif', agent: 'Bicara dengan petugas' } } : { ask: 'How can I help?', options: { status: 'Check incentive status', agent: 'Talk to a person' } };
    writeFileSync(join(locales, lang, 'menu.json'), JSON.stringify(menu));
  }
  engineCache = loadEngine({ flowsDir: flows, localesDir: locales, actions: { ...statusActions(), ...helpdeskActions() }, nlu: { understand: () => ({ kind: 'none' }) }, defaultLang: 'id' });
  return engineCache;
}

export interface CapturedLog {
  logger: Logger;
  text(): string;
}

/** A plain pino logger (no scrubbing: what our code writes, as is) into memory. */
export function rawLog(level = 'trace'): CapturedLog {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: pino({ level }, stream), text: () => lines.join('') };
}

export async function demoProvider(hasher: Hasher = createHasher(TEST_SECRET)): Promise<StatusProvider> {
  return (await loadFileProvider(DEMO_CSV, hasher)).provider;
}

export interface StatusApp {
  runtime: Runtime;
  store: MemorySessionStore;
  lockout: Lockout;
  log: CapturedLog;
  clock: { now: number };
  /** Send an event as `user` on `channel`; resolves with the replies. */
  send(user: string, event: Inbound['event'], channel?: Inbound['channel']): Promise<Reply[]>;
  text(user: string, text: string, channel?: Inbound['channel']): Promise<string>;
}

let seq = 0;

export async function statusApp(opts: { provider?: StatusProvider; lockout?: Lockout; log?: CapturedLog } = {}): Promise<StatusApp> {
  const hasher = createHasher(TEST_SECRET);
  const clock = { now: Date.UTC(2024, 2, 10, 3, 0, 0) }; // 10:00 WIB
  const provider = opts.provider ?? (await demoProvider(hasher));
  const lockout = opts.lockout ?? new MemoryLockout({}, () => clock.now);
  const log = opts.log ?? rawLog();
  const store = new MemorySessionStore(30 * 86_400_000, () => clock.now);
  const runtime = new Runtime({
    engine: statusEngine(),
    store,
    logger: log.logger,
    effects: { [STATUS_EFFECT]: createStatusEffect({ provider, lockout, hasher, logger: log.logger }) },
    now: () => clock.now,
  });
  const send = (user: string, event: Inbound['event'], channel: Inbound['channel'] = 'console') =>
    runtime.handle({ channel, chatId: user, userId: user, messageId: `m${++seq}`, event });
  const text = async (user: string, t: string, channel: Inbound['channel'] = 'console') =>
    (await send(user, t.startsWith('/start') ? { type: 'start', payload: t.split(' ')[1] } : { type: 'text', text: t }, channel)).map((r) => r.text).join('\n');
  return { runtime, store, lockout, log, clock, send, text };
}

/** Read a file as text (the tests grep it). */
export function read(path: string): string {
  return readFileSync(path, 'utf8');
}
