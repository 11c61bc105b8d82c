// The runtime's per-chat queue in one process: a chat's messages are applied one at a time in
// arrival order while other chats go on, drain() waits for all of them, and nothing of a chat
// is kept once its messages are done (the queue must not grow with the number of chats seen).
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Runtime } from '../src/core/runtime.ts';
import type { Inbound } from '../src/core/types.ts';
import { MemorySessionStore } from '../src/store/memory-store.ts';
import { tallyEngine } from './support/tally-engine.ts';

const silent = pino({ level: 'silent' });

function text(chat: string, t: string): Inbound {
  return { channel: 'telegram', chatId: chat, userId: chat, messageId: `${chat}-${t}`, event: { type: 'text', text: t } };
}

describe('runtime queue', () => {
  it('applies each chat in arrival order, chats side by side, and forgets a chat once its messages are done', async () => {
    const store = new MemorySessionStore(60_000);
    const rt = new Runtime({ engine: tallyEngine(), store, logger: silent });
    const chats = ['a', 'b', 'c'];
    const all: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) for (const c of chats) all.push(rt.handle(text(c, String(i))));
    let drained = false;
    const drain = rt.drain().then(() => (drained = true));
    await Promise.all(all);
    await drain;
    expect(drained).toBe(true);
    const expected = Array.from({ length: 20 }, (_, i) => String(i)).join(',');
    for (const c of chats) {
      const claim = await store.claim(`telegram:${c}`);
      expect(claim.loaded.status === 'ok' && claim.loaded.session.answers.log).toBe(expected);
      await store.release(claim);
    }
    expect((rt as unknown as { tails: Map<string, unknown> }).tails.size).toBe(0);
    // A message after everything settled is answered, and leaves nothing behind either.
    expect((await rt.handle(text('a', 'x'))).length).toBeGreaterThan(0);
    const claim = await store.claim('telegram:a');
    expect(claim.loaded.status === 'ok' && claim.loaded.session.answers.log).toBe(`${expected},x`);
    await store.release(claim);
    expect((rt as unknown as { tails: Map<string, unknown> }).tails.size).toBe(0);
  });

  it('a hook that throws fails neither its message nor the chat: later messages are handled and drain resolves', async () => {
    const store = new MemorySessionStore(60_000);
    let throws = 1;
    const rt = new Runtime({
      engine: tallyEngine(),
      store,
      logger: silent,
      hooks: {
        handled: () => {
          if (throws-- > 0) throw new Error('metrics sink broke');
        },
      },
    });
    const first = rt.handle(text('h', '1'));
    const second = rt.handle(text('h', '2'));
    await expect(first).resolves.toBeInstanceOf(Array);
    await expect(second).resolves.toBeInstanceOf(Array);
    await rt.drain();
    const claim = await store.claim('telegram:h');
    expect(claim.loaded.status === 'ok' && claim.loaded.session.answers.log).toBe('1,2');
    await store.release(claim);
    expect((rt as unknown as { tails: Map<string, unknown> }).tails.size).toBe(0);
  });
});
