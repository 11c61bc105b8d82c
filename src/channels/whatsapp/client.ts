// Building the real whatsapp-web.js Client. Kept apart from channel.ts so tests (which use a fake
// typed from the same declarations) never load puppeteer.
//
// ESM: `import { Client, LocalAuth } from 'whatsapp-web.js'` throws at load time (cjs-module-lexer
// sees only `Client`); the default import is the whole CommonJS export.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import wwebjs from 'whatsapp-web.js';
import type { Client as WAClient, ClientOptions } from 'whatsapp-web.js';

const { Client, LocalAuth } = wwebjs;

/** Chromium flags for a server without a display, a sandbox-capable kernel or a large /dev/shm. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-setuid-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface WhatsAppClientConfig {
  /** WHATSAPP_DATA_DIR: the linked-device login (a Chromium profile) lives here. Keep it on a volume. */
  dataDir: string;
  /** WHATSAPP_CHROMIUM_PATH, e.g. /usr/bin/chromium (Debian: apt-get install chromium). */
  chromiumPath: string;
  /** LocalAuth clientId, to keep several logins apart in one data folder. */
  clientId?: string;
  /** Link with a pairing code for this number (international format, digits only) instead of a QR. */
  pairWithPhoneNumber?: string;
}

export class ChromiumMissingError extends Error {
  constructor(path: string) {
    super(
      `Chromium was not found at ${path}. Install it (Debian/Ubuntu: apt-get install -y chromium) ` +
        'or point WHATSAPP_CHROMIUM_PATH at a Chrome/Chromium executable.',
    );
    this.name = 'ChromiumMissingError';
  }
}

/** The options given to whatsapp-web.js (exported so they can be checked without a browser). */
export function whatsAppClientOptions(cfg: WhatsAppClientConfig): ClientOptions {
  return {
    authStrategy: new LocalAuth({ dataPath: cfg.dataDir, clientId: cfg.clientId }),
    puppeteer: {
      executablePath: cfg.chromiumPath,
      headless: true,
      args: [...CHROMIUM_ARGS],
      // Pandu's own shutdown closes the browser (WhatsAppChannel.stop). Puppeteer's default
      // signal handlers would SIGKILL Chromium first, leaving its profile lock behind in the data
      // folder: a new container (another host name) then refuses the profile for good ("in use by
      // another computer"), and on SIGINT puppeteer would also exit the process mid-shutdown.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    },
    // The cached WhatsApp Web page goes to the data folder too, not to ./.wwebjs_cache.
    webVersionCache: { type: 'local', path: join(cfg.dataDir, 'web-cache') },
    ...(cfg.pairWithPhoneNumber ? { pairWithPhoneNumber: { phoneNumber: cfg.pairWithPhoneNumber, showNotification: true } } : {}),
  };
}

/** A real Client. Does not start the browser (that is `initialize()`); throws when Chromium is missing. */
export function createWhatsAppClient(cfg: WhatsAppClientConfig): WAClient {
  try {
    accessSync(cfg.chromiumPath, constants.X_OK);
  } catch {
    throw new ChromiumMissingError(cfg.chromiumPath);
  }
  mkdirSync(cfg.dataDir, { recursive: true });
  return new Client(whatsAppClientOptions(cfg));
}
