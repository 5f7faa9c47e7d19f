// npm run test:stress -- [--runs N] [vitest arguments]: builds and type-checks once, then runs the
// test suite N times in a row (default 3) while a busy loop keeps one core saturated, the way a
// loaded CI machine would. Prints each run's counts, then "N runs, K failed" and the failing tests.
// Exits non-zero if any run failed. Each run's output and JSON report stay in a temporary folder.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { countsLine, readReport } from './vitest-report.mjs';

const root = path.resolve(import.meta.dirname, '..');
/** The child running now (a build step or a vitest run) and the CPU hog, stopped by pid at exit. */
let current;
let hog;

class UsageError extends Error {}

function parseArgs(argv) {
  let runs = 3;
  const vitestArgs = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = arg === '--runs' ? argv[++i] : arg.startsWith('--runs=') ? arg.slice('--runs='.length) : undefined;
    if (value === undefined) {
      vitestArgs.push(arg);
      continue;
    }
    runs = Number(value);
    if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs ${value} is invalid: expected a whole number >= 1, e.g. --runs 3`);
  }
  return { runs, vitestArgs };
}

/** Runs a command to completion; its output goes to `log` (a stream) or is inherited. */
function run(command, args, { env = process.env, log } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', log ? 'pipe' : 'inherit', log ? 'pipe' : 'inherit'] });
    current = child;
    if (log) {
      child.stdout.pipe(log, { end: false });
      child.stderr.pipe(log, { end: false });
    }
    child.on('close', (code, signal) => {
      current = undefined;
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

/** Stops what this script started, by pid. */
function stopChildren() {
  for (const child of [current, hog]) {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
process.on('exit', stopChildren);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    stopChildren();
    process.exit(130);
  });
}

async function main(argv) {
  let options;
  try {
    options = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message}\n`);
    return 2;
  }
  const { runs, vitestArgs } = options;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  for (const step of ['build', 'typecheck']) {
    const code = await run(npm, ['run', '--silent', step]);
    if (code !== 0) {
      process.stderr.write(`error: npm run ${step} failed (exit ${code}); no test was run\n`);
      return 1;
    }
  }

  const folder = mkdtempSync(path.join(tmpdir(), 'cairn-stress-'));
  // A busy loop on one core, for as long as the runs last.
  hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  process.stdout.write(`CPU hog: pid ${hog.pid} (a busy loop on one core); output of each run in ${folder}\n`);

  const failedRuns = [];
  const failures = new Map();
  for (let i = 1; i <= runs; i++) {
    const started = Date.now();
    const reportFile = path.join(folder, `run-${i}.json`);
    const logFile = path.join(folder, `run-${i}.log`);
    const log = createWriteStream(logFile);
    const code = await run(process.execPath, [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...vitestArgs], {
      env: { ...process.env, CAIRN_TEST_REPORT: reportFile },
      log,
    });
    await new Promise((resolve) => log.end(resolve));
    const report = readReport(reportFile);
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const failed = code !== 0 || !report || report.failed > 0;
    if (failed) failedRuns.push(i);
    const counts = report ? countsLine(report) : 'no report (vitest stopped early)';
    process.stdout.write(`run ${i}/${runs}: ${counts}, exit ${code}, ${seconds} s${failed ? `  (see ${logFile})` : ''}\n`);
    // An error outside any test (vitest's "unhandled errors") fails the run with no failed test.
    const names = report?.failures.length ? report.failures : failed ? [`run ${i}: vitest exited ${code}${report ? ' (errors outside the tests)' : ' without a report'}`] : [];
    for (const name of names) {
      process.stdout.write(`  failed: ${name}\n`);
      failures.set(name, [...(failures.get(name) ?? []), i]);
    }
  }
  stopChildren();

  process.stdout.write(`\n${runs} runs, ${failedRuns.length} failed\n`);
  for (const [name, inRuns] of failures) process.stdout.write(`  ${name} (run ${inRuns.join(', ')})\n`);
  return failedRuns.length ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
