// Personal data never reaches a log line: a conversation full of NIKs, KK and card numbers,
// phone numbers and birth dates, including failures whose error messages carry them.
import { describe, expect, it } from 'vitest';
import type { Engine } from '../src/core/engine.ts';
import { consoleTurn } from '../src/channels/console.ts';
import { captureLog, repoEngine, testRuntime } from './support/app.ts';

const PERSONAL = [
  '3201014508900003', // NIK
  '3201010101080012', // KK number
  '5120777711112222', // card number
  '081234567890',
  '+62 812-3456-7890',
  '6281298765432',
  '17-08-1990',
  '17 Agustus 1990',
];
const RAW_FORMS = ['3201014508900003', '3201010101080012', '5120777711112222', '081234567890', '812-3456-7890', '6281298765432', '17-08-1990', '17 Agustus 1990'];

describe('logs', () => {
  it('carry no personal data from a whole conversation, its failures included', async () => {
    const log = captureLog('trace');
    const base = repoEngine();
    // An action that fails with the user's data in its error message, as careless code might.
    const leaky: Engine = {
      ...base,
      nlu: {
        understand: (text) => {
          if (text.includes('crash')) throw new Error(`could not understand ${text}`);
          return base.nlu.understand(text, 'id');
        },
      },
    };
    const { runtime } = testRuntime({ engine: leaky, logger: log.logger });
    const user = 'privacy-user';
    await consoleTurn(runtime, user, '/start');
    for (const p of PERSONAL) {
      await consoleTurn(runtime, user, p);
      await consoleTurn(runtime, user, `NIK saya ${p} tolong dicek`);
      await consoleTurn(runtime, user, `crash ${p}`);
    }
    await consoleTurn(runtime, user, '1');
    for (const p of PERSONAL) await consoleTurn(runtime, user, `crash ${p}`);
    const out = log.text();
    expect(out.length).toBeGreaterThan(1000); // the test saw real log lines
    expect(out).toContain('message handling failed');
    for (const raw of RAW_FORMS) expect(out).not.toContain(raw);
  });
});
