// Prints the last line of .ci/run from vitest's JSON report: "N passed, N failed[, N skipped]".
import { existsSync, readFileSync } from 'node:fs';

const [file, status] = process.argv.slice(2);
if (!existsSync(file)) {
  // The build or the type check failed before any test ran.
  console.log(`0 passed, 1 failed${status === '0' ? '' : ' (npm test failed before the test run; see above)'}`);
  process.exit();
}
const report = JSON.parse(readFileSync(file, 'utf8'));
const skipped = report.numPendingTests + report.numTodoTests;
const failed = report.numFailedTests + (report.numFailedTestSuites && !report.numFailedTests ? report.numFailedTestSuites : 0);
console.log(`${report.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
