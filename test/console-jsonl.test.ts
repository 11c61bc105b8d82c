// Machine mode of the console (`npm start -- --jsonl`): one JSON line in, one JSON line per reply
// out, bad lines answered with an error and skipped, and a reader that goes away ends it quietly.
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runJsonl } from '../src/channels/console.ts';
import { testRuntime } from './support/app.ts';

function lines(...ls: string[]): PassThrough {
  const input = new PassThrough();
  input.end(ls.map((l) => `${l}\n`).join(''));
  return input;
}

describe('console machine mode', () => {
  it('answers each line in order, says which line was bad, and goes on', async () => {
    const out: string[] = [];
    const output = new Writable({
      write(chunk, _enc, cb) {
        out.push(...String(chunk).split('\n').filter(Boolean));
        cb();
      },
    });
    await runJsonl(testRuntime().runtime, lines('{"user":"u1","text":"halo"}', 'not json', '{"user":"u1"}', '{"user":"u1","text":"1"}'), output);
    const parsed = out.map((l) => JSON.parse(l) as { user?: string; text?: string; error?: string; choices?: unknown[] });
    expect(parsed.filter((p) => p.error).map((p) => p.error)).toEqual(['line 2: not valid JSON', expect.stringMatching(/^line 3: text: /)]);
    expect(parsed.at(-1)?.choices?.length).toBeGreaterThan(0); // "1" opened the eligibility check
    expect(parsed.some((p) => /WNI/.test(p.text ?? ''))).toBe(true);
  });

  it('stops quietly when the reader goes away (a closed pipe)', async () => {
    let writes = 0;
    const output = new Writable({
      write(_chunk, _enc, cb) {
        writes++;
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    await expect(runJsonl(testRuntime().runtime, lines('{"user":"u1","text":"halo"}', '{"user":"u1","text":"1"}'), output)).resolves.toBeUndefined();
    expect(writes).toBe(1);
  });
});
