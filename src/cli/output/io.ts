// The CLI's streams and terminal facts, injectable for tests. Data goes to stdout, everything else
// to stderr. A closed stdout (`cairnctl ... | head`) is not an error: output stops quietly.

export type Output = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface IO {
  stdout: Output;
  stderr: Output;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  env: NodeJS.ProcessEnv;
}

/** The width to lay text out in on a terminal: 80 when the terminal does not say (or says 0). */
export function terminalWidth(stream: Output): number {
  return stream.columns || 80;
}

export function processIO(): IO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // process.stdin sets up a tty or pipe stream when first touched (~10 ms); only prompts need it.
    get stdin() {
      return process.stdin;
    },
    env: process.env,
  };
}

let stdoutClosed = false;

export function guardStdout(io: IO): void {
  io.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') {
      stdoutClosed = true;
      return;
    }
    throw err;
  });
}

export function writeOut(io: IO, text: string): void {
  if (!stdoutClosed) io.stdout.write(text);
}

export function writeErr(io: IO, text: string): void {
  io.stderr.write(text);
}

/**
 * Colour level for stdout (or `stream`), as restatectl decides it: only on a terminal with TERM != dumb and
 * NO_COLOR unset (or "0"); CLICOLOR_FORCE (not "0") forces it on; --no-color always wins.
 */
export function colorLevel(io: IO, colorFlag: boolean, stream: Output = io.stdout): 0 | 1 | 2 | 3 {
  if (!colorFlag) return 0;
  const env = io.env;
  const forced = env.CLICOLOR_FORCE !== undefined && env.CLICOLOR_FORCE !== '0';
  if (!forced) {
    if (env.NO_COLOR !== undefined && env.NO_COLOR !== '' && env.NO_COLOR !== '0') return 0;
    if (!stream.isTTY || env.TERM === 'dumb' || env.CLICOLOR === '0') return 0;
  }
  if (env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit') return 3;
  if (env.TERM?.includes('256')) return 2;
  return forced ? 2 : 1;
}

/** Prompting needs a person at a terminal: the question goes to stderr and the answer comes from
 *  stdin, so stdout may be piped (`cairnctl logs seal 3 -o json | jq`). */
export function canPrompt(io: IO): boolean {
  return !!io.stdin.isTTY && !!io.stderr.isTTY;
}
