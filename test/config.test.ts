// The environment is read by one schema: defaults for a bare machine, every bad variable named.
import { describe, expect, it } from 'vitest';
import { channelsEnabled, ConfigError, loadConfig, unusedVariables } from '../src/config.ts';

describe('configuration', () => {
  it('no tokens and no REDIS_URL is valid: console channel, memory store, Indonesian', () => {
    const c = loadConfig({});
    expect(channelsEnabled(c)).toEqual(['console']);
    expect(c.store.redisUrl).toBeUndefined();
    expect(c.store.sessionTtlDays).toBe(30);
    expect(c.defaultLang).toBe('id');
  });

  it('blank values count as unset', () => {
    expect(loadConfig({ REDIS_URL: '  ', TELEGRAM_BOT_TOKEN: '' }).telegram).toBeUndefined();
  });

  it('reads the channels and the store', () => {
    const c = loadConfig({
      TELEGRAM_BOT_TOKEN: '123456:ABC-def_ghi',
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.org/telegram',
      TELEGRAM_WEBHOOK_SECRET: 's3cret_ok',
      WHATSAPP_ENABLED: 'yes',
      WHATSAPP_ID_SECRET: 'a-stable-secret-of-32-characters',
      REDIS_URL: 'redis://127.0.0.1:6380/2',
      SESSION_TTL_DAYS: '7',
    });
    expect(channelsEnabled(c)).toEqual(['telegram', 'whatsapp']);
    expect(c.telegram?.webhook).toEqual({ url: 'https://bot.example.org/telegram', secret: 's3cret_ok' });
    expect(c.store).toMatchObject({ redisUrl: 'redis://127.0.0.1:6380/2', sessionTtlDays: 7 });
    expect(c.whatsapp.idSecret).toBe('a-stable-secret-of-32-characters');
  });

  it('gives the status lookup and the helpdesk working defaults', () => {
    const c = loadConfig({});
    expect(c.status).toMatchObject({ provider: 'file', file: './data/status-demo.csv', api: undefined });
    expect(c.status.lockout).toEqual({ maxFailures: 5, windowMs: 3_600_000, lockMs: 3_600_000 });
    expect(c.helpdesk).toMatchObject({ chatId: undefined, remindAfterMs: 600_000, idleCloseMs: 1_800_000 });
  });

  it('reads the status API and the helpdesk hours', () => {
    const c = loadConfig({
      STATUS_PROVIDER: 'http',
      STATUS_HMAC_SECRET: 'k'.repeat(32),
      STATUS_API_URL: 'https://api.example.org/status',
      STATUS_API_TOKEN: 'token-value',
      STATUS_API_TIMEOUT_MS: '2500',
      HELPDESK_CHAT_ID: '-1001234567890',
      HELPDESK_HOURS: 'Mon-Sat 07:00-19:00 Asia/Jakarta',
      HELPDESK_IDLE_CLOSE_MIN: '45',
    });
    expect(c.status.api).toMatchObject({ url: 'https://api.example.org/status', token: 'token-value', timeoutMs: 2500 });
    expect(c.helpdesk).toMatchObject({ chatId: -1001234567890, idleCloseMs: 45 * 60_000 });
  });

  it('names missing companions of WhatsApp and the status providers, without echoing their secrets', () => {
    let err: unknown;
    try {
      loadConfig({
        WHATSAPP_ENABLED: 'true',
        STATUS_PROVIDER: 'http',
        STATUS_HMAC_SECRET: 'short-secret-x',
        STATUS_API_TOKEN: 'tok-should-not-appear',
        STATUS_LOCK_MINUTES: '0',
        HELPDESK_HOURS: 'sometimes',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const v of ['WHATSAPP_ID_SECRET', 'STATUS_HMAC_SECRET', 'STATUS_API_URL', 'STATUS_LOCK_MINUTES', 'HELPDESK_HOURS']) expect(msg).toContain(v);
    expect(msg).not.toContain('short-secret-x');
    expect(msg).not.toContain('tok-should-not-appear');
  });

  it('names every bad variable at once, with what is expected, without echoing secrets', () => {
    let err: unknown;
    try {
      loadConfig({
        SESSION_TTL_DAYS: 'abc',
        DEFAULT_LANG: 'fr',
        REDIS_URL: 'http://nope',
        TELEGRAM_BOT_TOKEN: 'not-a-token-value',
        TELEGRAM_API_ROOT: 'http://127.0.0.1:8081/',
        TELEGRAM_WEBHOOK_URL: 'https://x.example/hook',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    for (const v of ['SESSION_TTL_DAYS', 'DEFAULT_LANG', 'REDIS_URL', 'TELEGRAM_BOT_TOKEN', 'TELEGRAM_API_ROOT', 'TELEGRAM_WEBHOOK_SECRET']) {
      expect(msg).toContain(v);
    }
    expect(msg).toContain('"abc"');
    expect(msg).not.toContain('not-a-token-value');
  });

  it('names variables that are set but have no effect here (a secret without its webhook, API settings for another provider)', () => {
    const env = {
      TELEGRAM_BOT_TOKEN: '123456:ABC-def_ghi',
      TELEGRAM_WEBHOOK_SECRET: 'orphan_secret',
      STATUS_API_URL: 'https://api.example.org/status',
      HELPDESK_HOURS: 'always',
      REDIS_URL: 'redis://127.0.0.1:6380/0',
    };
    expect(unusedVariables(env, loadConfig(env)).sort()).toEqual(['HELPDESK_HOURS', 'STATUS_API_URL', 'TELEGRAM_WEBHOOK_SECRET']);
    expect(unusedVariables({}, loadConfig({}))).toEqual([]);
    // What the Docker image sets for every container is not worth a warning at every start.
    const image = { WHATSAPP_DATA_DIR: '/data/whatsapp', WHATSAPP_CHROMIUM_PATH: '/usr/bin/chromium', HTTP_HOST: '0.0.0.0', HTTP_PORT: '8080' };
    expect(unusedVariables(image, loadConfig(image))).toEqual([]);
  });
});
