// `npm run whatsapp:login`: argument handling, and the linking flow against the fake client (QR
// in the terminal and as a PNG, pairing code, success, auth failure, timeout, start failure).
import { CommanderError } from 'commander';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { QR_PNG_NAME } from '../src/channels/whatsapp/qr.ts';
import { EXIT, formatPairingCode, maskPhone, normalizePhone, parseLoginArgs, runLoginCli, runLoginFlow, type LoginCliDeps } from '../src/channels/whatsapp/login.ts';

type ClientConfig = Parameters<LoginCliDeps['createClient']>[0];
import { FakeWhatsAppClient } from './support/fake-whatsapp.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'pandu-wa-login-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  vi.useRealTimers();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const quiet = { out: () => undefined, err: () => undefined };

describe('whatsapp:login arguments', () => {
  it('takes the data folder and Chromium from the environment, with flags winning', () => {
    expect(parseLoginArgs([], {}, quiet)).toEqual({ dataDir: './.data/whatsapp', chromiumPath: '/usr/bin/chromium', pairingPhone: undefined, timeoutSec: 300 });
    const env = { WHATSAPP_DATA_DIR: '/data/wa', WHATSAPP_CHROMIUM_PATH: '/opt/chrome' };
    expect(parseLoginArgs([], env, quiet)).toMatchObject({ dataDir: '/data/wa', chromiumPath: '/opt/chrome' });
    expect(parseLoginArgs(['--data-dir', '/x', '--timeout', '60'], env, quiet)).toMatchObject({ dataDir: '/x', chromiumPath: '/opt/chrome', timeoutSec: 60 });
  });

  it('accepts a pairing number in the usual written forms and rejects local ones', () => {
    expect(parseLoginArgs(['--pairing-code', '+62 812-3456-7890'], {}, quiet).pairingPhone).toBe('6281234567890');
    expect(normalizePhone('0062 812 3456 7890')).toBe('6281234567890');
    expect(() => normalizePhone('081234567890')).toThrow(/country code/);
    expect(() => normalizePhone('62-abc')).toThrow(/only digits/);
    expect(() => normalizePhone('621')).toThrow(/8 to 15 digits/);
    expect(() => parseLoginArgs(['--pairing-code', '081234567890'], {}, quiet)).toThrow(CommanderError);
    expect(() => parseLoginArgs(['--timeout', '5'], {}, quiet)).toThrow(CommanderError);
    expect(() => parseLoginArgs(['--bogus'], {}, quiet)).toThrow(CommanderError);
    expect(maskPhone('6281234567890')).toBe('6281*****7890');
    expect(formatPairingCode('k7px2qwm')).toBe('K7PX-2QWM');
  });

  it('exits 2 on bad arguments, 0 on --help, 1 when Chromium is missing', async () => {
    const errs: string[] = [];
    const createClient = vi.fn((_cfg: ClientConfig) => new FakeWhatsAppClient());
    expect(await runLoginCli(['--pairing-code', '0812'], {}, { createClient, out: () => undefined, err: (s) => errs.push(s) })).toBe(EXIT.usage);
    expect(errs.join('\n')).toMatch(/country code|8 to 15/);
    // No --client-id: Pandu has no such setting, so a login stored under one would never be found.
    expect(await runLoginCli(['--client-id', 'pandu'], {}, { createClient, out: () => undefined, err: (s) => errs.push(s) })).toBe(EXIT.usage);
    expect(errs.join('\n')).toMatch(/unknown option '--client-id'/);
    expect(await runLoginCli(['--help'], {}, { createClient, ...quiet })).toBe(EXIT.ok);
    expect(createClient).not.toHaveBeenCalled();
    const failing = () => {
      throw new Error('Chromium was not found at /nope');
    };
    expect(await runLoginCli([], {}, { createClient: failing, out: () => undefined, err: (s) => errs.push(s) })).toBe(EXIT.failed);
    expect(errs.join('\n')).toContain('Chromium was not found');
  });
});

describe('whatsapp:login flow', () => {
  it('QR mode: prints the QR, saves it as a PNG, exits 0 once linked and removes the PNG', async () => {
    const dataDir = tmp();
    const fake = new FakeWhatsAppClient();
    const out: string[] = [];
    const png = join(dataDir, QR_PNG_NAME);
    let pngSeen = false;
    fake.onInitialize = async () => {
      fake.emit('qr', '2@loginQrPayload,abc,def,ghi,1');
    };
    const createClient = vi.fn((_cfg: ClientConfig) => fake);
    const run = runLoginCli(['--data-dir', dataDir], {}, { createClient, out: (s) => out.push(s), err: (s) => out.push(s), settleMs: 0 });
    await vi.waitFor(() => expect(out.join('\n')).toContain('saved as'));
    pngSeen = existsSync(png) && readFileSync(png).subarray(1, 4).toString() === 'PNG';
    fake.emit('authenticated');
    fake.emit('ready');
    expect(await run).toBe(EXIT.ok);
    expect(pngSeen).toBe(true);
    expect(existsSync(png)).toBe(false);
    expect(createClient).toHaveBeenCalledWith({ dataDir, chromiumPath: '/usr/bin/chromium', pairWithPhoneNumber: undefined });
    const text = out.join('\n');
    expect(text).toMatch(/[▀▄█]/);
    expect(text).toContain('Linked devices');
    expect(text).toContain(join(dataDir, 'session'));
    expect(fake.destroyCalls).toBe(1);
  });

  it('pairing-code mode: the client is built to pair with the number, and the code is printed with instructions', async () => {
    const fake = new FakeWhatsAppClient();
    const out: string[] = [];
    fake.onInitialize = async () => {
      fake.emit('code', 'K7PX2QWM');
      fake.emit('code', 'K7PX2QWM'); // a repeat is not printed twice
    };
    const createClient = vi.fn((_cfg: ClientConfig) => fake);
    const run = runLoginCli(['--pairing-code', '6281234567890', '--data-dir', tmp()], {}, { createClient, out: (s) => out.push(s), settleMs: 0 });
    await vi.waitFor(() => expect(out.join('\n')).toContain('K7PX-2QWM'));
    fake.emit('ready');
    expect(await run).toBe(EXIT.ok);
    expect(createClient.mock.calls[0]![0]).toMatchObject({ pairWithPhoneNumber: '6281234567890' });
    const text = out.join('\n');
    expect(text.match(/K7PX-2QWM/g)).toHaveLength(1);
    expect(text).toContain('Link with phone number');
    expect(text).not.toContain('6281234567890'); // masked on screen
  });

  it('pairing-code mode: when the library shows a QR instead, it requests the code with requestPairingCode', async () => {
    const fake = new FakeWhatsAppClient();
    fake.pairingCode = 'ABCD1234';
    const out: string[] = [];
    fake.onInitialize = async () => {
      fake.emit('qr', '2@qr');
    };
    const flow = runLoginFlow({ client: fake, dataDir: tmp(), pairingPhone: '6281234567890', timeoutMs: 60_000, out: (s) => out.push(s), settleMs: 0 });
    await vi.waitFor(() => expect(out.join('\n')).toContain('ABCD-1234'));
    expect(fake.pairingRequests).toEqual([{ phone: '6281234567890', showNotification: true }]);
    fake.emit('qr', '2@qr-refreshed'); // no QR flood once a code is in use
    fake.emit('ready');
    expect(await flow).toEqual({ code: EXIT.ok, outcome: 'ready' });
    expect(out.join('\n')).not.toMatch(/[▀▄█]/);
  });

  it('exits 1 on auth failure, naming the folder to delete', async () => {
    const dataDir = tmp();
    const fake = new FakeWhatsAppClient();
    const out: string[] = [];
    fake.onInitialize = async () => {
      fake.emit('auth_failure', 'Unable to log in');
    };
    const r = await runLoginFlow({ client: fake, dataDir, timeoutMs: 60_000, out: (s) => out.push(s) });
    expect(r).toEqual({ code: EXIT.failed, outcome: 'auth_failure' });
    expect(out.join('\n')).toContain(`Delete the folder ${join(dataDir, 'session')} and`); // the folder Pandu itself reads
    expect(fake.destroyCalls).toBe(1);
  });

  it('exits 1 when WhatsApp Web cannot be reached', async () => {
    const fake = new FakeWhatsAppClient();
    const out: string[] = [];
    fake.onInitialize = async () => {
      throw new Error('net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/');
    };
    const r = await runLoginFlow({ client: fake, dataDir: tmp(), timeoutMs: 60_000, out: (s) => out.push(s) });
    expect(r).toEqual({ code: EXIT.failed, outcome: 'init_failed' });
    expect(out.join('\n')).toContain('ERR_NAME_NOT_RESOLVED');
  });

  it('exits 3 when nobody links in time', async () => {
    vi.useFakeTimers();
    const fake = new FakeWhatsAppClient();
    const out: string[] = [];
    const flow = runLoginFlow({ client: fake, dataDir: tmp(), timeoutMs: 120_000, out: (s) => out.push(s) });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(await flow).toEqual({ code: EXIT.timeout, outcome: 'timeout' });
    expect(out.join('\n')).toContain('Not linked after 120 s');
    expect(fake.destroyCalls).toBe(1);
  });
});
