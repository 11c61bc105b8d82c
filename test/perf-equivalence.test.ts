// The performance work of issue 7 changed how some results are computed, never what they are:
// each fast path here is checked against the slow one it replaced.
import type { Socket } from 'node:net';
import { sequentialize } from '@grammyjs/runner';
import fc from 'fast-check';
import type { Context } from 'grammy';
import { distance } from 'fastest-levenshtein';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { perChat } from '../src/channels/telegram/channel.ts';
import { renderReplies, stripBold, toHtml } from '../src/channels/telegram/render.ts';
import { createI18next, createTranslate, readLocales } from '../src/core/i18n.ts';
import { matchOption, normalizeAnswer, type OptionCandidate } from '../src/core/inputs.ts';
import { step } from '../src/core/step.ts';
import { LANGS, SESSION_VERSION, type Session } from '../src/core/types.ts';
import { RedisSessionStore } from '../src/store/redis-store.ts';
import { captureLog, repoEngine, testRuntime } from './support/app.ts';
import { storedSession } from './support/stored-session.ts';

describe('texts: the memo in createTranslate', () => {
  const resources = readLocales('locales');
  const plain = createI18next(resources);
  const keys: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (typeof node === 'string') keys.push(path);
    else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(resources.id, '');
  walk(resources.en, '');
  keys.push('no.such.key', 'common');

  it('gives what i18next gives, for every key in both languages, with and without parameters, again and again', () => {
    const t = createTranslate(resources);
    expect(keys.length).toBeGreaterThan(100);
    for (let round = 0; round < 2; round++) {
      for (const lang of LANGS) {
        const fixed = plain.getFixedT(lang);
        for (const key of keys) {
          expect(t(lang, key), `${lang} ${key}`).toBe(fixed(key, {}));
          expect(t(lang, key, {}), `${lang} ${key} {}`).toBe(fixed(key, {}));
          const params = { min: 18, max: 64, answer: `x${round}`, count: round + 1, n: round };
          expect(t(lang, key, params), `${lang} ${key} params`).toBe(fixed(key, params));
        }
      }
    }
  });
});

describe("sessions: step's copy of the session", () => {
  it('keeps an answer named __proto__ an own key (as JSON.parse makes it) and leaves the given session as it was', () => {
    // step copies `answers` before its first change (copyOwn): assigned, such a key would set the
    // copy's prototype instead.
    const answers = JSON.parse('{"__proto__":"x","citizen":true}') as Session['answers'];
    const given: Session = { v: SESSION_VERSION, lang: 'id', at: { flow: 'eligibility', step: 'age' }, answers, hist: [], ask: 3, seen: [], ts: 1 };
    const before = structuredClone(given);
    const res = step(repoEngine(), given, { channel: 'telegram', chatId: 'p', userId: 'p', messageId: 'm1', event: { type: 'text', text: '30' } }, 2);
    expect(res.session.answers).not.toBe(answers);
    expect(Object.getPrototypeOf(res.session.answers)).toBe(Object.prototype);
    expect(Object.keys(res.session.answers)).toEqual(['__proto__', 'citizen', 'age']);
    expect(res.session.answers.age).toBe(30);
    expect(given).toStrictEqual(before);
  });
});

describe('Telegram rendering: the cache', () => {
  it('renders the same text the same way every time, into messages of their own', () => {
    const reply = { text: 'Apa *pendidikan* terakhir Anda? <&>', choices: [{ id: 'a', label: '*SMA*  sederajat' }, { id: 'b', label: '  ' }], ask: 3 };
    const first = renderReplies([reply]);
    first[0]!.reply_markup = { remove_keyboard: true }; // a caller changing its copy...
    const again = renderReplies([reply]);
    expect(again).toEqual(renderReplies([{ ...reply }]));
    expect(again[0]!.html).toBe(toHtml(reply.text));
    expect(again[0]!.plain).toBe(stripBold(reply.text));
    expect(again[0]!.reply_markup).toEqual({
      inline_keyboard: [[expect.objectContaining({ text: 'SMA sederajat' })], [expect.objectContaining({ text: 'b' })]],
    }); // ...changes nothing for the next one
  });

  it('matches toHtml and stripBold for many distinct and repeated texts (beyond the cache bound)', () => {
    for (let i = 0; i < 2500; i++) {
      const text = `*judul ${i % 1200}* & <isi> ${'x'.repeat(i % 3 === 0 ? 1100 : 3)}`;
      const [m] = renderReplies([{ text }]);
      expect(m!.html).toBe(toHtml(text));
      expect(m!.plain).toBe(stripBold(text));
    }
  });
});

describe('matchOption: the length check before the edit distance', () => {
  /** The loop as it was before the check (near misses only; exact and partial matches are unchanged). */
  function nearMiss(text: string, options: OptionCandidate[]): string | null {
    const t = normalizeAnswer(text);
    let best: { id: string; d: number } | null = null;
    let tie = false;
    for (const o of options) {
      for (const raw of o.names) {
        const n = normalizeAnswer(raw);
        if (n.length < 3) continue;
        const d = distance(t, n);
        const allowed = Math.max(1, Math.floor(n.length / 4));
        if (d > allowed) continue;
        if (!best || d < best.d) {
          best = { id: o.id, d };
          tie = false;
        } else if (d === best.d && best.id !== o.id) tie = true;
      }
    }
    return best && !tie ? best.id : null;
  }

  const options: OptionCandidate[] = [
    { id: 'student', names: ['Masih sekolah/kuliah', 'Still studying', 'pelajar'] },
    { id: 'worker', names: ['Pekerja/buruh', 'Employee', 'karyawan'] },
    { id: 'none', names: ['Tidak satu pun', 'None of these'] },
  ];
  const vocabulary = ['masih', 'sekolah', 'kuliah', 'pekerja', 'buruh', 'karyawan', 'tidak', 'satu', 'pun', 'none', 'employee', 'pelajr', 'karyawn', 'x'];

  it('picks what the full comparison picks, for typed answers near and far from every label', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...vocabulary), { minLength: 1, maxLength: 6 }), fc.string({ maxLength: 3 }), (words, noise) => {
        const text = words.join(' ') + noise;
        const t = normalizeAnswer(text);
        // Only texts that reach the near-miss loop: not a number, not an exact or partial match.
        const exact = options.some((o) => o.id === t || o.names.some((n) => normalizeAnswer(n) === t || (t.length >= 4 && normalizeAnswer(n).includes(t))));
        if (t === '' || /^\D*\d{1,2}$/.test(t) || exact) return;
        expect(matchOption(text, options)).toBe(nearMiss(text, options));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('runtime: the debug log line', () => {
  it('is written when debug is on, and not built when it is off', async () => {
    const debug = captureLog('debug');
    const a = testRuntime({ logger: debug.logger });
    await a.runtime.handle({ channel: 'console', chatId: 'c', userId: 'c', event: { type: 'start' } });
    expect(debug.text()).toContain('message handled');

    const info = captureLog('info');
    let built = 0;
    const logger = new Proxy(info.logger, {
      get(target, prop, receiver) {
        if (prop === 'debug') return (...args: unknown[]) => void (built++, target.debug(...(args as [object, string])));
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
      },
    });
    const b = testRuntime({ logger, engine: repoEngine() });
    await b.runtime.handle({ channel: 'console', chatId: 'c', userId: 'c', event: { type: 'start' } });
    expect(built).toBe(0);
    expect(info.text()).not.toContain('message handled');
  });
});

describe('Telegram: perChat against the runner\'s sequentialize', () => {
  // A scenario: updates arrive one after another (chat, how many turns of the queue their work
  // takes, whether it fails). Both middlewares run it; per chat, the order in which updates start
  // and end, whether two of one chat ever overlap, and how each call settles must be the same.
  type Update = { chat: string | undefined; work: number; fails: boolean };
  const arb = fc.array(
    fc.record({ chat: fc.constantFrom('a', 'b', 'c', undefined), work: fc.nat(6), fails: fc.boolean() }),
    { minLength: 1, maxLength: 25 },
  );

  async function trace(mw: (ctx: Context, next: () => Promise<void>) => unknown, updates: Update[]) {
    const log = new Map<string, string[]>();
    const busy = new Map<string, number>();
    let overlap = 0;
    const note = (chat: string | undefined, what: string) => {
      const k = chat ?? '-';
      log.set(k, [...(log.get(k) ?? []), what]);
    };
    const calls = updates.map(async (u, i) => {
      const ctx = { chat: u.chat === undefined ? undefined : { id: u.chat } } as unknown as Context;
      await mw(ctx, async () => {
        if (u.chat !== undefined) {
          if ((busy.get(u.chat) ?? 0) > 0) overlap++;
          busy.set(u.chat, (busy.get(u.chat) ?? 0) + 1);
        }
        note(u.chat, `start ${i}`);
        for (let k = 0; k < u.work; k++) await Promise.resolve();
        note(u.chat, `end ${i}`);
        if (u.chat !== undefined) busy.set(u.chat, busy.get(u.chat)! - 1);
        if (u.fails) throw new Error(`failed ${i}`);
      });
    });
    const settled = (await Promise.allSettled(calls)).map((r) => (r.status === 'fulfilled' ? 'ok' : String((r.reason as Error).message)));
    // Updates without a chat run concurrently with everything: only their count of starts matters.
    const none = log.get('-') ?? [];
    log.delete('-');
    return { perChat: Object.fromEntries([...log].sort()), unkeyed: none.filter((x) => x.startsWith('start')).length, overlap, settled };
  }

  it('orders each chat\'s updates as sequentialize does, failures included', async () => {
    const key = (ctx: Context) => ctx.chat?.id.toString();
    await fc.assert(
      fc.asyncProperty(arb, async (updates) => {
        const theirs = await trace(sequentialize(key), updates);
        const ours = await trace(perChat(key), updates);
        expect(ours).toEqual(theirs);
        expect(ours.overlap).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('forgets a chat once its last update is done', async () => {
    const mw = perChat((ctx) => ctx.chat?.id.toString());
    let leftBehind = 0;
    const ctx = { chat: { id: 1 } } as unknown as Context;
    await Promise.allSettled([mw(ctx, async () => undefined), mw(ctx, async () => Promise.reject(new Error('x'))), mw(ctx, async () => undefined)]);
    // A fresh update of the same chat starts at once, not behind a settled chain.
    await mw(ctx, async () => void leftBehind++);
    expect(leftBehind).toBe(1);
  });
});

/** The socket writes an ioredis connection makes from now on (each `_write`/`_writev` is one). */
function countWrites(redis: Redis): { stream: Socket; writes: () => number } {
  const stream = (redis as unknown as { stream: Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void } }).stream;
  let n = 0;
  const w = stream._write.bind(stream);
  const wv = stream._writev.bind(stream);
  stream._write = (...a: unknown[]) => void (n++, w(...a));
  stream._writev = (...a: unknown[]) => void (n++, wv(...a));
  return { stream, writes: () => n };
}

describe('Redis store: the commands of one moment leave in one socket write', () => {
  it('claims and commits of many chats at once give the same sessions, in far fewer writes', async () => {
    const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
    try {
      await redis.ping();
      const { writes } = countWrites(redis);
      const prefix = `test:coalesce:${process.pid}:${Date.now()}:`;
      const store = new RedisSessionStore(redis, { prefix, ttlMs: 60_000 });
      const chats = Array.from({ length: 200 }, (_, i) => `c${i}`);
      const sessionOf = (chat: string, ask: number): Session => ({ v: SESSION_VERSION, lang: 'id', at: { flow: 'menu', step: chat }, answers: { n: ask }, hist: [], ask, seen: [], ts: 1 });
      for (let round = 1; round <= 3; round++) {
        await Promise.all(
          chats.map(async (chat) => {
            const claim = await store.claim(chat);
            if (round === 1) expect(claim.loaded).toEqual({ status: 'new' });
            else expect(claim.loaded).toEqual({ status: 'ok', session: sessionOf(chat, round - 1) });
            await store.commit(claim, sessionOf(chat, round));
          }),
        );
      }
      // 200 chats x 3 rounds x 2 commands, one write each before; now a handful per round.
      expect(writes()).toBeLessThan(60);
      for (const chat of chats) expect(storedSession((await redis.get(store.keyOf(chat)))!)).toEqual(sessionOf(chat, 3));
      await redis.del(...chats.map((c) => store.keyOf(c)));
    } finally {
      await redis.quit();
    }
  });

  it('a lone command is written at once; the ones after it in the same tick wait for the one write at its end', async () => {
    const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
    try {
      await redis.ping();
      const { stream, writes } = countWrites(redis);
      const prefix = `test:lone:${process.pid}:${Date.now()}:`;
      const store = new RedisSessionStore(redis, { prefix, ttlMs: 60_000 });
      const session: Session = { v: SESSION_VERSION, lang: 'id', at: { flow: 'menu', step: 'a' }, answers: {}, hist: [], ask: 1, seen: [], ts: 1 };

      // One chat alone: its claim and its commit each leave as soon as they are made.
      const pending = store.claim('lone');
      expect(writes()).toBe(1);
      expect(stream.writableCorked).toBe(0);
      const claim = await pending;
      expect(claim.loaded).toEqual({ status: 'new' });
      const committing = store.commit(claim, session);
      expect(writes()).toBe(2);
      await committing;

      // Three chats in the same tick: the first at once, the other two together when the tick ends.
      const three = ['x', 'y', 'z'].map((c) => store.claim(c));
      expect(writes()).toBe(3);
      expect(stream.writableCorked).toBe(1);
      const claims = await Promise.all(three);
      expect(writes()).toBe(4);
      expect(stream.writableCorked).toBe(0);
      for (const c of claims) expect(c.loaded).toEqual({ status: 'new' });
      await Promise.all(claims.map((c) => store.commit(c, session)));
      expect(writes()).toBe(6); // likewise: one commit at once, two in the write at the tick's end

      // The lone chat's session came back as committed, in order with everything else.
      const again = await store.claim('lone');
      expect(again.loaded).toEqual({ status: 'ok', session });
      await store.release(again);
      for (const c of ['lone', 'x', 'y', 'z']) expect(storedSession((await redis.get(store.keyOf(c)))!)).toEqual(session);
      await redis.del(...['lone', 'x', 'y', 'z'].map((c) => store.keyOf(c)));
    } finally {
      await redis.quit();
    }
  });
});
