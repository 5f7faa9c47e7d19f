// Snapshots and trimming on a real 3-node cluster: the operator views (table and JSON), the
// repository's layout on disk, retention, trimming bounded by the archived LSN (by hand, with
// --trim-log, and by the cluster controller after its delay), and the errors an operator meets.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionTable } from '../../src/api/schemas';
import { partitionForKey } from '../../src/server/worker/partitioning';
import { TestCluster, waitUntil } from '../helpers/cluster';
import { putWithRetry } from '../helpers/kv';

const TRIM_DELAY_MS = 2_000;

describe('snapshots and trimming', () => {
  let cluster: TestCluster;
  let table: PartitionTable;
  let written = 0;

  /** Writes `count` keys that land in partition `id`. */
  const writeTo = async (id: number, count: number) => {
    const ingresses = cluster.info.nodes.map((n) => n.ingress);
    for (let done = 0; done < count; written++) {
      const key = `k${written}`;
      if (partitionForKey(key, table).id !== id) continue;
      expect((await putWithRetry(ingresses, key, `value of ${key}`)).ok).toBe(true);
      done++;
    }
  };
  const trimPoints = async () =>
    (await cluster.ctlJson<{ logs: Array<{ log_id: number; trim_point_lsn: number }> }>(['logs', 'describe', '0', '1', '2', '3', '--extra'])).logs.map((l) => l.trim_point_lsn);
  const repository = () => path.join(cluster.dir, 'snapshots');

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3, sets: ['worker.snapshots.num-retained=2', `admin.log-trim-delay=${TRIM_DELAY_MS}ms`] });
    table = await cluster.partitionTable();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('partitions list: restatectl 1.7 header, a leader and a follower per partition, sortable', async () => {
    await writeTo(0, 5);
    // A write is acknowledged once committed; each replica applies it a moment later.
    await waitUntil('both replicas of partition 0 to apply the writes (LSN lag 0)', async () => {
      const json = await cluster.ctlJson<{ processors: Array<{ partition_id: number; lsn_lag: number | null }> }>(['partitions', 'list']);
      const replicas = json.processors.filter((p) => p.partition_id === 0);
      return replicas.length === 2 && replicas.every((p) => p.lsn_lag === 0);
    });
    // Checkpoints (in their own thread, every 2 s) make what was applied durable.
    await waitUntil('a checkpoint to make what both replicas of partition 0 applied durable', async () => {
      const json = await cluster.ctlJson<{ processors: Array<{ partition_id: number; applied_lsn: number | null; durable_lsn: number | null }> }>(['partitions', 'list']);
      const replicas = json.processors.filter((p) => p.partition_id === 0);
      return replicas.length === 2 && replicas.every((p) => p.applied_lsn !== null && p.durable_lsn === p.applied_lsn);
    });
    const result = await cluster.ctl(['partitions', 'list']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^Alive partition processors \(nodes config v\d+, partition table v\d+\)$/);
    expect(lines[1]).toMatch(/^ ID +NODE +MODE +STATUS +EPOCH +APPLIED +DURABLE +ARCHIVED +LSN-LAG +STORAGE +SCHEMA +RULE-BOOK +FEATURES +UPDATED +$/);
    expect(lines[2]).toMatch(/^ 0 +N\d:1 +(Leader|Follower) +Active +e\d+ +\d+ +(\d+|-) +- +0 /);
    const json = await cluster.ctlJson<{ processors: Array<{ partition_id: number; node_id: number; mode: string; status: string }> }>(['partitions', 'list']);
    expect(json.processors).toHaveLength(8);
    for (const partition of table.partitions) {
      const modes = json.processors.filter((p) => p.partition_id === partition.id).map((p) => p.mode).sort();
      expect(modes).toEqual(['follower', 'leader']);
    }
    const byNode = await cluster.ctlJson<typeof json>(['partitions', 'list', '--sort', 'node']);
    const nodeOrder = byNode.processors.map((p) => p.node_id);
    expect(nodeOrder).toEqual([...nodeOrder].sort());
    const bad = await cluster.ctl(['partitions', 'list', '--sort', 'size']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'size' is invalid");
  });

  it('without an archived LSN nothing is trimmed: not by hand without --force, not by the controller', async () => {
    await writeTo(1, 10);
    const refused = await cluster.ctl(['logs', 'trim', '1', '--trim-point', '5', '--yes']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('partition 1 has no snapshot in a repository (no archived LSN)');
    expect(refused.stderr).toContain('cairnctl snapshots create-snapshot 1');
    // A negative check, so a fixed wait: the trim delay plus a few controller rounds, after which
    // the controller would have trimmed if it were going to.
    await new Promise((r) => setTimeout(r, TRIM_DELAY_MS + 2_500));
    expect(await trimPoints()).toEqual([0, 0, 0, 0]);
  });

  it('create-snapshot publishes atomically in the reference layout, and snapshots list shows it', async () => {
    const created = await cluster.ctl(['snapshots', 'create', '2']);
    expect(`${created.code} ${created.stderr}`).toBe('0 ');
    const match = /^Snapshot created for partition 2: (snap_\w+) \(log 2 @ LSN >= (\d+)\)\nStored in (\S+)\n$/.exec(created.stdout);
    expect(match).not.toBeNull();
    const [, snapshotId, lsn, location] = match!;

    const dir = path.join(repository(), '2');
    const entries = readdirSync(dir).sort();
    const snapshotDir = `lsn_${lsn!.padStart(20, '0')}-${snapshotId}`;
    expect(location).toBe(`${pathToFileURL(path.join(dir, snapshotDir)).href}/`);
    expect(entries).toEqual(['latest.json', snapshotDir]);
    const latest = JSON.parse(readFileSync(path.join(dir, 'latest.json'), 'utf8'));
    expect(latest).toMatchObject({ snapshot_id: snapshotId, partition_id: 2, min_applied_lsn: Number(lsn), path: snapshotDir });
    const metadata = JSON.parse(readFileSync(path.join(dir, snapshotDir, 'metadata.json'), 'utf8'));
    expect(metadata).toMatchObject({ version: 'V1', cluster_name: 'local', partition_id: 2, snapshot_id: snapshotId, log_id: 2, min_applied_lsn: Number(lsn) });
    expect(metadata.cluster_fingerprint).toMatch(/\S/);
    for (const file of metadata.files) expect(existsSync(path.join(dir, snapshotDir, file.name))).toBe(true);

    const listed = await cluster.ctl(['snapshots', 'list', '2']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ PARTITION +SNAPSHOT-ID +LSN +CREATED-AT +NODE +PATH +$/m);
    expect(listed.stdout).toContain(`${snapshotId}  ${lsn}`);
    const json = await cluster.ctlJson(['snapshots', 'list', '2']);
    expect(json.partitions[0]).toMatchObject({ partition_id: 2, archived_lsn: Number(lsn), snapshots: [{ snapshot_id: snapshotId, min_applied_lsn: Number(lsn) }] });
  });

  it('keeps num-retained snapshots; --trim-log trims only to the oldest retained (the archived LSN)', async () => {
    await writeTo(0, 10);
    const first = await cluster.ctlJson(['snapshots', 'create-snapshot', '0']);
    const lsn1 = first.snapshots[0].min_applied_lsn as number;
    await writeTo(0, 10);
    const second = await cluster.ctl(['snapshots', 'create-snapshot', '0', '--trim-log', '--yes']);
    expect(second.code, second.stderr).toBe(0);
    const lsn2 = Number(/@ LSN >= (\d+)\)/.exec(second.stdout)![1]);
    expect(lsn2).toBeGreaterThan(lsn1);
    expect(second.stdout).toContain(`Log 0 trimmed to LSN ${lsn1}\n`);

    // With two snapshots retained the archived LSN is the first one's, and stays so until a third
    // snapshot: the controller's trim (after its delay) can only go where --trim-log went, so the
    // trim point holds still while the refusals below are checked.
    expect((await trimPoints())[0]).toBe(lsn1);
    expect((await cluster.ctlJson(['snapshots', 'list', '0'])).partitions[0].archived_lsn).toBe(lsn1);
    // Past the archived LSN is refused and changes nothing; --dry-run --force says what it would do.
    const refused = await cluster.ctl(['logs', 'trim', '0', '--trim-point', String(lsn2), '--yes']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain(`is past the archived LSN ${lsn1} of partition 0`);
    expect((await trimPoints())[0]).toBe(lsn1);
    const dryRun = await cluster.ctlJson(['logs', 'trim', '0', '--trim-point', String(lsn2), '--force', '--dry-run']);
    expect(dryRun.logs[0]).toMatchObject({ log_id: 0, trim_point: lsn2, archived_lsn: lsn1, dry_run: true });
    expect((await trimPoints())[0]).toBe(lsn1);

    // A third snapshot prunes the oldest; the archived LSN moves to the second.
    await writeTo(0, 10);
    const third = await cluster.ctlJson(['snapshots', 'create-snapshot', '0']);
    const lsn3 = third.snapshots[0].min_applied_lsn as number;
    const kept = readdirSync(path.join(repository(), '0')).filter((name) => name.startsWith('lsn_')).sort();
    expect(kept.map((name) => Number(name.slice(4, 24)))).toEqual([lsn2, lsn3]);
    const listing = await cluster.ctlJson(['snapshots', 'list', '0']);
    expect(listing.partitions[0].archived_lsn).toBe(lsn2);

    // The cluster controller trims on its own to the new archived LSN once it has held for the
    // delay, never past it, and leaves alone the logs whose partitions have no snapshot.
    await waitUntil(`the controller to trim log 0 to the archived LSN ${lsn2}`, async () => {
      const point = (await trimPoints())[0]!;
      expect(point).toBeLessThanOrEqual(lsn2);
      return point === lsn2;
    }, 15_000);
    const points = await trimPoints();
    expect(points[1]).toBe(0);
    expect(points[3]).toBe(0);
  });

  it('refuses an unknown partition with exit 4 and the valid range', async () => {
    const missing = await cluster.ctl(['snapshots', 'create-snapshot', '9']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('no such partition: 9');
    expect(missing.stderr).toContain('partitions are 0 to 3');
    const listMissing = await cluster.ctl(['snapshots', 'list', '7']);
    expect(listMissing.code).toBe(4);
  });
});
