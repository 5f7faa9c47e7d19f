// Reads vitest's JSON report: counts, and the names of what failed. Shared by the CI summary line
// (test-summary.mjs) and the stress runs (stress.mjs).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `{passed, failed, skipped, failures}` of a report, or undefined when there is none (the run
 * stopped before vitest wrote it). `failures` are `file > full test name`; a file that failed
 * outside its tests (a beforeAll, an import) is listed by its file name and message.
 */
export function readReport(file) {
  if (!existsSync(file)) return undefined;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const failures = [];
  for (const result of report.testResults) {
    const name = path.relative(process.cwd(), result.name);
    const failedTests = result.assertionResults.filter((test) => test.status === 'failed');
    for (const test of failedTests) failures.push(`${name} > ${test.fullName}`);
    if (result.status === 'failed' && failedTests.length === 0) failures.push(`${name}: ${(result.message || 'failed').split('\n')[0]}`);
  }
  return {
    passed: report.numPassedTests,
    failed: report.numFailedTests + (report.numFailedTestSuites && !report.numFailedTests ? report.numFailedTestSuites : 0),
    skipped: report.numPendingTests + report.numTodoTests,
    failures,
  };
}

/** "N passed, N failed[, N skipped]". */
export function countsLine({ passed, failed, skipped }) {
  return `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
}
