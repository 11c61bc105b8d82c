// The environment is read by one schema: defaults for a bare machine, every bad variable named.
import { describe, expect, it } from 'vitest';
import { channelsEnabled, ConfigError, loadConfig } from '../src/config.ts';

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
      REDIS_URL: 'redis://127.0.0.1:6380/2',
      SESSION_TTL_DAYS: '7',
    });
    expect(channelsEnabled(c)).toEqual(['telegram', 'whatsapp']);
    expect(c.telegram?.webhook).toEqual({ url: 'https://bot.example.org/telegram', secret: 's3cret_ok' });
    expect(c.store).toMatchObject({ redisUrl: 'redis://127.0.0.1:6380/2', sessionTtlDays: 7 });
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
});
