// `--watch` piped: one JSON document per line per interval. partitions list --watch while a node
// is killed shows the node going dead and its partitions' leadership moving to the others.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartitionsListDocument } from '../../src/cli/output/documents';
import { CAIRNCTL, cleanEnv } from '../helpers/cli';
import { alive, TestCluster, waitUntil } from '../helpers/cluster';

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
      // One round per interval, give or take a slow round.
      const gaps = rounds.slice(1).map((r, i) => Date.parse(r.at) - Date.parse(rounds[i]!.at));
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(900);
    } finally {
      if (watcher.exitCode === null) watcher.kill('SIGKILL');
    }
  }, 90_000);
});
