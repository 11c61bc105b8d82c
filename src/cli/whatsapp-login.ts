// npm run whatsapp:login [-- --pairing-code 6281234567890] [--data-dir DIR] [--chromium PATH] [--timeout SEC]
// Links Pandu's WhatsApp number as a linked device and exits: 0 linked, 1 failed, 2 bad arguments,
// 3 timed out. Run it with Pandu stopped (one Chromium per data folder).
import { createWhatsAppClient } from '../channels/whatsapp/client.ts';
import { runLoginCli } from '../channels/whatsapp/login.ts';

const code = await runLoginCli(process.argv.slice(2), process.env, { createClient: createWhatsAppClient });
// Chromium and puppeteer can leave handles open after destroy(): leave explicitly.
process.exit(code);
