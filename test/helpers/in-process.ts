// cairnctl run in the test's own process, as gh's iostreams.Test() runs a command: in-memory
// streams that can say they are terminals (of a given width), and an optional connection factory.
// The cluster on the other end is real (TestCluster); only the CLI's streams are stand-ins.
import { PassThrough } from 'node:stream';
import type { Connect } from '../../src/cli/context';
import type { IO } from '../../src/cli/output/io';
import { main } from '../../src/cli/program';

export interface TerminalShape {
  /** stdout is a terminal of this many columns (0: a terminal that reports no size). */
  stdoutColumns?: number;
  stderrColumns?: number;
  stdinTTY?: boolean;
}

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

function stream(columns: number | undefined) {
  const s = new PassThrough();
  let text = '';
  s.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  if (columns !== undefined) Object.assign(s, { isTTY: true, columns });
  return { stream: s, text: () => text };
}

export function testIO(shape: TerminalShape = {}, env: NodeJS.ProcessEnv = {}): { io: IO; stdout: () => string; stderr: () => string } {
  const out = stream(shape.stdoutColumns);
  const err = stream(shape.stderrColumns);
  const stdin = Object.assign(new PassThrough(), shape.stdinTTY ? { isTTY: true } : {});
  return { io: { stdout: out.stream, stderr: err.stream, stdin, env: { TERM: 'xterm-256color', ...env } }, stdout: out.text, stderr: err.text };
}

export async function runCli(args: string[], options: { shape?: TerminalShape; env?: NodeJS.ProcessEnv; connect?: Connect } = {}): Promise<InProcessResult> {
  const { io, stdout, stderr } = testIO(options.shape, options.env);
  const code = await main(args, io, options.connect);
  // Let the PassThrough streams deliver what was written.
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: stdout(), stderr: stderr() };
}

/** Widest line, in columns (ANSI codes take none). */
export function widestLine(text: string): number {
  return Math.max(0, ...text.split('\n').map((line) => [...line.replace(/\u001b\[[0-9;]*m/g, '').replace(/[\ufe0e\ufe0f]/g, '')].length));
}
