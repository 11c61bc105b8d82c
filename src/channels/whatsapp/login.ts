// Linking Pandu's WhatsApp number as a linked device, then exiting: `npm run whatsapp:login`.
// A QR code (terminal + PNG in the data folder) by default; with `--pairing-code <number>` an
// 8-character code to type on the phone instead (for operators who cannot scan the server's QR).
// The command is src/cli/whatsapp-login.ts; everything testable lives here.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { join } from 'node:path';
import type { Client as WAClient } from 'whatsapp-web.js';
import { sessionDirOf, type WAOn } from './channel.ts';
import { maskNumbers } from './inbound.ts';
import { QR_PNG_NAME, qrForTerminal, removeQrPng, writeQrPng } from './qr.ts';

/** What the login flow uses of whatsapp-web.js's Client, from its own declarations. */
export type WALoginClientLike = Pick<WAClient, 'initialize' | 'destroy' | 'requestPairingCode'> & { on: WAOn };

/** Compile-time proof that the real Client fits. */
const realLoginClientFits: WAClient extends WALoginClientLike ? true : never = true;
void realLoginClientFits;

export const EXIT = { ok: 0, failed: 1, usage: 2, timeout: 3 } as const;

export interface LoginArgs {
  dataDir: string;
  chromiumPath: string;
  /** Digits only, international format (6281234567890). Set: pairing code instead of QR. */
  pairingPhone?: string;
  timeoutSec: number;
}

/** "+62 812-3456-7890" -> "6281234567890". Rejects local formats ("0812...") it cannot place. */
export function normalizePhone(raw: string): string {
  let s = raw.trim().replace(/[\s().-]/g, '');
  if (s.startsWith('+')) s = s.slice(1);
  else if (s.startsWith('00')) s = s.slice(2);
  if (!/^\d+$/.test(s)) throw new InvalidArgumentError('a phone number has only digits (and optionally a leading +), e.g. 6281234567890');
  if (s.startsWith('0')) throw new InvalidArgumentError(`write the number with its country code and without the leading 0, e.g. 62${s.slice(1, 4)}... for an Indonesian number`);
  if (s.length < 8 || s.length > 15) throw new InvalidArgumentError('an international phone number has 8 to 15 digits, e.g. 6281234567890');
  return s;
}

/** For the terminal: 6281234567890 -> 6281*****7890. */
export function maskPhone(phone: string): string {
  return phone.length <= 8 ? phone : `${phone.slice(0, 4)}${'*'.repeat(phone.length - 8)}${phone.slice(-4)}`;
}

export function parseLoginArgs(argv: readonly string[], env: NodeJS.ProcessEnv, io?: { out?: (s: string) => void; err?: (s: string) => void }): LoginArgs {
  const program = new Command('whatsapp:login')
    .description('Link Pandu\'s WhatsApp number (as a linked device) and exit. Run it where Pandu runs, with Pandu stopped.')
    .option('--pairing-code <phone>', 'link with a pairing code for this number (international format, e.g. 6281234567890) instead of a QR code', normalizePhone)
    .option('--data-dir <dir>', 'the WhatsApp data folder (WHATSAPP_DATA_DIR)', env.WHATSAPP_DATA_DIR || './.data/whatsapp')
    .option('--chromium <path>', 'Chromium executable (WHATSAPP_CHROMIUM_PATH)', env.WHATSAPP_CHROMIUM_PATH || '/usr/bin/chromium')
    .option('--timeout <seconds>', 'give up after this many seconds', parseTimeout, 300)
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: io?.out ?? ((s) => process.stdout.write(s)), writeErr: io?.err ?? ((s) => process.stderr.write(s)) });
  program.parse([...argv], { from: 'user' });
  const o = program.opts<{ pairingCode?: string; dataDir: string; chromium: string; timeout: number }>();
  return { dataDir: o.dataDir, chromiumPath: o.chromium, pairingPhone: o.pairingCode, timeoutSec: o.timeout };
}

function parseTimeout(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 10 || n > 3600) throw new InvalidArgumentError('a whole number of seconds between 10 and 3600');
  return n;
}

export interface LoginFlowOptions {
  client: WALoginClientLike;
  dataDir: string;
  pairingPhone?: string;
  timeoutMs: number;
  /** Operator-facing text (the terminal). */
  out: (text: string) => void;
  /** After `ready`, wait this long before closing the browser, so the login is written to disk. Default 5 s. */
  settleMs?: number;
}

export type LoginResult = { code: number; outcome: 'ready' | 'auth_failure' | 'disconnected' | 'init_failed' | 'timeout' };

export function formatPairingCode(code: string): string {
  const c = code.replace(/[^0-9a-z]/gi, '').toUpperCase();
  return c.length === 8 ? `${c.slice(0, 4)}-${c.slice(4)}` : c;
}

/** Runs one login: resolves when linked (0), failed (1) or timed out (3). Never rejects. */
export function runLoginFlow(o: LoginFlowOptions): Promise<LoginResult> {
  const { client, out } = o;
  const png = join(o.dataDir, QR_PNG_NAME);
  const sessionDir = sessionDirOf(o.dataDir);
  let done = false;
  let pairingRequested = false;
  let lastCode = '';
  let qrShown = 0;

  return new Promise<LoginResult>((resolve) => {
    const finish = async (result: LoginResult, message: string): Promise<void> => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      out(message);
      if (result.outcome === 'ready' && (o.settleMs ?? 5000) > 0) await sleep(o.settleMs ?? 5000);
      await removeQrPng(png).catch(() => undefined);
      try {
        await client.destroy();
      } catch {
        // the browser is gone already
      }
      resolve(result);
    };

    const timer = setTimeout(() => {
      void finish(
        { code: EXIT.timeout, outcome: 'timeout' },
        `Not linked after ${Math.round(o.timeoutMs / 1000)} s: giving up. Run the command again to get a new ${o.pairingPhone ? 'pairing code' : 'QR code'}.`,
      );
    }, o.timeoutMs);

    const printCode = (code: string): void => {
      const shown = formatPairingCode(code);
      if (done || shown === lastCode) return;
      lastCode = shown;
      out(
        [
          '',
          `Pairing code for ${maskPhone(o.pairingPhone ?? '')}:   ${shown}`,
          '',
          'On that phone: WhatsApp > Settings (Setelan) > Linked devices (Perangkat tertaut) > Link a device (Tautkan perangkat)',
          '> Link with phone number instead (Tautkan dengan nomor telepon saja), then type the code above.',
          'The code changes every few minutes; a new one is printed here when it does.',
          '',
        ].join('\n'),
      );
    };

    const showQr = async (qr: string): Promise<void> => {
      qrShown++;
      let wrote = false;
      try {
        await writeQrPng(qr, png);
        wrote = true;
      } catch {
        // the terminal QR still works
      }
      const ascii = await qrForTerminal(qr).catch(() => '');
      if (done) return;
      out(
        [
          '',
          qrShown === 1 ? 'Scan this QR code with the phone whose number Pandu will use:' : 'The QR code changed; scan this one:',
          ascii,
          wrote ? `The same QR code is saved as ${png} (open or copy it if this terminal cannot show it).` : '',
          'On the phone: WhatsApp > Settings (Setelan) > Linked devices (Perangkat tertaut) > Link a device (Tautkan perangkat).',
          '',
        ].join('\n'),
      );
    };

    client.on('qr', (qr: string) => {
      if (done) return;
      if (o.pairingPhone && !pairingRequested) {
        // whatsapp-web.js asked for a QR although a number was given: request the code ourselves.
        pairingRequested = true;
        out('Requesting a pairing code...');
        client
          .requestPairingCode(o.pairingPhone, true)
          .then(printCode)
          .catch((err: unknown) => {
            out(`Could not get a pairing code (${maskNumbers(String((err as Error)?.message ?? err))}); scan the QR code instead.`);
            void showQr(qr);
          });
        return;
      }
      if (o.pairingPhone && lastCode) return; // the code is in use: do not flood the screen with QRs
      void showQr(qr);
    });

    client.on('code', (code: string) => printCode(code));

    client.on('authenticated', () => {
      if (!done) out('Linked. Loading WhatsApp (this can take a minute on a phone with many chats)...');
    });

    client.on('ready', () => {
      void finish(
        { code: EXIT.ok, outcome: 'ready' },
        `WhatsApp is linked and ready. The login is stored in ${sessionDir}: keep that folder on a persistent volume. You can start Pandu now.`,
      );
    });

    client.on('auth_failure', (message: string) => {
      void finish(
        { code: EXIT.failed, outcome: 'auth_failure' },
        `WhatsApp login failed (${maskNumbers(String(message))}). Delete the folder ${sessionDir} and run this command again.`,
      );
    });

    client.on('disconnected', (reason: string) => {
      void finish({ code: EXIT.failed, outcome: 'disconnected' }, `WhatsApp disconnected before the link finished (${maskNumbers(String(reason))}). Run this command again.`);
    });

    out(o.pairingPhone ? 'Starting WhatsApp Web to get a pairing code...' : 'Starting WhatsApp Web to get a QR code...');
    client.initialize().catch((err: unknown) => {
      void finish(
        { code: EXIT.failed, outcome: 'init_failed' },
        `WhatsApp Web could not be started: ${maskNumbers(String((err as Error)?.message ?? err))}. ` +
          'Check the internet connection to web.whatsapp.com, that Chromium runs, and that Pandu itself is stopped (one process per data folder).',
      );
    });
  });
}

export interface LoginCliDeps {
  createClient: (cfg: { dataDir: string; chromiumPath: string; pairWithPhoneNumber?: string }) => WALoginClientLike;
  out?: (text: string) => void;
  err?: (text: string) => void;
  settleMs?: number;
}

/** The whole command: arguments, client, flow. Resolves with the exit code. */
export async function runLoginCli(argv: readonly string[], env: NodeJS.ProcessEnv, deps: LoginCliDeps): Promise<number> {
  const out = deps.out ?? ((s: string) => void process.stdout.write(`${s}\n`));
  const err = deps.err ?? ((s: string) => void process.stderr.write(`${s}\n`));
  let args: LoginArgs;
  try {
    args = parseLoginArgs(argv, env, { out: (s) => out(s.trimEnd()), err: (s) => err(s.trimEnd()) });
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    err(`error: ${(e as Error).message}`);
    return EXIT.usage;
  }
  let client: WALoginClientLike;
  try {
    client = deps.createClient({ dataDir: args.dataDir, chromiumPath: args.chromiumPath, pairWithPhoneNumber: args.pairingPhone });
  } catch (e) {
    err(`error: ${(e as Error).message}`);
    return EXIT.failed;
  }
  const result = await runLoginFlow({
    client,
    dataDir: args.dataDir,
    pairingPhone: args.pairingPhone,
    timeoutMs: args.timeoutSec * 1000,
    out,
    settleMs: deps.settleMs,
  });
  return result.code;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
