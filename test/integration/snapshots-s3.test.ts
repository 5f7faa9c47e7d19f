// Snapshots in an S3-compatible store, on a real 3-node cluster and a real endpoint (s3rver): the
// objects in the reference layout under the prefix, the views by URL, retention, trimming bounded
// by the archived LSN read from S3, outages at snapshot time (before and in the middle of a
// publication: nothing partial is published, the previous snapshot stays, the next one works), and
// bad settings refused at start-up naming the key.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionSnapshots, PartitionTable, ProcessorStatus } from '../../src/api/schemas';
import { cairnServer } from '../helpers/cli';
import { TestCluster, waitUntil } from '../helpers/cluster';
import { keysInPartition, putWithRetry } from '../helpers/kv';
import { TestS3 } from '../helpers/s3';

const PREFIX = 'c1';
const CREATED = /^Snapshot created for partition (\d+): (snap_\w+) \(log \d+ @ LSN >= (\d+)\)\nStored in (\S+)\n$/;

describe('snapshots in an S3-compatible object store', () => {
  let s3: TestS3;
  let cluster: TestCluster;
  let table: PartitionTable;
  let batch = 0;

  const write = async (partitionId: number, count: number, value = (key: string) => `value of ${key}`) => {
    const ingresses = cluster.info.nodes.map((n) => n.ingress);
    for (const key of keysInPartition(table, partitionId, count, `b${batch++}`)) expect((await putWithRetry(ingresses, key, value(key))).ok).toBe(true);
  };
  /** create-snapshot of one partition: the snapshot id, its LSN and where it is stored. */
  const snapshot = async (partitionId: number) => {
    const result = await cluster.ctl(['snapshots', 'create-snapshot', String(partitionId)]);
    expect(`${result.code} ${result.stderr}`).toBe('0 ');
    const [, , id, lsn, location] = CREATED.exec(result.stdout) ?? [];
    expect(location, result.stdout).toBeDefined();
    return { id: id!, lsn: Number(lsn), folder: `lsn_${lsn!.padStart(20, '0')}-${id}`, location: location! };
  };
  const processors = async () => (await cluster.ctlJson<{ processors: Array<ProcessorStatus & { node_id: number }> }>(['partitions', 'list'])).processors;

  beforeAll(async () => {
    s3 = await TestS3.start();
    cluster = await TestCluster.start({ nodes: 3, sets: [...s3.settings(PREFIX), 'worker.snapshots.num-retained=2', 'admin.log-trim-delay=1h'] });
    table = await cluster.partitionTable();
  });
  afterAll(async () => {
    await cluster?.destroy();
    await s3?.destroy();
  });

  it('publishes into the bucket in the reference layout, lists by URL, keeps num-retained, and bounds trimming', async () => {
    await write(0, 12);
    const first = await snapshot(0);
    expect(first.location).toBe(`s3://cairn-snaps/${PREFIX}/0/${first.folder}/`);
    expect(await s3.keys(`${PREFIX}/0/`)).toEqual([`${PREFIX}/0/${first.folder}/metadata.json`, `${PREFIX}/0/${first.folder}/partition.sqlite`, `${PREFIX}/0/latest.json`].sort());

    const latest = JSON.parse((await s3.get(`${PREFIX}/0/latest.json`)).toString());
    expect(latest).toMatchObject({ version: 'V2', partition_id: 0, log_id: 0, snapshot_id: first.id, min_applied_lsn: first.lsn, path: first.folder });
    expect(latest.retained_snapshots).toEqual([expect.objectContaining({ snapshot_id: first.id, min_applied_lsn: first.lsn, path: first.folder })]);
    const metadata = JSON.parse((await s3.get(`${PREFIX}/0/${first.folder}/metadata.json`)).toString());
    const data = await s3.get(`${PREFIX}/0/${first.folder}/partition.sqlite`);
    expect(metadata).toMatchObject({ version: 'V1', cluster_name: 'local', partition_id: 0, snapshot_id: first.id, min_applied_lsn: first.lsn });
    expect(metadata.files).toEqual([{ name: 'partition.sqlite', size: data.length, sha256: createHash('sha256').update(data).digest('hex') }]);
    // The data object is the partition's state at that LSN.
    const scratch = mkdtempSync(path.join(tmpdir(), 'cairn-s3-data-'));
    try {
      writeFileSync(path.join(scratch, 'p.sqlite'), data);
      const db = new Database(path.join(scratch, 'p.sqlite'), { readonly: true });
      expect(db.prepare('SELECT partition_id, applied_lsn FROM meta').get()).toEqual({ partition_id: 0, applied_lsn: first.lsn });
      expect((db.prepare('SELECT count(*) AS n FROM kv').get() as { n: number }).n).toBe(12);
      db.close();
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }

    const listing = (await cluster.ctlJson<{ partitions: PartitionSnapshots[] }>(['snapshots', 'list', '0'])).partitions[0]!;
    expect(listing).toMatchObject({ partition_id: 0, repository: `s3://cairn-snaps/${PREFIX}`, archived_lsn: first.lsn });
    const shown = await cluster.ctl(['snapshots', 'list', '0']);
    expect(shown.stdout).toContain(`${first.id}  ${first.lsn}`);
    expect(shown.stdout).toContain(first.location);
    expect(shown.stdout).not.toContain(cluster.dir);

    // Two more: two are retained, the first one's objects are deleted, the archived LSN moves on.
    await write(0, 5);
    const second = await snapshot(0);
    await write(0, 5);
    const third = await snapshot(0);
    expect(await s3.keys(`${PREFIX}/0/`)).toEqual(
      [second, third].flatMap((s) => [`${PREFIX}/0/${s.folder}/metadata.json`, `${PREFIX}/0/${s.folder}/partition.sqlite`]).concat(`${PREFIX}/0/latest.json`).sort(),
    );
    const json = await cluster.ctlJson(['snapshots', 'list', '0']);
    expect(json.partitions[0].archived_lsn).toBe(second.lsn);
    expect(json.partitions[0].snapshots.map((s: { snapshot_id: string }) => s.snapshot_id)).toEqual([third.id, second.id]);
    // Every replica reports it: the leader from its publication, the follower from its refresh.
    await waitUntil('both replicas of partition 0 to report the archived LSN', async () => {
      const reports = (await processors()).filter((p) => p.partition_id === 0);
      return reports.length === 2 && reports.every((p) => p.archived_lsn === second.lsn);
    });

    const refused = await cluster.ctl(['logs', 'trim', '0', '--trim-point', String(third.lsn), '--yes']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain(`is past the archived LSN ${second.lsn} of partition 0`);
    const trimmed = await cluster.ctlJson(['logs', 'trim', '0', '--trim-point', String(second.lsn), '--yes']);
    expect(trimmed.logs[0]).toMatchObject({ log_id: 0, trim_point: second.lsn, archived_lsn: second.lsn });
  });

  it('S3 down when a snapshot is taken: create-snapshot names the endpoint, nothing is published, the next one works', async () => {
    await write(1, 6);
    const previous = await snapshot(1);
    const latestBefore = await s3.get(`${PREFIX}/1/latest.json`);
    const keysBefore = await s3.keys(`${PREFIX}/`);
    await write(1, 6);

    await s3.stop();
    const failed = await cluster.ctl(['snapshots', 'create-snapshot', '1']);
    expect(failed.code).toBe(3);
    expect(failed.stderr + failed.stdout).toContain(`cannot reach the S3 endpoint ${s3.endpoint} (worker.snapshots.aws-endpoint-url)`);
    const failedJson = await cluster.ctl(['snapshots', 'create-snapshot', '1', '-o', 'json']);
    expect(failedJson.code).toBe(3);
    expect(JSON.parse(failedJson.stdout).snapshots[0]).toMatchObject({ partition_id: 1, snapshot_id: null, error: expect.stringContaining(s3.endpoint) });
    const listing = await cluster.ctl(['snapshots', 'list', '1']);
    expect(listing.code).toBe(3);
    expect(listing.stderr).toContain(`cannot reach the S3 endpoint ${s3.endpoint}`);
    // Status probes do not touch S3: the archived LSN is still reported, at once.
    const started = Date.now();
    const leader = (await processors()).find((p) => p.partition_id === 1 && p.mode === 'leader');
    expect(leader?.archived_lsn).toBe(previous.lsn);
    expect(Date.now() - started).toBeLessThan(5_000);
    // Trimming past the archived LSN is still refused.
    expect((await cluster.ctl(['logs', 'trim', '1', '--trim-point', String(previous.lsn + 3), '--yes'])).code).toBe(5);

    await s3.resume();
    expect(await s3.get(`${PREFIX}/1/latest.json`)).toEqual(latestBefore);
    expect(await s3.keys(`${PREFIX}/`)).toEqual(keysBefore);
    const next = await snapshot(1);
    expect(next.lsn).toBeGreaterThan(previous.lsn);
    expect(JSON.parse((await s3.get(`${PREFIX}/1/latest.json`)).toString()).snapshot_id).toBe(next.id);
  });

  it('S3 lost in the middle of a publication (a multipart upload, then latest.json): nothing partial is published', async () => {
    // A partition of about 24 MiB goes up in several parts.
    await write(2, 24, () => 'x'.repeat(1024 * 1024));
    const previous = await snapshot(2);
    const latestBefore = await s3.get(`${PREFIX}/2/latest.json`);
    await write(2, 2);

    s3.failOn((request) => request.method === 'PUT' && /[?&]partNumber=2\b/.test(request.url ?? ''));
    const cut = await cluster.ctl(['snapshots', 'create-snapshot', '2']);
    expect(cut.code).toBe(3);
    expect(cut.stdout + cut.stderr).toContain(s3.endpoint);
    await s3.resume();
    expect(await s3.get(`${PREFIX}/2/latest.json`)).toEqual(latestBefore);
    expect((await s3.keys(`${PREFIX}/2/`)).filter((key) => !key.includes(previous.folder))).toEqual([`${PREFIX}/2/latest.json`]);

    // Lost while writing latest.json: the data and metadata are stored but not published; the
    // previous snapshot stays the one restores use, and the next publication deletes the leftovers.
    s3.failOn((request) => request.method === 'PUT' && new URL(request.url ?? '/', s3.endpoint).pathname === `/cairn-snaps/${PREFIX}/2/latest.json`);
    const unpublished = await cluster.ctl(['snapshots', 'create-snapshot', '2']);
    expect(unpublished.code).toBe(3);
    await s3.resume();
    expect(await s3.get(`${PREFIX}/2/latest.json`)).toEqual(latestBefore);
    const leftovers = (await s3.keys(`${PREFIX}/2/lsn_`)).filter((key) => !key.includes(previous.folder));
    expect(leftovers.map((key) => key.split('/').pop()).sort()).toEqual(['metadata.json', 'partition.sqlite']);

    const next = await snapshot(2);
    expect(await s3.keys(`${PREFIX}/2/`)).toEqual(
      [previous, next].flatMap((s) => [`${PREFIX}/2/${s.folder}/metadata.json`, `${PREFIX}/2/${s.folder}/partition.sqlite`]).concat(`${PREFIX}/2/latest.json`).sort(),
    );
  });

  it('refuses bad S3 settings at start-up, naming the key and what to do', async () => {
    const start = (sets: string[]) => cairnServer([...sets.flatMap((s) => ['--set', s]), '--dump-config']);
    const plainHttp = await start(['worker.snapshots.destination=s3://cairn-snaps/c1', 'worker.snapshots.aws-endpoint-url=http://127.0.0.1:9000']);
    expect(plainHttp.code).toBe(1);
    expect(plainHttp.stderr).toContain('worker.snapshots.aws-endpoint-url = "http://127.0.0.1:9000" is plain HTTP: set worker.snapshots.aws-allow-http = true');
    expect(plainHttp.stderr).toContain('worker.snapshots.aws-region is required for the s3:// destination s3://cairn-snaps/c1');
    const scheme = await start(['worker.snapshots.destination=gs://cairn-snaps/c1']);
    expect(scheme.code).toBe(1);
    expect(scheme.stderr).toContain('worker.snapshots.destination = "gs://cairn-snaps/c1" (from --set): expected file:///absolute/path or s3://bucket/prefix');
    const halfCredentials = await start(['worker.snapshots.destination=s3://cairn-snaps', 'worker.snapshots.aws-region=eu-west-1', 'worker.snapshots.aws-access-key-id=AKIA0']);
    expect(halfCredentials.stderr).toContain('worker.snapshots.aws-access-key-id is set without worker.snapshots.aws-secret-access-key');
    const good = await start(s3.settings('c9'));
    expect(`${good.code} ${good.stderr}`).toBe('0 ');
    expect(JSON.parse(good.stdout).snapshotDestination).toMatchObject({ kind: 's3', url: 's3://cairn-snaps/c9', bucket: 'cairn-snaps', prefix: 'c9' });
  });
});
