// The status lookup's environment variables, as pieces of src/config.ts's one schema (which owns
// all configuration): STATUS_ENV is spread into its shape, checkStatusEnv into its cross-checks
// and statusSettings into its transform. loadStatusSettings parses these variables alone, for
// tools that need nothing else. Secrets are never echoed in errors (config.ts's SECRET_VARS).
import { z } from 'zod';
import { envVar, oneOf, wholeNumber } from '../../env-vars.ts';
import { DEFAULT_STATUS_PREFIX } from './redis-layout.ts';

const int = (min: number, max: number, unit: string) => wholeNumber(min, max, `a whole number of ${unit} from ${min} to ${max}`);

export const STATUS_PROVIDERS = ['file', 'redis', 'http'] as const;
/** The fictional records that ship with Pandu, so the lookup works out of the box. */
export const DEMO_STATUS_FILE = './data/status-demo.csv';

export const STATUS_ENV = {
  /** Where records come from. */
  STATUS_PROVIDER: envVar(oneOf(STATUS_PROVIDERS, 'file, redis or http').default('file')),
  /** The CSV the file provider loads at start. */
  STATUS_FILE: envVar(z.string().default(DEMO_STATUS_FILE)),
  /** HMAC key for NIK, phone and card hashes. Unset: a random one per process (file provider only). */
  STATUS_HMAC_SECRET: envVar(z.string().min(16, { error: 'expected at least 16 characters' }).optional()),
  /** Redis holding imported records; unset: REDIS_URL. */
  STATUS_REDIS_URL: envVar(z.url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' }).optional()),
  STATUS_REDIS_PREFIX: envVar(z.string().regex(/^\S{1,64}$/, { error: 'expected 1 to 64 characters without spaces' }).default(DEFAULT_STATUS_PREFIX)),
  STATUS_API_URL: envVar(z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional()),
  STATUS_API_TOKEN: envVar(z.string().optional()),
  STATUS_API_TIMEOUT_MS: envVar(int(100, 60_000, 'milliseconds').default(3_000)),
  STATUS_API_RETRIES: envVar(int(0, 5, 'retries').default(2)),
  STATUS_API_BREAKER_FAILURES: envVar(int(1, 100, 'failures').default(5)),
  STATUS_API_BREAKER_COOLDOWN_SEC: envVar(int(1, 3_600, 'seconds').default(30)),
  STATUS_LOCK_MAX_FAILURES: envVar(int(1, 100, 'failures').default(5)),
  STATUS_LOCK_WINDOW_MIN: envVar(int(1, 1_440, 'minutes').default(60)),
  STATUS_LOCK_MINUTES: envVar(int(1, 1_440, 'minutes').default(60)),
};

type StatusEnv = z.output<z.ZodObject<typeof STATUS_ENV>>;

/** Cross-checks between the variables above (they need each other, depending on the provider). */
export function checkStatusEnv(e: Partial<StatusEnv>, ctx: z.RefinementCtx): void {
  // A provider that failed its own check is reported there; the rest cannot be judged without it.
  if (e.STATUS_PROVIDER !== undefined && !(STATUS_PROVIDERS as readonly string[]).includes(e.STATUS_PROVIDER)) return;
  const provider = e.STATUS_PROVIDER ?? 'file';
  if (provider !== 'file' && !e.STATUS_HMAC_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['STATUS_HMAC_SECRET'], message: `required when STATUS_PROVIDER=${provider} (the same secret the data was keyed with)` });
  }
  if (provider === 'http' && (!e.STATUS_API_URL || !e.STATUS_API_TOKEN)) {
    ctx.addIssue({ code: 'custom', path: [e.STATUS_API_URL ? 'STATUS_API_TOKEN' : 'STATUS_API_URL'], message: 'STATUS_API_URL and STATUS_API_TOKEN are required when STATUS_PROVIDER=http' });
  }
}

/** The `status` part of Config. */
export function statusSettings(e: StatusEnv) {
  return {
    provider: e.STATUS_PROVIDER,
    file: e.STATUS_FILE,
    hmacSecret: e.STATUS_HMAC_SECRET,
    redisUrl: e.STATUS_REDIS_URL,
    redisPrefix: e.STATUS_REDIS_PREFIX,
    api:
      e.STATUS_API_URL && e.STATUS_API_TOKEN
        ? {
            url: e.STATUS_API_URL,
            token: e.STATUS_API_TOKEN,
            timeoutMs: e.STATUS_API_TIMEOUT_MS,
            retries: e.STATUS_API_RETRIES,
            breakerFailures: e.STATUS_API_BREAKER_FAILURES,
            breakerCooldownMs: e.STATUS_API_BREAKER_COOLDOWN_SEC * 1000,
          }
        : undefined,
    lockout: {
      maxFailures: e.STATUS_LOCK_MAX_FAILURES,
      windowMs: e.STATUS_LOCK_WINDOW_MIN * 60_000,
      lockMs: e.STATUS_LOCK_MINUTES * 60_000,
    },
  };
}

export type StatusSettings = ReturnType<typeof statusSettings>;

export const StatusEnvSchema = z.object(STATUS_ENV).superRefine(checkStatusEnv).transform(statusSettings);

export class StatusSettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid status lookup configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'StatusSettingsError';
  }
}

/** The status variables alone (tests and tools); Pandu itself reads them through loadConfig. */
export function loadStatusSettings(source: NodeJS.ProcessEnv = process.env): StatusSettings {
  const r = StatusEnvSchema.safeParse(source);
  if (r.success) return r.data;
  throw new StatusSettingsError(r.error.issues.map((i) => `${String(i.path[0] ?? 'status')}: ${i.message}`));
}
