// Composition root: read the configuration, build the engine, the store and the runtime, start
// the channels, and stop them all gracefully on SIGTERM/SIGINT.
import { Command } from 'commander';
import type { Redis } from 'ioredis';
import { buildEngine, createRedis, createRuntime, createSessionStore, redisReady } from './app.ts';
import { runInteractive, runJsonl } from './channels/console.ts';
import { channelsEnabled, ConfigError, loadConfig, type Config } from './config.ts';
import { FlowError } from './core/loader.ts';
import { createLogger } from './log.ts';

const DAY_MS = 86_400_000;

async function main(): Promise<number> {
  const program = new Command()
    .name('pandu')
    .description('Pandu, a Kartu Prakerja assistant. With no tokens set it chats in this terminal.')
    .option('--jsonl', 'machine mode for the console: one JSON object per line on stdin and stdout')
    .parse();
  const opts = program.opts<{ jsonl?: boolean }>();

  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const channels = channelsEnabled(config);
  const consoleMode = channels.includes('console');
  // In console mode stdout is the conversation: logs go to stderr, quietly unless asked for.
  const logger = createLogger({
    level: consoleMode && !process.env.LOG_LEVEL ? 'warn' : config.logLevel,
    destination: consoleMode ? 'stderr' : 'stdout',
    pretty: consoleMode ? process.stderr.isTTY === true : process.stdout.isTTY === true,
  });

  let engine;
  try {
    engine = buildEngine({ ...config.paths, defaultLang: config.defaultLang });
  } catch (err) {
    if (err instanceof FlowError || (err as Error).name === 'PolicyError') {
      process.stderr.write(`Pandu cannot start: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }

  let redis: Redis | undefined;
  if (config.store.redisUrl) {
    redis = createRedis(config.store.redisUrl, logger);
    if (!(await redisReady(redis, 5_000))) logger.warn('redis is not reachable yet; users get a "try again" reply until it is');
  }
  const store = createSessionStore({ redis, prefix: config.store.keyPrefix, ttlMs: config.store.sessionTtlDays * DAY_MS });
  const runtime = createRuntime({ engine, store, logger });

  const stops: (() => Promise<void>)[] = [];
  const shutdown = async (why: string) => {
    logger.info({ why }, 'shutting down');
    for (const stop of stops.reverse()) await stop().catch((err) => logger.error({ err }, 'stopping a channel failed'));
    await Promise.race([runtime.drain(), new Promise((r) => setTimeout(r, 10_000))]);
    await store.close();
  };

  if (consoleMode) {
    logger.info({ store: redis ? 'redis' : 'memory' }, 'console channel');
    if (opts.jsonl) await runJsonl(runtime, process.stdin, process.stdout);
    else await runInteractive(runtime, process.stdin, process.stdout);
    await shutdown('input closed');
    return 0;
  }

  logger.info({ channels }, 'Pandu started');
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      void shutdown(sig).finally(resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`Pandu stopped on an unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
