// The status lookup's settings, read from the environment with zod. The lead may fold these
// variables into src/config.ts; until then main.ts (and the import command) can call
// loadStatusSettings(process.env). Secrets are never echoed in errors.
import { z } from 'zod';
import { DEFAULT_STATUS_PREFIX } from './redis-layout.ts';

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : typeof v === 'string' ? v.trim() : v);
const env = <T extends z.ZodType>(s: T) => z.preprocess(blank, s);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const StatusEnvSchema = z
  .object({
    /** Where records come from. */
    STATUS_PROVIDER: env(z.enum(['file', 'redis', 'http']).default('file')),
    /** The CSV the file provider loads at start. */
    STATUS_FILE: env(z.string().default('./data/status-demo.csv')),
    /** HMAC key for NIK, phone and card hashes; >= 16 characters. Unset: a random one per process (file provider only). */
    STATUS_HMAC_SECRET: env(z.string().min(16, 'expected at least 16 characters').optional()),
    /** Redis holding imported records; unset: REDIS_URL. */
    STATUS_REDIS_URL: env(z.url({ protocol: /^rediss?$/ }).optional()),
    STATUS_REDIS_PREFIX: env(z.string().regex(/^\S{1,64}$/).default(DEFAULT_STATUS_PREFIX)),
    STATUS_API_URL: env(z.url({ protocol: /^https?$/ }).optional()),
    STATUS_API_TOKEN: env(z.string().min(1).optional()),
    STATUS_API_TIMEOUT_MS: env(int(100, 60_000).default(3_000)),
    STATUS_API_RETRIES: env(int(0, 5).default(2)),
    STATUS_API_BREAKER_FAILURES: env(int(1, 100).default(5)),
    STATUS_API_BREAKER_COOLDOWN_SEC: env(int(1, 3_600).default(30)),
    STATUS_LOCK_MAX_FAILURES: env(int(1, 100).default(5)),
    STATUS_LOCK_WINDOW_MIN: env(int(1, 1_440).default(60)),
    STATUS_LOCK_MINUTES: env(int(1, 1_440).default(60)),
  })
  .superRefine((e, ctx) => {
    if (e.STATUS_PROVIDER !== 'file' && !e.STATUS_HMAC_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['STATUS_HMAC_SECRET'], message: `required when STATUS_PROVIDER=${e.STATUS_PROVIDER} (the same secret the data was keyed with)` });
    }
    if (e.STATUS_PROVIDER === 'http' && (!e.STATUS_API_URL || !e.STATUS_API_TOKEN)) {
      ctx.addIssue({ code: 'custom', path: [e.STATUS_API_URL ? 'STATUS_API_TOKEN' : 'STATUS_API_URL'], message: 'STATUS_API_URL and STATUS_API_TOKEN are required when STATUS_PROVIDER=http' });
    }
  })
  .transform((e) => ({
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
  }));

export type StatusSettings = z.infer<typeof StatusEnvSchema>;

export class StatusSettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid status lookup configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'StatusSettingsError';
  }
}

export function loadStatusSettings(source: NodeJS.ProcessEnv = process.env): StatusSettings {
  const r = StatusEnvSchema.safeParse(source);
  if (r.success) return r.data;
  throw new StatusSettingsError(r.error.issues.map((i) => `${String(i.path[0] ?? 'status')}: ${i.message}`));
}
