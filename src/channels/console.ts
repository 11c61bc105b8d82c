// The console channel: chat with Pandu in a terminal (choices shown numbered), or drive it from
// a script with one JSON object per line (--jsonl). Both go through the same Runtime as every
// other channel, so what works here works on Telegram and WhatsApp.
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';
import type { Runtime } from '../core/runtime.ts';
import type { Inbound, Lang, Reply } from '../core/types.ts';

/** Plain-text rendering: the reply, then its choices as a numbered list. */
export function renderPlain(r: Reply): string {
  const lines = [r.text.replace(/\*(\S[^*\n]*?)\*/g, '$1')];
  r.choices?.forEach((c, i) => lines.push(`  ${i + 1}. ${c.label}`));
  return lines.join('\n');
}

let seq = 0;
function inboundOf(user: string, text: string, lang?: Lang): Inbound {
  const t = text.trim();
  const start = t.match(/^\/start(?:\s+(\S+))?$/);
  return {
    channel: 'console',
    chatId: user,
    userId: user,
    messageId: `console-${process.pid}-${++seq}`,
    langHint: lang,
    event: start ? { type: 'start', payload: start[1] } : { type: 'text', text },
  };
}

/** One message of one console user through the runtime: the path both console modes (and tests) use. */
export function consoleTurn(runtime: Runtime, user: string, text: string, lang?: Lang): Promise<Reply[]> {
  return runtime.handle(inboundOf(user, text, lang));
}

/** Interactive chat in a terminal. Resolves when the input closes (Ctrl-D) or the user types /quit. */
export async function runInteractive(runtime: Runtime, input: Readable, output: Writable): Promise<void> {
  const write = (s: string) => output.write(`${s}\n`);
  const rl = createInterface({ input, output, prompt: '> ', terminal: (output as { isTTY?: boolean }).isTTY === true });
  write('Pandu (console). Ketik pesan Anda; /quit untuk keluar. Type /quit to leave.\n');
  for (const r of await consoleTurn(runtime, 'console', '/start')) write(`${renderPlain(r)}\n`);
  rl.prompt();
  for await (const line of rl) {
    if (line.trim() === '/quit') break;
    if (line.trim() !== '') {
      for (const r of await consoleTurn(runtime, 'console', line)) write(`${renderPlain(r)}\n`);
    }
    rl.prompt();
  }
  rl.close();
}

const JsonlLine = z.object({
  user: z.string().min(1).max(200),
  text: z.string().max(10_000),
  lang: z.enum(['id', 'en']).optional(),
});

/**
 * Machine mode: each input line `{"user":"u1","text":"halo"}`; each reply one line
 * `{"user":"u1","text":"...","choices":[{"id":"...","label":"..."}]}`. Lines are handled in
 * order; resolves when the input has closed and every reply is written. A bad line gets an
 * `{"error": ...}` line naming the line number, and processing continues.
 */
export async function runJsonl(runtime: Runtime, input: Readable, output: Writable): Promise<void> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  // The reader went away (`| head`, a closed pipe): stop reading, quietly, as Unix tools do.
  let gone = false;
  const onError = () => {
    gone = true;
    rl.close();
  };
  output.on('error', onError);
  const write = (o: unknown) =>
    new Promise<void>((resolve) => {
      if (gone) return resolve();
      output.write(`${JSON.stringify(o)}\n`, (err) => {
        if (err) onError();
        resolve();
      });
    });
  let n = 0;
  for await (const line of rl) {
    if (gone) break;
    n++;
    if (line.trim() === '') continue;
    let parsed: z.infer<typeof JsonlLine>;
    try {
      parsed = JsonlLine.parse(JSON.parse(line));
    } catch (err) {
      const msg = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join('.') || 'line'}: ${i.message}`).join('; ') : 'not valid JSON';
      await write({ error: `line ${n}: ${msg}` });
      continue;
    }
    for (const r of await consoleTurn(runtime, parsed.user, parsed.text, parsed.lang)) {
      await write({ user: parsed.user, text: r.text, ...(r.choices ? { choices: r.choices } : {}) });
    }
  }
  output.off('error', onError);
}
