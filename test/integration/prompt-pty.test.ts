// Confirmation prompts on a real pseudo-terminal (util-linux `script`), answered once the question
// is on screen: y, n, Ctrl-C, end of input, a terminal that reports 0 columns, one of 60 columns,
// and stdout piped away while stdin and stderr stay on the terminal.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAIRNCTL, cleanEnv } from '../helpers/cli';
import { TestCluster } from '../helpers/cluster';

interface PromptRun {
  code: number | null;
  /** What the terminal showed, without control sequences and carriage returns. */
  screen: string;
  /** Milliseconds from the answer (or the end of input) to the exit. */
  afterAnswerMs: number;
}

const CONTROL = /\u001b\[[0-9;?]*[A-Za-z]|\r/g;
const PROMPT_SHOWN = '(y/N)';

/** Runs `shellCommand` on a pty of `cols` columns; once the prompt shows, sends `answer` (or
 *  closes the input, which `script` passes on as end of input). */
function onTerminal(shellCommand: string, address: string, answer: string | 'EOF', cols: number): Promise<PromptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-c', `stty cols ${cols} rows ${cols ? 40 : 0}; ${shellCommand}`, '/dev/null'], {
      env: cleanEnv({ TERM: 'xterm-256color', CAIRN_ADDRESS: address }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let answeredAt = 0;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit; the terminal showed:\n${output.replace(CONTROL, '')}`));
    }, 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (!answeredAt && output.includes(PROMPT_SHOWN)) {
        answeredAt = Date.now();
        if (answer === 'EOF') child.stdin.end();
        else child.stdin.write(answer);
      }
    });
    child.stdin.on('error', () => undefined);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen: output.replace(CONTROL, ''), afterAnswerMs: Date.now() - answeredAt });
    });
  });
}

const ctl = (args: string) => `${process.execPath} ${CAIRNCTL} ${args}`;
const TRIM_QUESTION = 'Trim log 0 up to LSN 1 (--force: past the archived LSN if need be)? Trimmed records are gone for good.';

describe('confirmation prompts on a terminal', () => {
  let cluster: TestCluster;
  const scratch = mkdtempSync(path.join(tmpdir(), 'cairn-pty-'));

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
  });
  afterAll(async () => {
    await cluster?.destroy();
    rmSync(scratch, { recursive: true, force: true });
  });

  const trimPoint = async () => (await cluster.ctlJson(['logs', 'describe', '0', '--extra'])).logs[0].trim_point_lsn as number;
  const segments = async (log: number) => (await cluster.ctlJson(['logs', 'list'])).logs[log].segments as number;

  it('n declines: the answer is echoed, exit 1, nothing trimmed', async () => {
    const run = await onTerminal(ctl('logs trim 0 -t 1 --force'), cluster.address, 'n', 120);
    expect(run.code).toBe(1);
    expect(run.screen).toContain(`? ${TRIM_QUESTION} (y/N) › no\n`);
    expect(run.screen).toContain('error: aborted: nothing was changed');
    expect(run.screen).not.toContain('dry run');
    expect(await trimPoint()).toBe(0);
  });

  it('Ctrl-C exits 130 and changes nothing', async () => {
    const run = await onTerminal(ctl('logs seal 1'), cluster.address, '\u0003', 120);
    expect(run.code).toBe(130);
    expect(run.screen).toContain('error: interrupted: nothing was changed');
    expect(await segments(1)).toBe(1);
  });

  it('end of input means no: exit 1 within a second, nothing changed', async () => {
    const run = await onTerminal(ctl('logs seal 1'), cluster.address, 'EOF', 120);
    expect(run.code).toBe(1);
    expect(run.screen).toContain('? Seal the tail segment of log 1? (y/N) › no');
    expect(run.afterAnswerMs).toBeLessThan(1_000);
    expect(await segments(1)).toBe(1);
  });

  it('wraps the question at word boundaries to a 60-column terminal', async () => {
    const run = await onTerminal(ctl('logs trim 0 -t 1 --force'), cluster.address, 'n', 60);
    expect(run.code).toBe(1);
    const start = run.screen.lastIndexOf('? Trim log 0');
    const lines = run.screen.slice(start, run.screen.indexOf('› no', start) + 4).split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(60);
    // Joined again at the breaks, the question is whole: no word was cut.
    expect(lines.map((l) => l.trim()).join(' ')).toBe(`? ${TRIM_QUESTION} (y/N) › no`);
  });

  it('lays the question out in 80 columns on a terminal that reports 0, and still reads the answer', async () => {
    const run = await onTerminal(ctl('logs trim 0 -t 1 --force'), cluster.address, 'n', 0);
    expect(run.code).toBe(1);
    const start = run.screen.lastIndexOf('? Trim log 0');
    const lines = run.screen.slice(start, run.screen.indexOf('› no', start) + 4).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]!.length).toBeGreaterThan(60);
    expect(lines[0]!.length).toBeLessThanOrEqual(80);
  });

  it('asks on the terminal while stdout is piped, and y goes ahead (the JSON reaches the pipe)', async () => {
    const file = path.join(scratch, 'seal.json');
    const run = await onTerminal(`${ctl('logs seal 3 -o json')} > ${file}`, cluster.address, 'y', 120);
    expect(run.code).toBe(0);
    expect(run.screen).toContain('? Seal the tail segment of log 3? (y/N) › yes');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ results: [{ log_id: 3, ok: true, tail_lsn: expect.any(Number), error: null }] });
  });
});
