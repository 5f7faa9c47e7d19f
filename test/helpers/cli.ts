// Runs the built binaries as a user would, with a clean environment.
import { spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CAIRNCTL = path.join(ROOT, 'bin', 'cairnctl');
export const CAIRN_SERVER = path.join(ROOT, 'bin', 'cairn-server');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  input?: string;
}

/** A minimal environment: no inherited CAIRN_* or colour settings leak into a test. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' };
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: cleanEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: performance.now() - started });
    });
    // A child that exits without reading its input must not fail the test with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

export function cairnctl(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [CAIRNCTL, ...args], options);
}

export function cairnServer(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [CAIRN_SERVER, ...args], options);
}

export interface TerminalOptions {
  env?: Record<string, string | undefined>;
  /** Typed once `prompt` has appeared on the terminal (never earlier: keys typed before the
   *  program reads the terminal could be lost or read as something else). */
  answer?: { prompt: string; keys: string };
  timeoutMs?: number;
}

/**
 * Runs cairnctl on a pseudo-terminal (util-linux `script`), 120 columns wide, as a person at a
 * terminal would; what the terminal showed comes back as stdout.
 */
export function cairnctlOnTerminal(args: string, options: TerminalOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const command = `stty cols 120 rows 40; ${process.execPath} ${CAIRNCTL} ${args}`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
      env: cleanEnv({ TERM: 'xterm-256color', ...options.env }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let answered = !options.answer;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (!answered && stdout.includes(options.answer!.prompt)) {
        answered = true;
        child.stdin.write(options.answer!.keys);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const unanswered = answered ? '' : `\n(test: the prompt ${JSON.stringify(options.answer!.prompt)} never appeared)`;
      resolve({ code, signal, stdout, stderr: stderr + unanswered, ms: performance.now() - started });
    });
    child.stdin.on('error', () => undefined);
    // Without an answer to type, stdin ends at once, as `script` reading from a pipe expects.
    if (answered) child.stdin.end();
  });
}

/** Runs a shell pipeline (for `| head` and slow-reader checks). */
export function shell(script: string, options: RunOptions = {}): Promise<RunResult> {
  return run('bash', ['-c', `set -o pipefail; ${script}`], options);
}

export const ANSI = /\u001b\[[0-9;]*m/;

/** A `roughDuration` as tables show it (`now`, `12 seconds`, `a minute`, ...), for regexes: how much
 *  time has passed depends on how busy the machine is. */
export const ROUGH_TIME = String.raw`(?:now|\d+ seconds|a minute|\d+ minutes)`;
