// The real whatsapp-web.js Client as Pandu builds it (no browser is started: `new Client` does not
// launch Chromium, `initialize()` would).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import wwebjs from 'whatsapp-web.js';
import { afterEach, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, ChromiumMissingError, createWhatsAppClient, whatsAppClientOptions } from '../src/channels/whatsapp/client.ts';
import { sessionDirOf } from '../src/channels/whatsapp/channel.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('whatsapp client factory', () => {
  it('uses LocalAuth in the data folder, the given Chromium, headless, with the server flags', () => {
    const o = whatsAppClientOptions({ dataDir: '/data/wa', chromiumPath: '/usr/bin/chromium', clientId: 'pandu' });
    expect(o.authStrategy).toBeInstanceOf(wwebjs.LocalAuth);
    const auth = o.authStrategy as unknown as { dataPath: string; clientId?: string };
    expect(auth.dataPath).toBe(resolve('/data/wa'));
    expect(auth.clientId).toBe('pandu');
    expect(o.puppeteer).toMatchObject({ executablePath: '/usr/bin/chromium', headless: true });
    // Pandu closes Chromium in its own shutdown: puppeteer must not SIGKILL it first, which leaves
    // the profile locked, so that a recreated container could never log in again.
    expect(o.puppeteer).toMatchObject({ handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
    const args = (o.puppeteer as { args: string[] }).args;
    for (const flag of ['--no-sandbox', '--disable-setuid-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']) {
      expect(args).toContain(flag);
    }
    expect(args).toEqual([...CHROMIUM_ARGS]);
    expect(o.webVersionCache).toEqual({ type: 'local', path: join('/data/wa', 'web-cache') });
    expect(o.pairWithPhoneNumber).toBeUndefined();
    expect(whatsAppClientOptions({ dataDir: '/d', chromiumPath: '/c', pairWithPhoneNumber: '6281234567890' }).pairWithPhoneNumber).toEqual({
      phoneNumber: '6281234567890',
      showNotification: true,
    });
    expect(sessionDirOf('/data/wa', 'pandu')).toBe('/data/wa/session-pandu');
    expect(sessionDirOf('/data/wa')).toBe('/data/wa/session');
  });

  it('refuses to build a client when Chromium is missing, saying how to install it', () => {
    expect(() => createWhatsAppClient({ dataDir: '/tmp/x', chromiumPath: '/nonexistent/chromium' })).toThrow(ChromiumMissingError);
    expect(() => createWhatsAppClient({ dataDir: '/tmp/x', chromiumPath: '/nonexistent/chromium' })).toThrow(/apt-get install -y chromium/);
  });

  it('builds a Client without starting a browser', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pandu-wa-client-'));
    dirs.push(dataDir);
    // Any executable file will do: nothing is launched before initialize().
    const client = createWhatsAppClient({ dataDir, chromiumPath: process.execPath });
    expect(client).toBeInstanceOf(wwebjs.Client);
    expect(client.pupBrowser ?? null).toBeNull();
  });
});
