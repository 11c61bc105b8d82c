// The WhatsApp send queue under vitest's fake timers: global and per-chat rates, jitter, order per
// chat, retries with exponential backoff, drops that never crash, expiry, and a bounded close.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SendQueue, type SendOutcome, type SendQueueOptions } from '../src/channels/whatsapp/send-queue.ts';

const silent = pino({ level: 'silent' });

interface Sent {
  to: string;
  text: string;
  at: number;
}

function makeQueue(opts: Partial<SendQueueOptions> = {}, fail?: (to: string, text: string, attempt: number) => boolean) {
  const sent: Sent[] = [];
  const attempts = new Map<string, number>();
  const t0 = Date.now();
  const q = new SendQueue({
    logger: silent,
    random: () => 0,
    ...opts,
    send: async (to, text) => {
      const n = (attempts.get(text) ?? 0) + 1;
      attempts.set(text, n);
      if (fail?.(to, text, n)) throw new Error(`send failed for ${to}`);
      sent.push({ to, text, at: Date.now() - t0 });
    },
  });
  return { q, sent, attempts };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-11-22T08:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('whatsapp send queue', () => {
  it('keeps the global rate over all chats and the minimum gap per chat, taking chats in turn', async () => {
    const { q, sent } = makeQueue({ globalPerSec: 2, perChatGapMs: 1200, jitterMs: 0 });
    const outcomes: Promise<SendOutcome>[] = [];
    for (const text of ['A1', 'A2']) outcomes.push(q.enqueue('a@c.us', 'a', text));
    for (const text of ['B1', 'B2']) outcomes.push(q.enqueue('b@c.us', 'b', text));
    for (const text of ['C1', 'C2']) outcomes.push(q.enqueue('c@c.us', 'c', text));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await Promise.all(outcomes)).toEqual(Array(6).fill('sent'));
    expect(sent.map((s) => `${s.text}@${s.at}`)).toEqual(['A1@0', 'B1@500', 'C1@1000', 'A2@1500', 'B2@2000', 'C2@2500']);
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(500);
    for (const chat of ['a@c.us', 'b@c.us', 'c@c.us']) {
      const times = sent.filter((s) => s.to === chat).map((s) => s.at);
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1200);
    }
    expect(q.stats.sent).toBe(6);
  });

  it('with the defaults: at most one message a second overall, and 1.2 s between messages to one chat', async () => {
    const { q, sent } = makeQueue();
    for (let i = 1; i <= 3; i++) void q.enqueue('a@c.us', 'a', `a${i}`);
    for (let i = 1; i <= 3; i++) void q.enqueue('b@c.us', 'b', `b${i}`);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toHaveLength(2); // t=0 and t=1000
    await vi.advanceTimersByTimeAsync(20_000);
    expect(sent).toHaveLength(6);
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(1000);
    for (const chat of ['a@c.us', 'b@c.us']) {
      const mine = sent.filter((s) => s.to === chat);
      expect(mine.map((s) => s.text)).toEqual(chat === 'a@c.us' ? ['a1', 'a2', 'a3'] : ['b1', 'b2', 'b3']);
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.at - mine[i - 1]!.at).toBeGreaterThanOrEqual(1200);
    }
  });

  it('one chat alone is paced by its own gap, in order', async () => {
    const { q, sent } = makeQueue({ globalPerSec: 10, perChatGapMs: 1200, jitterMs: 0 });
    for (const t of ['1', '2', '3']) void q.enqueue('a@c.us', 'a', t);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sent.map((s) => `${s.text}@${s.at}`)).toEqual(['1@0', '2@1200', '3@2400']);
  });

  it('adds the injected random jitter to every gap', async () => {
    const { q, sent } = makeQueue({ globalPerSec: 10, perChatGapMs: 1000, jitterMs: 400, random: () => 0.5 });
    for (const t of ['1', '2', '3']) void q.enqueue('a@c.us', 'a', t);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sent.map((s) => s.at)).toEqual([0, 1200, 2400]);
  });

  it('retries a failed send with exponential backoff, keeping the chat\'s order, then succeeds', async () => {
    const { q, sent, attempts } = makeQueue(
      { globalPerSec: 10, perChatGapMs: 1200, jitterMs: 0, backoffBaseMs: 1000, maxAttempts: 4 },
      (_to, text, n) => text === 'first' && n <= 2,
    );
    const first = q.enqueue('a@c.us', 'a', 'first');
    const second = q.enqueue('a@c.us', 'a', 'second');
    const other = q.enqueue('b@c.us', 'b', 'other chat');
    await vi.advanceTimersByTimeAsync(999);
    // The other chat is not held up by a's failure.
    expect(sent.map((s) => s.text)).toEqual(['other chat']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await first).toBe('sent');
    expect(await second).toBe('sent');
    expect(await other).toBe('sent');
    expect(attempts.get('first')).toBe(3);
    const a = sent.filter((s) => s.to === 'a@c.us');
    // fail at 0, retry after 1 s (fails), after 2 s more (ok at 3 s), then the per-chat gap.
    expect(a.map((s) => `${s.text}@${s.at}`)).toEqual(['first@3000', 'second@4200']);
    expect(q.stats).toMatchObject({ sent: 3, retried: 2, failed: 0 });
  });

  it('drops a message after the last attempt, counts it, and goes on (never throws)', async () => {
    const logs: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (s: string) => void logs.push(s) });
    const { q, sent } = makeQueue(
      { logger, globalPerSec: 10, perChatGapMs: 0, jitterMs: 0, backoffBaseMs: 100, backoffMaxMs: 250, maxAttempts: 3 },
      (_to, text) => text === 'doomed',
    );
    const doomed = q.enqueue('6281234567890@c.us', 'hashed-id', 'doomed');
    const next = q.enqueue('6281234567890@c.us', 'hashed-id', 'next');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await doomed).toBe('failed');
    expect(await next).toBe('sent');
    expect(sent.map((s) => s.text)).toEqual(['next']);
    expect(q.stats).toMatchObject({ failed: 1, retried: 2, sent: 1 });
    const text = logs.join('');
    expect(text).toContain('message dropped');
    expect(text).toContain('hashed-id');
    expect(text).not.toContain('6281234567890'); // the error quoted the number: it was masked
  });

  it('caps the backoff', async () => {
    const { q, attempts } = makeQueue({ globalPerSec: 10, jitterMs: 0, backoffBaseMs: 1000, backoffMaxMs: 2500, maxAttempts: 5 }, () => true);
    void q.enqueue('a@c.us', 'a', 'x');
    await vi.advanceTimersByTimeAsync(0);
    expect(attempts.get('x')).toBe(1);
    await vi.advanceTimersByTimeAsync(1000); // +1000
    expect(attempts.get('x')).toBe(2);
    await vi.advanceTimersByTimeAsync(2000); // +2000
    expect(attempts.get('x')).toBe(3);
    await vi.advanceTimersByTimeAsync(2499); // capped at 2500, not 4000
    expect(attempts.get('x')).toBe(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(attempts.get('x')).toBe(4);
  });

  it('a send that hangs counts as failed after the send timeout', async () => {
    let calls = 0;
    const q = new SendQueue({
      logger: silent,
      random: () => 0,
      sendTimeoutMs: 1000,
      backoffBaseMs: 500,
      maxAttempts: 2,
      send: () => {
        calls++;
        return new Promise(() => undefined);
      },
    });
    const p = q.enqueue('a@c.us', 'a', 'x');
    // Attempt 1 times out at 1 s; the retry waits for the backoff and the global gap (2 s), and times out at 3 s.
    await vi.advanceTimersByTimeAsync(2999);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(await p).toBe('failed');
    expect(calls).toBe(2);
  });

  it('holds messages while paused and sends them on resume', async () => {
    const { q, sent } = makeQueue({ jitterMs: 0 });
    q.pause();
    const p = q.enqueue('a@c.us', 'a', 'later');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sent).toHaveLength(0);
    q.resume();
    await vi.advanceTimersByTimeAsync(0);
    expect(await p).toBe('sent');
  });

  it('drops a message that waited longer than maxAgeMs, and refuses beyond maxQueued', async () => {
    const { q, sent } = makeQueue({ jitterMs: 0, maxAgeMs: 30_000, maxQueued: 2 });
    q.pause();
    const old = q.enqueue('a@c.us', 'a', 'stale');
    const second = q.enqueue('b@c.us', 'b', 'also stale');
    expect(await q.enqueue('c@c.us', 'c', 'too many')).toBe('overflow');
    await vi.advanceTimersByTimeAsync(31_000);
    q.resume();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await old).toBe('expired');
    expect(await second).toBe('expired');
    expect(sent).toHaveLength(0);
    expect(q.stats).toMatchObject({ expired: 2, overflow: 1 });
  });

  it('close() flushes within its bound, then drops the rest and refuses new messages', async () => {
    const { q, sent } = makeQueue({ globalPerSec: 1, perChatGapMs: 1000, jitterMs: 0 });
    const outcomes = ['1', '2', '3', '4', '5'].map((t) => q.enqueue('a@c.us', 'a', t));
    const closing = q.close(2500);
    await vi.advanceTimersByTimeAsync(3000);
    expect(await closing).toBe(2);
    expect(await Promise.all(outcomes)).toEqual(['sent', 'sent', 'sent', 'stopped', 'stopped']);
    expect(sent).toHaveLength(3);
    expect(await q.enqueue('a@c.us', 'a', 'after')).toBe('stopped');
    await q.onIdle();
  });
});
