// Prints one plain line at the end of a run, the line CI reads:
//   N passed, N failed
// Failures include more than failed tests, so that a broken run can never report "0 failed":
// errors outside any test (a test file that does not load, a failing beforeAll/afterAll hook,
// an unhandled error or rejection), tests left unfinished, and a run vitest itself calls failed.
import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node';

export function summarize(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
  reason: TestRunEndReason,
): { passed: number; failed: number; skipped: number } {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const mod of testModules) {
    for (const test of mod.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') passed++;
      else if (state === 'skipped') skipped++;
      else failed++; // 'failed', or 'pending': it never finished
    }
    // Errors outside tests: collection (import, syntax) and hooks of the file or of a suite.
    failed += mod.errors().length;
    for (const suite of mod.children.allSuites()) failed += suite.errors().length;
  }
  failed += unhandledErrors.length;
  if (reason !== 'passed' && failed === 0) failed = 1; // e.g. no test files, or interrupted
  return { passed, failed, skipped };
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    const { passed, failed, skipped } = summarize(testModules, unhandledErrors, reason);
    // Skipped tests are counted on a line of their own: the last line is exactly what CI reads.
    if (skipped > 0) process.stdout.write(`${skipped} skipped\n`);
    process.stdout.write(`${passed} passed, ${failed} failed\n`);
  }
}
