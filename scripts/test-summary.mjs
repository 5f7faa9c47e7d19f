// Prints the last line of .ci/run from vitest's JSON report: "N passed, N failed[, N skipped]".
import { countsLine, readReport } from './vitest-report.mjs';

const [file, status] = process.argv.slice(2);
const report = readReport(file);
// Without a report the build or the type check failed before any test ran.
console.log(report ? countsLine(report) : `0 passed, 1 failed${status === '0' ? '' : ' (npm test failed before the test run; see above)'}`);
