// `--watch` piped: one JSON document per line per interval. partitions list --watch while a node
// is killed shows the node going dead and its partitions' leadership moving to the others.
// `--watch` on a terminal (a pseudo-terminal from util-linux `script`): the ink screen redraws,
// highlights what a killed node changed and says it in the events, and q leaves the terminal as it
// found it (cursor shown, every private mode it set reset, canonical mode and echo back).
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartitionsListDocument } from '../../src/cli/output/documents';
import { CAIRNCTL, cleanEnv } from '../helpers/cli';
import { alive, TestCluster, waitUntil } from '../helpers/cluster';

const CONTROL = /\u001b\[[0-9;?<>]*[A-Za-z]|\r/g;
const COLOUR = /\u001b\[[0-9;]*m/;

interface TerminalWatch {
  child: ChildProcess;
  /** Everything the terminal was sent, escape sequences included. */
  raw: () => string;
  /** The same without escape sequences. */
  text: () => string;
  /** The shell's exit status (cairnctl's), once `stty -a` has shown the terminal's modes after it. */
  exited: Promise<number | null>;
}

/** cairnctl with --watch on a 120x40 pseudo-terminal; after it, `stty -a` shows the terminal's modes. */
function watchOnTerminal(args: string, env: Record<string, string>): TerminalWatch {
  const command = `stty cols 120 rows 40; ${process.execPath} ${CAIRNCTL} ${args}; code=$?; echo; echo "-- stty after:"; stty -a; exit $code`;
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { env: cleanEnv({ TERM: 'xterm-256color', ...env }), stdio: ['pipe', 'pipe', 'pipe'] });
  let raw = '';
  child.stdout!.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
  child.stdin!.on('error', () => undefined);
  return { child, raw: () => raw, text: () => raw.replace(CONTROL, ''), exited: new Promise((resolve) => child.on('close', resolve)) };
}

/** Distinct frame titles seen (each round's title has its own time of day). */
const frames = (watch: TerminalWatch) => new Set(watch.text().match(/Every 1s · \d\d:\d\d:\d\d/g) ?? []).size;

/** The terminal is left as found: the cursor shown, each private mode set (?Nh) reset after, raw mode off. */
function expectTerminalRestored(raw: string) {
  const [screen, after] = raw.split('-- stty after:');
  expect(screen!.lastIndexOf('\u001b[?25h')).toBeGreaterThan(screen!.lastIndexOf('\u001b[?25l'));
  for (const [, mode] of screen!.matchAll(/\u001b\[\?(\d+)h/g)) {
    if (mode !== '25') expect(screen!.lastIndexOf(`\u001b[?${mode}l`), `mode ?${mode} reset`).toBeGreaterThan(screen!.lastIndexOf(`\u001b[?${mode}h`));
  }
  // The kitty keyboard protocol, when pushed, is popped.
  expect(screen!.split('\u001b[>').length).toBe(screen!.split('\u001b[<u').length);
  expect(after).toMatch(/(^|\s)icanon\s/);
  expect(after).toMatch(/(^|\s)echo\s/);
}

describe('--watch', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('partitions list --watch, piped: NDJSON rounds show a killed node going dead and leadership moving', async () => {
    const watcher = spawn(process.execPath, [CAIRNCTL, 'partitions', 'list', '--watch', '--interval', '1s', '--count', '12'], {
      env: cleanEnv({ CAIRN_ADDRESS: cluster.address }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let buffered = '';
    watcher.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const complete = buffered.split('\n');
      buffered = complete.pop()!;
      lines.push(...complete);
    });
    const exited = new Promise<number | null>((resolve) => watcher.on('exit', resolve));
    try {
      await waitUntil('the first round', async () => lines.length >= 1, 20_000);
      // Each line is the command's JSON document plus the time it was observed.
      const parse = (line: string) => {
        const { observed_at: at, ...doc } = JSON.parse(line) as { observed_at: string };
        return { at, doc: PartitionsListDocument.parse(doc) };
      };
      const first = parse(lines[0]!).doc;
      const ledByN3 = first.processors.filter((p) => p.node_id === 3 && p.mode === 'leader').map((p) => p.partition_id);
      expect(ledByN3.length).toBeGreaterThan(0);
      cluster.kill('n3');
      await waitUntil('n3 to die', async () => !alive(cluster.node('n3').pid));
      expect(await exited).toBe(0);
      const rounds = lines.map(parse);
      expect(rounds).toHaveLength(12);
      const dead = rounds.findIndex((r) => r.doc.dead_nodes.some((d) => d.node_id === 3));
      expect(dead).toBeGreaterThan(0);
      const moved = rounds.findIndex((r) => ledByN3.every((id) => r.doc.processors.some((p) => p.partition_id === id && p.mode === 'leader' && p.node_id !== 3)));
      expect(moved).toBeGreaterThanOrEqual(dead);
      // One round per interval, not back to back. observed_at is stamped when a round ends, so two
      // neighbours' gap also carries the difference of their durations (a slow round, then a quick
      // one, are less than an interval apart); over all the rounds that difference is spent once.
      const span = Date.parse(rounds.at(-1)!.at) - Date.parse(rounds[0]!.at);
      expect(span / (rounds.length - 1)).toBeGreaterThanOrEqual(900);
    } finally {
      if (watcher.exitCode === null) watcher.kill('SIGKILL');
    }
  }, 90_000);

  it('status --watch on a terminal: redrawn frames, a killed node highlighted and in the events, q exits 0 with the terminal restored', async () => {
    await cluster.up();
    await cluster.settled();
    const watch = watchOnTerminal('status --watch --interval 1s', { CAIRN_ADDRESS: cluster.address });
    try {
      await waitUntil('two frames of the live screen', async () => frames(watch) >= 2, 30_000);
      expect(watch.text()).toContain('Events');
      cluster.kill('n3');
      await waitUntil('the event saying n3 is down', async () => /\d\d:\d\d:\d\d N3 is down: /.test(watch.text()), 30_000);
      // The cells that changed are in inverse video: N3's id (now plain N3, red) and "offline".
      expect(watch.raw()).toMatch(/\u001b\[7m(\u001b\[[0-9;]*m)*N3(\u001b\[[0-9;]*m)*\u001b\[27m/);
      expect(watch.raw()).toMatch(/\u001b\[7m(\u001b\[[0-9;]*m)*offline/);
      expect(watch.text()).toMatch(/Every 1s · \d\d:\d\d:\d\d · \d+ cells? changed · q to quit/);
      const before = frames(watch);
      await waitUntil('a frame after the change', async () => frames(watch) > before, 30_000);
      watch.child.stdin!.write('q');
      expect(await watch.exited).toBe(0);
      expectTerminalRestored(watch.raw());
    } finally {
      if (watch.child.exitCode === null) watch.child.kill('SIGKILL');
    }
  }, 120_000);

  it('partitions list --watch with NO_COLOR, CI set and a hung node: no colour at all, changed cells marked *, frames go on; Ctrl-C exits 130', async () => {
    await cluster.up();
    await cluster.settled();
    // A round that waited for the hung node up to the request timeout would take a minute, not a second.
    // CI set (a shell in a CI job, or an operator's habit) must not keep ink from drawing the frames.
    const watch = watchOnTerminal('partitions list --watch --interval 1s --request-timeout 60000', { CAIRN_ADDRESS: cluster.address, NO_COLOR: '1', CI: 'true' });
    try {
      await waitUntil('two frames of the live screen', async () => frames(watch) >= 2, 30_000);
      // Hung, not dead: its probes time out at the per-node deadline, as in `status`.
      await cluster.pause('n3');
      await waitUntil('the event saying n3 is dead', async () => /\d\d:\d\d:\d\d N3 is dead/.test(watch.text()), 30_000);
      const before = frames(watch);
      await waitUntil('two more frames while n3 hangs', async () => frames(watch) >= before + 2, 30_000);
      // The dead nodes table appears, new as a whole.
      expect(watch.text()).toMatch(/^ N3\*\s+\S/m);
      expect(watch.text()).toContain('changed (marked *)');
      expect(watch.raw()).not.toMatch(COLOUR);
      watch.child.stdin!.write('\u0003');
      expect(await watch.exited).toBe(130);
      expectTerminalRestored(watch.raw());
    } finally {
      cluster.kill('n3', 'SIGCONT');
      if (watch.child.exitCode === null) watch.child.kill('SIGKILL');
    }
  }, 120_000);
});
