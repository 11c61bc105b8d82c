// Showing the login QR code: in the terminal (small, for an operator at a console) and as a PNG
// file in the data folder (for a headless server: copy it off, or open it through the volume).
// The QR payload is a short-lived login credential: it is printed to the terminal, never logged.
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import QRCode from 'qrcode';
import qrcodeTerminal from 'qrcode-terminal';

export const QR_PNG_NAME = 'whatsapp-login-qr.png';

/** The QR as terminal text (two rows per character line). */
export function qrForTerminal(qr: string): Promise<string> {
  return new Promise((resolve) => qrcodeTerminal.generate(qr, { small: true }, (s) => resolve(s)));
}

export async function writeQrPng(qr: string, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await QRCode.toFile(path, qr, { type: 'png', width: 512, margin: 2, errorCorrectionLevel: 'M' });
}

/** The PNG of an old QR is useless once linked (and confusing): remove it. */
export async function removeQrPng(path: string): Promise<void> {
  await rm(path, { force: true });
}
