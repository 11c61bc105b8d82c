// Composition root: read the configuration, build the engine, the store and the runtime, start
// the channels, the helpdesk, the status lookup and the HTTP server (webhook, /healthz,
// /metrics), and stop them all gracefully, in order, on SIGTERM/SIGINT/SIGHUP.
import { resolve } from 'node:path';
import { Command } from 'commander';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { buildEngine, createRedis, createRuntime, createSessionStore, redisReady } from './app.ts';
import { runInteractive, runJsonl } from './channels/console.ts';
import { createTelegramChannel, type TelegramChannel } from './channels/telegram/channel.ts';
import { RedisAddressBook } from './channels/whatsapp/address-book.ts';
import { ADDRESS_TTL_MS, createWhatsAppChannel, type WhatsAppChannel } from './channels/whatsapp/channel.ts';
import { ChromiumMissingError, createWhatsAppClient } from './channels/whatsapp/client.ts';
import { channelsEnabled, ConfigError, loadConfig, unusedVariables, type Config } from './config.ts';
import { FlowError } from './core/loader.ts';
import type { Runtime } from './core/runtime.ts';
import { setupHelpdesk, type HelpdeskSetup } from './helpdesk/index.ts';
import { createHealth } from './http/health.ts';
import { createHttpServer, type HttpServer } from './http/server.ts';
import { createLogger } from './log.ts';
import { createMetrics, metricsHandler } from './metrics.ts';
import { createStatusService, DEMO_STATUS_FILE, StatusStartError, type StatusService } from './prakerja/status/index.ts';

const DAY_MS = 86_400_000;
/** How long shutdown waits for messages in progress before closing the store anyway. */
const DRAIN_MS = 10_000;
/** WhatsApp's stop waits for answers in progress: a status lookup with its retries takes up to ~10 s. */
const WHATSAPP_STOP_MS = 15_000;

/** Start-up failures the operator can fix: print the message alone, no stack. */
class StartError extends Error {}

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

  const unused = unusedVariables(process.env, config);
  if (unused.length > 0) logger.warn({ variables: unused }, 'these variables are set but have no effect in this configuration (see docs/configuration.md)');

  try {
    return await run(config, channels, consoleMode, opts.jsonl === true, logger);
  } catch (err) {
    if (err instanceof StartError || err instanceof FlowError || err instanceof StatusStartError || (err as Error).name === 'PolicyError') {
      process.stderr.write(`Pandu cannot start: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
}

async function run(config: Config, channels: string[], consoleMode: boolean, jsonl: boolean, logger: Logger): Promise<number> {
  const engine = buildEngine({ ...config.paths, defaultLang: config.defaultLang });
  const prefix = config.store.keyPrefix;

  let redis: Redis | undefined;
  if (config.store.redisUrl) {
    redis = createRedis(config.store.redisUrl, logger);
    if (!(await redisReady(redis, 5_000))) logger.warn('redis is not reachable yet; users get a "try again" reply until it is');
  }
  const store = createSessionStore({ redis, prefix, ttlMs: config.store.sessionTtlDays * DAY_MS });
  const metrics = createMetrics();
  if (redis) metrics.trackRedis(redis);

  // Stopped in reverse order of starting: channels stop taking messages first, the store closes last.
  const stops: { name: string; stop: () => Promise<void> }[] = [{ name: 'session store', stop: () => store.close() }];
  let stopping: Promise<void> | undefined;
  const shutdown = (why: string): Promise<void> =>
    (stopping ??= (async () => {
      logger.info({ why }, 'shutting down');
      for (const { name, stop } of stops.splice(0).reverse()) {
        await stop().catch((err: Error) => logger.error({ err: { message: err.message }, what: name }, 'stopping failed'));
      }
      metrics.close();
      logger.info('stopped');
    })());

  try {
    let status: StatusService;
    try {
      status = await createStatusService(config.status, { logger, redis, lockPrefix: `${prefix}status:lock:` });
    } catch (err) {
      if (err instanceof StatusStartError) throw err;
      throw new StartError(`the status lookup: ${(err as Error).message}`);
    }
    stops.push({ name: 'status lookup', stop: () => status.close() });
    if (!consoleMode && config.status.provider === 'file' && resolve(config.status.file) === resolve(DEMO_STATUS_FILE)) {
      logger.warn({ file: config.status.file }, 'the status lookup answers from the FICTIONAL demo records: set STATUS_PROVIDER (and its data) for real participants');
    }

    // Hand-offs need staff to take them: without a staff group on Telegram no ticket is opened,
    // and "petugas" answers with the official help channels (the flow's fallback) instead.
    let telegram: TelegramChannel | undefined;
    let whatsapp: WhatsAppChannel | undefined;
    let helpdesk: HelpdeskSetup | undefined;
    if (config.telegram && config.helpdesk.chatId !== undefined) {
      helpdesk = setupHelpdesk({
        settings: config.helpdesk,
        staffChatId: config.helpdesk.chatId,
        telegramApi: () => telegram!.bot.api,
        redis,
        prefix,
        logger,
      });
      metrics.followHelpdesk(helpdesk.stats);
      // Stopped after messages in progress are drained (pushed before that step): they may open tickets.
      const hd = helpdesk;
      stops.push({ name: 'helpdesk', stop: () => hd.stop() });
    } else if (config.helpdesk.chatId !== undefined) {
      logger.warn('HELPDESK_CHAT_ID is set but TELEGRAM_BOT_TOKEN is not: staff work from Telegram, so there is no helpdesk');
    } else {
      logger.info('no HELPDESK_CHAT_ID: "petugas" gives the official help channels');
    }

    const rt: Runtime = createRuntime({
      engine,
      store,
      logger,
      effects: { ...status.effects, ...helpdesk?.effects },
      hooks: {
        ...metrics.runtimeHooks(),
        // "hapus data saya": tickets and the WhatsApp address go with the session.
        forgetChat: async (chatKey) => {
          await helpdesk?.forgetChat(chatKey);
          if (chatKey.startsWith('whatsapp:')) await whatsapp?.forget(chatKey.slice('whatsapp:'.length));
        },
      },
    });
    // Messages in progress finish (bounded) before what they may use (status lookup, store) closes.
    stops.push({ name: 'messages in progress', stop: () => Promise.race([rt.drain(), new Promise<void>((r) => setTimeout(r, DRAIN_MS).unref())]) });

    if (consoleMode) {
      logger.info({ store: redis ? 'redis' : 'memory' }, 'console channel');
      if (jsonl) await runJsonl(rt, process.stdin, process.stdout);
      else await runInteractive(rt, process.stdin, process.stdout);
      await shutdown('input closed');
      return 0;
    }

    // Signals are taken from here on, not only once everything has started: a start-up that hangs
    // (Telegram's API unreachable, getMe retrying) must still stop cleanly when asked to.
    // SIGHUP too: puppeteer's own handler for it is off (see whatsapp/client.ts), and without one
    // Node would die at once, without the orderly stop.
    const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
    let up = false;
    const signalled = new Promise<NodeJS.Signals>((resolve) => {
      const onSignal = (sig: NodeJS.Signals) => {
        for (const s of SIGNALS) process.off(s, onSignal);
        if (up) resolve(sig);
        else void shutdown(`${sig} during start-up`).finally(() => process.exit(0));
      };
      for (const s of SIGNALS) process.on(s, onSignal);
    });
    /** Asked to stop while starting: nothing more may start (the stop list has been run already). */
    const stopAsked = () => stopping !== undefined;

    // The HTTP server carries /healthz and /metrics, and the Telegram webhook when there is one.
    const health = createHealth({ checks: {} });
    if (redis) health.set('redis', () => store.ping());
    const http: HttpServer = createHttpServer({ host: config.http.host, port: config.http.port, logger });
    http.route('GET', '/healthz', health.handler);
    http.route('GET', '/metrics', metricsHandler(metrics));

    let fatal: Error | undefined;
    let telegramStarted = false;
    if (config.telegram) {
      const tg = createTelegramChannel({
        token: config.telegram.token,
        apiRoot: config.telegram.apiRoot,
        webhook: config.telegram.webhook,
        runtime: rt,
        logger,
        before: helpdesk?.staff?.composer,
        onFatal: (err) => {
          fatal = err;
          logger.fatal({ err: { message: err.message } }, 'telegram stopped taking updates; Pandu stops');
          void shutdown('telegram failed').then(() => process.exit(1));
        },
      });
      telegram = tg;
      tg.bot.api.config.use(metrics.telegramTransformer(config.helpdesk.chatId));
      if (tg.webhookHandler && tg.webhookPath) http.route('POST', tg.webhookPath, tg.webhookHandler);
      rt.setSender('telegram', async (chatId, replies) => {
        if ((await tg.send(chatId, replies)) === 'blocked') throw new Error('the user blocked the bot');
      });
      // Down until it has started (getMe, setWebhook or polling), so an unreachable Bot API shows.
      health.set('telegram', () => telegramStarted && fatal === undefined);
    }

    if (config.whatsapp.enabled) {
      let client;
      try {
        client = createWhatsAppClient({ dataDir: config.whatsapp.dataDir, chromiumPath: config.whatsapp.chromiumPath });
      } catch (err) {
        if (err instanceof ChromiumMissingError) throw new StartError(err.message);
        throw err;
      }
      const wa = createWhatsAppChannel({
        client,
        runtime: rt,
        logger,
        idSecret: config.whatsapp.idSecret!,
        maxBacklogAgeSec: config.whatsapp.maxBacklogAgeSec,
        lang: config.defaultLang,
        dataDir: config.whatsapp.dataDir,
        // A staff answer may follow a restart; the address is kept (encrypted) only for that.
        stopTimeoutMs: WHATSAPP_STOP_MS,
        ...(redis && helpdesk ? { addressBook: new RedisAddressBook(redis, { secret: config.whatsapp.idSecret!, prefix, ttlMs: ADDRESS_TTL_MS }) } : {}),
      });
      whatsapp = wa;
      rt.setSender('whatsapp', async (chatId, replies) => {
        if (!(await wa.sendTo(chatId, replies))) throw new Error('this WhatsApp chat cannot be reached until its user writes again');
      });
      metrics.followSends('whatsapp', () => {
        const s = wa.status().sends;
        return { sent: s.sent, failed: s.failed + s.expired + s.overflow + s.stopped };
      });
      health.set('whatsapp', () => wa.healthy());
    }

    // Listening before the channels start: setWebhook makes Telegram post at once.
    const { port } = await http.listen();
    stops.push({ name: 'http server', stop: () => http.close() });
    if (stopAsked()) return await new Promise<number>(() => undefined); // the signal handler exits
    logger.info({ host: config.http.host, port }, 'http server listening (/healthz, /metrics)');

    await helpdesk?.start(rt);
    if (stopAsked()) return await new Promise<number>(() => undefined);
    if (telegram) {
      const tg = telegram;
      stops.push({ name: 'telegram', stop: () => tg.stop() });
      await tg.start();
      if (stopAsked()) return await new Promise<number>(() => undefined);
      telegramStarted = true;
    }
    if (whatsapp) {
      const wa = whatsapp;
      void wa.start(); // never rejects; logs in (QR) and reconnects in the background
      stops.push({ name: 'whatsapp', stop: () => wa.stop() });
    }
    // Last to stop first: /healthz says "stopping" before anything else goes away.
    stops.push({ name: 'health', stop: async () => health.markStopping() });

    up = true;
    logger.info({ channels, store: redis ? 'redis' : 'memory', status: config.status.provider }, 'Pandu started');
    await shutdown(await signalled);
    return 0;
  } catch (err) {
    await shutdown('start-up failed');
    throw err;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`Pandu stopped on an unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
