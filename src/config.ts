// Pandu's configuration: every setting comes from the environment and is checked here, once, at
// start-up. One zod schema reads the variables, validates them and reshapes them into the Config
// object the rest of the program uses; the Config type is inferred from that schema.
//
// A bad configuration stops start-up with a ConfigError that names every bad variable, what is
// wrong with it and what is expected, so an operator can fix them all in one go.
// docs/configuration.md describes every variable; keep it in step with this file.
import { z } from 'zod';
import { LANGS, type Channel } from './core/types.ts';
import { envVar, expected, oneOf, wholeNumber } from './env-vars.ts';
import { HELPDESK_ENV, helpdeskSettings } from './helpdesk/config.ts';
import { checkStatusEnv, STATUS_ENV, statusSettings } from './prakerja/status/settings.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const TRUE_WORDS = ['true', '1', 'yes'] as const;
const FALSE_WORDS = ['false', '0', 'no'] as const;

/** Variables whose values must never be echoed back, even in an error message. */
const SECRET_VARS = new Set(['TELEGRAM_BOT_TOKEN', 'TELEGRAM_WEBHOOK_SECRET', 'WHATSAPP_ID_SECRET', 'STATUS_HMAC_SECRET', 'STATUS_API_TOKEN']);

const TELEGRAM_TOKEN_RE = /^\d{1,20}:[A-Za-z0-9_-]{1,200}$/;
const WEBHOOK_SECRET_RE = /^[A-Za-z0-9_-]{1,256}$/;
// A host name, an IPv4 address or an IPv6 address (such as "::" or "::1"); no scheme, no port.
const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/;

const WEBHOOK_SECRET_EXPECTED = '1 to 256 characters, each a letter (A-Z, a-z), a digit, "_" or "-"';

// ---------------------------------------------------------------------------------------------
// The schema: the environment as it arrives, then one transform into the Config shape.

/** One entry per environment variable, in the order errors are reported. */
const ENV_SHAPE = {
  LOG_LEVEL: envVar(oneOf(LOG_LEVELS, `one of ${LOG_LEVELS.join(', ')}`).default('info')),
  DEFAULT_LANG: envVar(oneOf(LANGS, '"id" (Bahasa Indonesia) or "en" (English)').default('id')),

  REDIS_URL: envVar(
    z.url({ protocol: /^rediss?$/, ...expected('a redis:// or rediss:// URL (such as redis://127.0.0.1:6379/0)') }).optional(),
  ),
  SESSION_TTL_DAYS: envVar(wholeNumber(1, 365, 'a whole number of days from 1 to 365').default(30)),
  REDIS_KEY_PREFIX: envVar(
    z.string().regex(/^\S{1,64}$/, expected('1 to 64 characters without spaces (such as "pandu:")')).default('pandu:'),
  ),

  TELEGRAM_BOT_TOKEN: envVar(
    z
      .string()
      .regex(TELEGRAM_TOKEN_RE, expected('a bot token from @BotFather: digits, ":", then letters, digits, "_" or "-" (such as 123456789:AAH4...)'))
      .optional(),
  ),
  TELEGRAM_WEBHOOK_URL: envVar(
    z.url({ protocol: /^https$/, ...expected('an https:// URL that Telegram can reach (such as https://bot.example.org/telegram)') }).optional(),
  ),
  TELEGRAM_WEBHOOK_SECRET: envVar(z.string().regex(WEBHOOK_SECRET_RE, expected(WEBHOOK_SECRET_EXPECTED)).optional()),
  TELEGRAM_API_ROOT: envVar(
    z
      .url({ protocol: /^https?$/, ...expected('an http:// or https:// URL of a Bot API server (such as http://127.0.0.1:8081)') })
      .refine((s) => !s.endsWith('/'), {
        error: (issue) =>
          `expected no trailing "/" (grammY refuses an apiRoot that ends in "/"); use ${JSON.stringify(String(issue.input).replace(/\/+$/, ''))}`,
      })
      .optional(),
  ),

  HTTP_HOST: envVar(
    z.string().regex(HOST_RE, expected('a host name or IP address to listen on (such as 0.0.0.0 or 127.0.0.1)')).default('0.0.0.0'),
  ),
  HTTP_PORT: envVar(wholeNumber(1, 65535, 'a whole number from 1 to 65535').default(8080)),

  WHATSAPP_ENABLED: envVar(
    oneOf([...TRUE_WORDS, ...FALSE_WORDS], 'true or false (1/0 and yes/no also work)')
      .transform((word) => (TRUE_WORDS as readonly string[]).includes(word))
      .default(false),
  ),
  WHATSAPP_DATA_DIR: envVar(z.string().default('./.data/whatsapp')),
  WHATSAPP_CHROMIUM_PATH: envVar(z.string().default('/usr/bin/chromium')),
  WHATSAPP_MAX_BACKLOG_AGE_SEC: envVar(
    wholeNumber(0, 604_800, 'a whole number of seconds from 0 to 604800 (7 days)').default(300),
  ),
  WHATSAPP_ID_SECRET: envVar(z.string().min(16, expected('at least 16 characters (such as the output of `openssl rand -hex 32`)')).optional()),

  FLOWS_DIR: envVar(z.string().default('./flows')),
  LOCALES_DIR: envVar(z.string().default('./locales')),
  POLICY_FILE: envVar(z.string().default('./policy/prakerja.yaml')),

  HELPDESK_CHAT_ID: envVar(
    wholeNumber(
      Number.MIN_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER,
      'a Telegram chat id: a whole number, negative for a group (such as -1001234567890)',
    ).optional(),
  ),
  ...HELPDESK_ENV,

  ...STATUS_ENV,
};

export const ConfigSchema = z
  .object(ENV_SHAPE)
  .superRefine(
    (env, ctx) => {
      // Runs even when other variables are bad (`when` below), so every problem is reported at
      // once. A variable that failed its own check still counts as "set" here.
      if (env.TELEGRAM_WEBHOOK_URL !== undefined && env.TELEGRAM_WEBHOOK_SECRET === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['TELEGRAM_WEBHOOK_SECRET'],
          message:
            'required when TELEGRAM_WEBHOOK_URL is set (Telegram sends it with every update so Pandu can reject forged ones); ' +
            `expected ${WEBHOOK_SECRET_EXPECTED}`,
        });
      }
      if (env.TELEGRAM_WEBHOOK_URL !== undefined && env.TELEGRAM_BOT_TOKEN === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['TELEGRAM_WEBHOOK_URL'],
          message: 'is set but TELEGRAM_BOT_TOKEN is not: a webhook needs a bot; set TELEGRAM_BOT_TOKEN or unset TELEGRAM_WEBHOOK_URL',
          params: { omitValue: true },
        });
      }
      if (env.WHATSAPP_ENABLED === true && env.WHATSAPP_ID_SECRET === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['WHATSAPP_ID_SECRET'],
          message:
            'required when WHATSAPP_ENABLED=true (it turns phone numbers into the pseudonyms sessions are kept under, and must stay the same across restarts); ' +
            'expected at least 16 characters (such as the output of `openssl rand -hex 32`)',
        });
      }
      checkStatusEnv(env, ctx);
    },
    { when: () => true },
  )
  .transform((env) => ({
    logLevel: env.LOG_LEVEL,
    defaultLang: env.DEFAULT_LANG,
    store: {
      /** Unset: sessions live in memory and are lost on restart. */
      redisUrl: env.REDIS_URL,
      keyPrefix: env.REDIS_KEY_PREFIX,
      sessionTtlDays: env.SESSION_TTL_DAYS,
    },
    /** Unset when there is no bot token: the Telegram channel does not run. */
    telegram:
      env.TELEGRAM_BOT_TOKEN === undefined
        ? undefined
        : {
            token: env.TELEGRAM_BOT_TOKEN,
            /** Unset: long polling. The refinement above guarantees a secret with every URL. */
            webhook:
              env.TELEGRAM_WEBHOOK_URL !== undefined && env.TELEGRAM_WEBHOOK_SECRET !== undefined
                ? { url: env.TELEGRAM_WEBHOOK_URL, secret: env.TELEGRAM_WEBHOOK_SECRET }
                : undefined,
            /** Unset: grammY's default, https://api.telegram.org. */
            apiRoot: env.TELEGRAM_API_ROOT,
          },
    http: { host: env.HTTP_HOST, port: env.HTTP_PORT },
    whatsapp: {
      enabled: env.WHATSAPP_ENABLED,
      dataDir: env.WHATSAPP_DATA_DIR,
      chromiumPath: env.WHATSAPP_CHROMIUM_PATH,
      maxBacklogAgeSec: env.WHATSAPP_MAX_BACKLOG_AGE_SEC,
      /** Set whenever the channel is enabled (the refinement above). */
      idSecret: env.WHATSAPP_ID_SECRET,
    },
    paths: { flowsDir: env.FLOWS_DIR, localesDir: env.LOCALES_DIR, policyFile: env.POLICY_FILE },
    helpdesk: { chatId: env.HELPDESK_CHAT_ID, ...helpdeskSettings(env) },
    status: statusSettings(env),
  }));

/** The validated configuration (the schema's output). */
export type Config = z.infer<typeof ConfigSchema>;
/** The variables the schema reads (its input). */
export type ConfigEnv = z.input<typeof ConfigSchema>;

export interface ConfigProblem {
  /** The environment variable at fault. */
  variable: string;
  /** What is wrong and what is expected, including the value found (secrets are not shown). */
  problem: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const n = problems.length;
    super(
      `Invalid configuration (${n} problem${n === 1 ? '' : 's'}; see docs/configuration.md):\n` +
        problems.map((p) => `  - ${p.variable}: ${p.problem}`).join('\n'),
    );
    this.problems = problems;
  }
}

/**
 * Reads and validates the configuration. Throws a ConfigError listing every bad variable.
 * No tokens and no REDIS_URL is a valid configuration: the console channel with sessions in memory.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = ConfigSchema.safeParse(env);
  if (result.success) return result.data;

  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const issue of result.error.issues) {
    const variable = String(issue.path[0] ?? '(environment)');
    if (seen.has(variable)) continue; // one line per variable: the first thing wrong with it
    seen.add(variable);
    const omitValue = issue.code === 'custom' && issue.params?.['omitValue'] === true;
    const found = omitValue ? '' : describeValue(variable, env[variable]);
    problems.push({ variable, problem: issue.message + found });
  }
  const order = Object.keys(ENV_SHAPE);
  problems.sort((a, b) => order.indexOf(a.variable) - order.indexOf(b.variable));
  throw new ConfigError(problems);
}

/** ", got ..." for an error message, without leaking secrets or passwords. */
function describeValue(variable: string, raw: string | undefined): string {
  const value = raw?.trim();
  if (value === undefined || value === '') return ', but it is not set';
  if (SECRET_VARS.has(variable)) return `, got a value of ${value.length} characters (not shown: it is a secret)`;
  const shown = value
    .replace(/(\/\/[^/?#@]*?:)[^/?#@]*@/, '$1***@') // a password in a URL
    .replace(/\d{5,}:[A-Za-z0-9_-]{20,}/g, '***'); // a bot token pasted into a URL
  return `, got ${JSON.stringify(shown.length > 120 ? `${shown.slice(0, 117)}...` : shown)}`;
}

/**
 * Variables that are set (and valid) but have no effect in this configuration, such as a webhook
 * secret without a webhook URL: start-up warns about them, since they usually mean a typo or a
 * forgotten companion variable.
 */
export function unusedVariables(env: NodeJS.ProcessEnv, config: Config): string[] {
  const set = (name: string) => (env[name]?.trim() ?? '') !== '';
  const unused: string[] = [];
  const when = (ignored: boolean, names: string[]) => {
    if (ignored) unused.push(...names.filter(set));
  };
  when(config.telegram === undefined, ['TELEGRAM_WEBHOOK_URL', 'TELEGRAM_WEBHOOK_SECRET', 'TELEGRAM_API_ROOT']);
  when(config.telegram?.webhook === undefined, ['TELEGRAM_WEBHOOK_SECRET']);
  // Not WHATSAPP_DATA_DIR and WHATSAPP_CHROMIUM_PATH: the Docker image sets both for every
  // container, WhatsApp or not, and a warning at every start that nobody can act on is noise.
  when(!config.whatsapp.enabled, ['WHATSAPP_MAX_BACKLOG_AGE_SEC', 'WHATSAPP_ID_SECRET']);
  when(config.helpdesk.chatId === undefined, ['HELPDESK_HOURS', 'HELPDESK_REMIND_AFTER_MIN', 'HELPDESK_IDLE_CLOSE_MIN']);
  when(config.status.provider !== 'file', ['STATUS_FILE']);
  when(config.status.provider !== 'redis', ['STATUS_REDIS_URL', 'STATUS_REDIS_PREFIX']);
  when(config.status.provider !== 'http', ['STATUS_API_URL', 'STATUS_API_TOKEN', 'STATUS_API_TIMEOUT_MS', 'STATUS_API_RETRIES', 'STATUS_API_BREAKER_FAILURES', 'STATUS_API_BREAKER_COOLDOWN_SEC']);
  return [...new Set(unused)];
}

/**
 * Which channels run: Telegram when a bot token is set, WhatsApp when enabled, and the console
 * when neither is.
 */
export function channelsEnabled(config: Pick<Config, 'telegram' | 'whatsapp'>): Channel[] {
  const channels: Channel[] = [];
  if (config.telegram !== undefined) channels.push('telegram');
  if (config.whatsapp.enabled) channels.push('whatsapp');
  if (channels.length === 0) channels.push('console');
  return channels;
}
