// A full disk on one node: its stores' failures show in `status`, `replicated-loglet servers` and
// `partitions list` (not only in its log), leadership leaves it for a replica that can apply, no
// acknowledged write is lost or unreadable meanwhile, and it recovers once space is freed. The
// node's data dir is a small tmpfs filled up with a file: a real ENOSPC, not a simulated one. A
// node that cannot start on a full disk says that its disk is full (SQLite itself says only "disk
// I/O error", and a failed lock once read as "in use by another cairn-server"; chaos seed 1313).
// Its log store stores into the room its WAL got at open until that is used up, then fails too.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionTable } from '../../src/api/schemas';
import { partitionForKey } from '../../src/server/worker/partitioning';
import { alive, startJoiningNode, TestCluster, waitUntil } from '../helpers/cluster';
import { fillDisk } from '../helpers/disk';
import { get, putWithRetry } from '../helpers/kv';

interface ProcessorRow {
  partition_id: number;
  node_id: number;
  mode: string;
  status: string;
  stopped_reason: string | null;
}
interface StatusNode {
  node_id: number;
  problems: Array<{ component: string; message: string }>;
}

/** Mounting a tmpfs needs root (CI runs as root on this machine kind). */
const canMount = process.getuid?.() === 0;

describe.skipIf(!canMount)('a full disk on one node', () => {
  let cluster: TestCluster;
  let table: PartitionTable;
  let dataDir: string;
  const victim = 2;
  let mounted = false;

  const filler = () => path.join(dataDir, 'filler');
  const processors = async () => (await cluster.ctlJson<{ processors: ProcessorRow[] }>(['partitions', 'list'])).processors;
  const problemsOf = async (id: number) =>
    (await cluster.ctlJson<{ nodes: StatusNode[] }>(['status'])).nodes.find((n) => n.node_id === id)!.problems.map((p) => p.component);

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
    table = await cluster.partitionTable();
    // Move N2's data onto a 160 MiB tmpfs while it is down: room for its log store's WAL (41 MB), and
    // for copying what that took in on the full disk into the database once space is freed.
    const node = cluster.node(`n${victim}`);
    dataDir = node.dataDir;
    cluster.kill(`n${victim}`);
    await waitUntil(`n${victim} to die`, async () => !alive(node.pid));
    renameSync(dataDir, `${dataDir}.disk`);
    mkdirSync(dataDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=160m', 'tmpfs', dataDir]);
    mounted = true;
    cpSync(`${dataDir}.disk`, dataDir, { recursive: true });
    await cluster.up();
  }, 120_000);
  afterAll(async () => {
    if (cluster) for (const node of cluster.info.nodes) if (alive(node.pid)) process.kill(node.pid, 'SIGKILL');
    if (cluster) await waitUntil('every node to stop', async () => cluster.info.nodes.every((n) => !alive(n.pid)));
    // Lazily: the mount goes at once, even if a dying process still holds a file in it.
    if (mounted) execFileSync('umount', ['-l', dataDir]);
    await cluster?.destroy();
  });

  it('is reported, moves leadership away, loses nothing, and recovers when space is freed', async () => {
    // Leadership left N2 while it restarted; the controller spreads it back.
    const led = await waitUntil(`N${victim} to lead a partition again`, async () => {
      const ids = (await processors()).filter((p) => p.node_id === victim && p.mode === 'leader' && p.status === 'active').map((p) => p.partition_id);
      return ids.length ? ids : undefined;
    }, 60_000);

    await fillDisk(filler());

    // Writes to every partition go on (quorums without N2's log-server) and are all acknowledged.
    const acked = new Map<string, string>();
    const ingresses = [1, 3].map((id) => cluster.node(`n${id}`).ingress);
    for (let i = 0; acked.size < 40; i++) {
      const key = `full-${i}`;
      const outcome = await putWithRetry(ingresses, key, `value ${i} ${'x'.repeat(2000)}`);
      expect(outcome.ok, `PUT ${key}: ${outcome.status} ${outcome.body}`).toBe(true);
      acked.set(key, `value ${i} ${'x'.repeat(2000)}`);
    }
    expect(new Set([...acked.keys()].map((k) => partitionForKey(k, table).id)).size).toBe(table.partitions.length);

    // Visible: the node's problems in status and servers, its processors stopped with the reason.
    await waitUntil(`status to show N${victim}'s failing stores`, async () => (await problemsOf(victim)).includes('partition-store'));
    // Its log store goes on storing into the room its WAL was given at open, until that is used up.
    const logStoreFails = new RegExp(`N${victim}: log-store writes fail since .*disk is full`);
    expect((await cluster.ctl(['replicated-loglet', 'servers'])).stderr).not.toMatch(logStoreFails);
    const big = (i: number) => `big ${i} ${'y'.repeat(1 << 20)}`;
    for (let i = 0; i < 100 && !logStoreFails.test((await cluster.ctl(['replicated-loglet', 'servers'])).stderr); i++) {
      const outcome = await putWithRetry(ingresses, `big-${i}`, big(i));
      expect(outcome.ok, `PUT big-${i}: ${outcome.status} ${outcome.body}`).toBe(true);
      acked.set(`big-${i}`, big(i));
    }
    expect((await cluster.ctl(['replicated-loglet', 'servers'])).stderr).toMatch(logStoreFails);
    await waitUntil(`N${victim}'s processors to show why they stopped`, async () =>
      (await processors()).some((p) => p.node_id === victim && p.status === 'stopped' && /disk is full/.test(p.stopped_reason ?? '')),
    );
    // Leadership left it for replicas that can apply, and every acknowledged write reads back.
    await waitUntil(`leadership of ${led.join(', ')} to leave N${victim}`, async () => {
      const rows = await processors();
      return led.every((id) => rows.some((p) => p.partition_id === id && p.mode === 'leader' && p.node_id !== victim && p.status === 'active'));
    });
    const readers = [1, 2, 3].map((id) => cluster.node(`n${id}`).ingress);
    for (const [key, value] of acked) {
      for (const reader of readers) {
        const read = await get(reader, key);
        expect(`${read.status} ${read.body.toString() === value}`, `${key} via ${reader}: ${read.body.toString().slice(0, 300)}`).toBe('200 true');
      }
    }

    // Space freed: the node's stores work again and its processors catch up.
    rmSync(filler());
    await waitUntil(`N${victim} to recover`, async () => {
      const mine = (await processors()).filter((p) => p.node_id === victim);
      return (await problemsOf(victim)).length === 0 && mine.length > 0 && mine.every((p) => p.status === 'active');
    }, 60_000);
  }, 180_000);

  it('a node that cannot start on a full disk says so, and exits non-zero', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cairn-full-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    try {
      await fillDisk(path.join(dir, 'filler'));
      const joining = await startJoiningNode(cluster, { name: 'full-disk', roles: 'log-server,worker', dataDir: path.join(dir, 'data') });
      try {
        expect(await joining.exited).toBe(1);
      } finally {
        if (alive(joining.pid)) process.kill(joining.pid, 'SIGKILL');
      }
      expect(joining.output()).toMatch(new RegExp(`error: the disk of base-dir ${path.join(dir, 'data')} is full \\(\\d+ bytes free; .*\\); free space on it, then start the node again`));
      expect(joining.output()).not.toMatch(/in use by another/);
    } finally {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
