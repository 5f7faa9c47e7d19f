// Runbook "Handling missing snapshots" with the repository in S3 (s3rver), without a hand copy:
// snapshots published and every log trimmed, then a brand-new worker-only machine joins with the
// same [worker.snapshots] settings, restores each partition from S3, catches up, and every
// acknowledged key reads back from its own replica. Then a damaged data object: the next new node
// names the object whose checksum does not match and stops that partition only, until a fresh
// snapshot is published.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionTable, ProcessorStatus } from '../../src/api/schemas';
import { partitionForKey } from '../../src/server/worker/partitioning';
import { alive, startJoiningNode, TestCluster, waitUntil, type JoiningNode } from '../helpers/cluster';
import { get, writeNumberedKeys } from '../helpers/kv';
import { TestS3 } from '../helpers/s3';

const PREFIX = 'prod/c1';

interface PartitionsJson {
  processors: Array<ProcessorStatus & { node_id: number; generational_id: string }>;
}

describe('runbook: handling missing snapshots, with the repository in S3', () => {
  let s3: TestS3;
  let cluster: TestCluster;
  let table: PartitionTable;
  const scratch = mkdtempSync(path.join(tmpdir(), 'cairn-runbook-b-s3-'));
  const joined: JoiningNode[] = [];
  const written = new Map<string, string>();

  const write = (prefix: string, count: number) => writeNumberedKeys(cluster.info.nodes.map((n) => n.ingress), prefix, count, written);
  const processors = async () => (await cluster.ctlJson<PartitionsJson>(['partitions', 'list'])).processors;
  /** A new worker-only machine: an empty disk, the cluster's S3 settings. */
  const join = async (name: string) => {
    const node = await startJoiningNode(cluster, { name, roles: 'worker', dataDir: path.join(scratch, name), sets: s3.settings(PREFIX) });
    joined.push(node);
    return node;
  };
  /** Whether node `id` runs `partitionId` active at its leader's applied LSN. */
  const caughtUp = (all: PartitionsJson['processors'], id: number, partitionId: number) => {
    const leader = all.find((p) => p.partition_id === partitionId && p.mode === 'leader');
    const mine = all.find((p) => p.partition_id === partitionId && p.node_id === id);
    return !!mine && mine.status === 'active' && mine.applied_lsn === leader?.applied_lsn;
  };

  beforeAll(async () => {
    s3 = await TestS3.start();
    // Every worker runs every partition, so that a new worker runs them too.
    cluster = await TestCluster.start({ nodes: 3, sets: [...s3.settings(PREFIX), 'default-partition-replication=everywhere', 'admin.log-trim-delay=1h'] });
    table = await cluster.partitionTable();
  });
  afterAll(async () => {
    for (const node of joined) if (alive(node.pid)) process.kill(node.pid, 'SIGKILL');
    await cluster?.destroy();
    await s3?.destroy();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('a new worker restores from S3 after the trim, catches up, and holds every acknowledged key', async () => {
    await write('before', 60);
    const trimmed = await cluster.ctl(['snapshots', 'create-snapshot', '--trim-log', '--yes']);
    expect(trimmed.code, trimmed.stderr).toBe(0);
    for (const partition of table.partitions) {
      expect(trimmed.stdout).toMatch(new RegExp(`Log ${partition.log_id} trimmed to LSN [1-9]\\d*\\nStored in s3://cairn-snaps/${PREFIX}/${partition.id}/lsn_\\d{20}-snap_\\w+/`));
    }
    await write('after-trim', 30);

    const n4 = await join('n4');
    await waitUntil('n4 to restore every partition from S3 and catch up', async () => {
      const all = await processors();
      return table.partitions.every((p) => caughtUp(all, 4, p.id));
    }, 60_000);
    for (const partition of table.partitions) {
      expect(n4.output()).toMatch(new RegExp(`"partition":${partition.id},[^\\n]*"msg":"restored the partition store from a snapshot"`));
    }
    await write('after-join', 30);

    // Every key, from n4's own replica: nothing was copied by hand.
    for (const [key, value] of written) {
      const partition = partitionForKey(key, table).id;
      const local = await fetch(`${n4.address}/v1/worker/partitions/${partition}/kv/${encodeURIComponent(key)}`);
      expect(`${key} ${local.status} ${await local.text()}`).toBe(`${key} 200 ${value}`);
    }
    const sample = (await get(cluster.info.nodes[0]!.ingress, 'after-join-7')).body.toString();
    expect(sample).toBe(written.get('after-join-7'));
  }, 180_000);

  it('a damaged data object is named on restore; that partition stops until a fresh snapshot', async () => {
    // Same size, one byte changed: only the checksum can tell.
    const latest = JSON.parse((await s3.get(`${PREFIX}/0/latest.json`)).toString());
    const dataKey = `${PREFIX}/0/${latest.path}/partition.sqlite`;
    const data = await s3.get(dataKey);
    const flipped = data.length - 100;
    data[flipped] = data[flipped]! ^ 0xff;
    await s3.put(dataKey, data);

    const n5 = await join('n5');
    const reason = `snapshot object s3://cairn-snaps/${dataKey} is damaged`;
    await waitUntil('n5 to stop partition 0 naming the damaged object', async () => {
      const mine = (await processors()).find((p) => p.partition_id === 0 && p.node_id === 5);
      return mine?.status === 'stopped' && mine.stopped_reason?.startsWith(reason);
    }, 60_000);
    expect(n5.output()).toContain(reason);
    const shown = await cluster.ctl(['partitions', 'list']);
    expect(shown.stdout).toMatch(/\n 0 +N5:\d+ +Follower +Stopped \(trim gap\)/);
    expect(shown.stderr).toContain(reason);
    // The other partitions restore from their sound objects.
    await waitUntil('n5 to restore the other partitions', async () => {
      const all = await processors();
      return table.partitions.filter((p) => p.id !== 0).every((p) => caughtUp(all, 5, p.id));
    }, 60_000);

    // A fresh snapshot of partition 0 is what the stopped processor picks up at its next retry.
    await write('after-damage', 10);
    expect((await cluster.ctl(['snapshots', 'create-snapshot', '0'])).code).toBe(0);
    await waitUntil('n5 to restore partition 0 from the fresh snapshot', async () => caughtUp(await processors(), 5, 0), 60_000);
    for (const [key, value] of written) {
      if (partitionForKey(key, table).id !== 0) continue;
      const local = await fetch(`${n5.address}/v1/worker/partitions/0/kv/${encodeURIComponent(key)}`);
      expect(`${key} ${local.status} ${await local.text()}`).toBe(`${key} 200 ${value}`);
    }
  }, 180_000);
});
