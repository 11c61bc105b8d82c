// The Bot API, answered inside the process. An API transformer installed last on the bot (so it
// runs first and never calls on) answers every call with a plausible success result: a Message for
// sendMessage, true otherwise. The bot's apiRoot points at a loopback "leak trap": any call that
// escapes the transformer (a raw fetch, a second Api instance...) reaches it, is counted as a leak
// and refused, so nothing can leave the machine either way.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bot, Transformer } from 'grammy';

export interface Sent {
  chatId: string;
  method: string;
  text?: string;
}

export interface FakeApi {
  /** Calls answered by the transformer, by method. */
  readonly calls: Map<string, number>;
  /** Called for every sendMessage (text as sent, HTML included). */
  onSend?: (chatId: string, text: string) => void;
  install(bot: Bot): void;
}

export function createFakeApi(): FakeApi {
  let messageId = 1;
  const api: FakeApi = {
    calls: new Map(),
    install(bot) {
      const t: Transformer = async (_prev, method, payload) => {
        api.calls.set(method, (api.calls.get(method) ?? 0) + 1);
        const p = payload as { chat_id?: number | string; text?: string; reply_markup?: unknown } | undefined;
        if (method === 'sendMessage') {
          const chatId = String(p?.chat_id);
          api.onSend?.(chatId, p?.text ?? '');
          const result = {
            message_id: messageId++,
            date: Math.floor(Date.now() / 1000),
            chat: { id: Number(p?.chat_id), type: 'private', first_name: 'Bench' },
            from: { id: 1, is_bot: true, first_name: 'Pandu', username: 'pandu_bench_bot' },
            text: p?.text ?? '',
            ...(p?.reply_markup ? { reply_markup: p.reply_markup } : {}),
          };
          return { ok: true, result } as never;
        }
        return { ok: true, result: true } as never;
      };
      bot.api.config.use(t);
    },
  };
  return api;
}

export interface LeakTrap {
  readonly url: string;
  readonly leaks: string[];
  close(): Promise<void>;
}

/** A loopback HTTP server that records and refuses every request: any request here is a leak. */
export async function startLeakTrap(): Promise<LeakTrap> {
  const leaks: string[] = [];
  const server: Server = createServer((req, res) => {
    leaks.push(`${req.method} ${(req.url ?? '').replace(/\/bot[^/]+\//, '/bot<token>/')}`);
    req.resume();
    res.statusCode = 502;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: false, error_code: 502, description: 'benchmark leak trap: no Bot API call may leave the process' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    leaks,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
