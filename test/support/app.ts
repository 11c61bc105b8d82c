// The real engine (flows, texts, actions, understanding from the repository) on a given store,
// with logs captured in memory so tests can read them (and check no personal data is in them).
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { buildEngine } from '../../src/app.ts';
import { createLogger } from '../../src/log.ts';
import { fileStatusEffects } from '../../src/prakerja/status/index.ts';
import type { Engine } from '../../src/core/engine.ts';
import { Runtime, type RuntimeOptions } from '../../src/core/runtime.ts';
import { MemorySessionStore } from '../../src/store/memory-store.ts';
import type { SessionStore } from '../../src/store/session-store.ts';

let cached: Engine | undefined;
/** The repository's engine, built once per test file (loading and indexing takes a moment). */
export function repoEngine(): Engine {
  cached ??= buildEngine({ flowsDir: 'flows', localesDir: 'locales', policyFile: 'policy/prakerja.yaml', defaultLang: 'id' });
  return cached;
}

export interface CapturedLog {
  logger: Logger;
  lines: string[];
  text(): string;
}

export function captureLog(level = 'debug'): CapturedLog {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  // Pandu's own logger (with its redaction), writing into memory.
  return { logger: createLogger({ level, destination: stream }), lines, text: () => lines.join('') };
}

/** The runtime as main.ts builds it, with the status lookup over the demo file (unless `effects` says otherwise). */
export function testRuntime(opts: Partial<RuntimeOptions> & { store?: SessionStore } = {}): { runtime: Runtime; store: SessionStore; log: CapturedLog } {
  const log = captureLog();
  const store = opts.store ?? new MemorySessionStore(30 * 86_400_000);
  const runtime = new Runtime({ engine: opts.engine ?? repoEngine(), store, logger: opts.logger ?? log.logger, effects: opts.effects ?? fileStatusEffects(), hooks: opts.hooks, now: opts.now });
  return { runtime, store, log };
}
