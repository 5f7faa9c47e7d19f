// The troubleshooting guide's runbook "Handling missing snapshots", for real and with its commands
// (binary name cairnctl): data written, snapshots published, logs trimmed, then a new worker with an
// empty disk meets the trim gap (a) without a repository, (b) with an empty repository, (c) with an
// older snapshot only, each time saying so and how to recover; then, by path 2b (the repository
// copied by hand to the node's configured location), it restores the snapshot and catches up, and
// every key written before and after reads back with its value.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessorStatus } from '../../src/api/schemas';
import { allocatePorts } from '../../src/server/local/cluster';
import { TRIM_GAP_NO_REPOSITORY, TRIM_GAP_NO_SNAPSHOT, TRIM_GAP_SNAPSHOT_TOO_OLD } from '../../src/server/worker/processor';
import { partitionForKey } from '../../src/server/worker/partitioning';
import { alive, exitCode, startServer, TestCluster, waitUntil, type NodeProcess } from '../helpers/cluster';
import { get, putWithRetry } from '../helpers/kv';

interface PartitionsJson {
  processors: Array<ProcessorStatus & { node_id: number; generational_id: string }>;
}

describe('runbook: handling missing snapshots', () => {
  let cluster: TestCluster;
  const scratch = mkdtempSync(path.join(tmpdir(), 'cairn-runbook-b-'));
  const started: NodeProcess[] = [];
  const written = new Map<string, string>();

  const write = async (prefix: string, count: number) => {
    const ingresses = cluster.info.nodes.map((n) => n.ingress);
    for (let i = 0; i < count; i++) {
      const key = `${prefix}-${i}`;
      const value = `${key}:${'v'.repeat(i % 40)}`;
      expect((await putWithRetry(ingresses, key, value, 30_000, i)).ok).toBe(true);
      written.set(key, value);
    }
  };
  const processorsOf = async (nodeId: number) => (await cluster.ctlJson<PartitionsJson>(['partitions', 'list'])).processors.filter((p) => p.node_id === nodeId);

  /** n4: a worker (and ingress) with an empty disk, with or without a snapshot repository. */
  let n4Ports: { bind: number; ingress: number } | undefined;
  const n4Data = path.join(scratch, 'n4-data');
  const startN4 = async (repository?: string) => {
    if (!n4Ports) {
      const [bind, ingress] = await allocatePorts(2);
      n4Ports = { bind: bind!, ingress: ingress! };
    }
    const settings = [
      'cluster-name=local',
      ...cluster.metadataClientSettings(),
      'node-name=n4',
      'roles=worker,http-ingress',
      `base-dir=${n4Data}`,
      `bind-address=127.0.0.1:${n4Ports.bind}`,
      `advertised-address=http://127.0.0.1:${n4Ports.bind}`,
      `ingress.bind-address=127.0.0.1:${n4Ports.ingress}`,
      ...(repository ? [`worker.snapshots.destination=${pathToFileURL(repository).href}`] : []),
    ];
    const node = startServer(settings.flatMap((s) => ['--set', s]));
    started.push(node);
    return node;
  };
  const stopN4 = async (node: NodeProcess) => {
    process.kill(node.pid, 'SIGTERM');
    await exitCode(node, 'n4 to stop after SIGTERM');
  };
  /** Waits until every n4 processor is stopped for `reason`, and checks that n4 said so. */
  const expectStopped = async (node: NodeProcess, reason: string) => {
    await waitUntil(`n4's processors to stop with: ${reason}`, async () => {
      const processors = await processorsOf(4);
      return processors.length === 4 && processors.every((p) => p.status === 'stopped' && p.stopped_reason === reason);
    }, 30_000);
    expect(node.output()).toContain(reason);
    expect(node.output()).toMatch(/To recover: /);
    // The node stays up for its other roles.
    const status = await cluster.ctlJson<{ nodes: Array<{ node_id: number; alive: boolean }> }>(['status']);
    expect(status.nodes.find((n) => n.node_id === 4)?.alive).toBe(true);
    const table = await cluster.ctl(['partitions', 'list']);
    expect(table.stdout).toMatch(/\n 0 +N4:\d+ +Follower +Stopped \(trim gap\)/);
    expect(table.stderr).toContain(`N4:`);
  };

  beforeAll(async () => {
    // Every worker runs every partition, so that a new worker runs them too.
    cluster = await TestCluster.start({ nodes: 3, sets: ['default-partition-replication=everywhere', 'admin.log-trim-delay=1h'] });
  });
  afterAll(async () => {
    for (const node of started) if (alive(node.pid)) process.kill(node.pid, 'SIGKILL');
    await cluster?.destroy();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('recovers a new worker from a snapshot after it met the trim gap three ways', async () => {
    const repository = path.join(cluster.dir, 'snapshots');
    const table = await cluster.partitionTable();

    await write('before', 80);
    const first = await cluster.ctl(['snapshots', 'create-snapshot']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Snapshot created for partition 0: snap_\w+ \(log 0 @ LSN >= \d+\)$/m);
    const oldRepository = path.join(scratch, 'old-repository');
    cpSync(repository, oldRepository, { recursive: true });

    await write('middle', 80);
    const trimmed = await cluster.ctl(['snapshots', 'create-snapshot', '--trim-log', '--yes']);
    expect(`${first.code} ${first.stderr}`).toBe('0 ');
    for (const partition of table.partitions) {
      expect(trimmed.stdout).toMatch(new RegExp(`Snapshot created for partition ${partition.id}: snap_\\w+ \\(log ${partition.log_id} @ LSN >= (\\d+)\\)\\nLog ${partition.log_id} trimmed to LSN \\d+`));
    }
    const describe = await cluster.ctl(['logs', 'describe', '0', '--extra']);
    const trimPoint = Number(/Trim Point LSN: (\d+)/.exec(describe.stdout)![1]);
    expect(trimPoint).toBeGreaterThan(0);

    // Trimming past the archived LSN without --force is refused and changes nothing.
    const tail = (await cluster.ctlJson(['logs', 'find-tail', '0'])).logs[0].tail_lsn as number;
    await write('after-trim', 30);
    const refused = await cluster.ctl(['logs', 'trim', '0', '--trim-point', String(tail + 10), '--yes']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('is past the archived LSN');
    expect((await cluster.ctl(['logs', 'describe', '0', '--extra'])).stdout).toContain(`Trim Point LSN: ${trimPoint}`);

    // (a) No snapshot repository configured.
    let n4 = await startN4();
    await expectStopped(n4, TRIM_GAP_NO_REPOSITORY);
    const doctor = await cluster.ctl(['doctor', '-o', 'json']);
    expect(doctor.code).toBe(1);
    const gaps = (JSON.parse(doctor.stdout) as { findings: Array<{ code: string; evidence: { node_id?: number }; commands: string[] }> }).findings.filter((f) => f.code === 'partition-trim-gap');
    expect(gaps.map((f) => f.evidence.node_id)).toEqual([4, 4, 4, 4]);
    expect(gaps[0]!.commands).toContain('cairnctl snapshots create-snapshot 0');
    await stopN4(n4);

    // (b) A repository with no snapshot of the partitions.
    const n4Repository = path.join(scratch, 'n4-repository');
    mkdirSync(n4Repository);
    n4 = await startN4(n4Repository);
    await expectStopped(n4, TRIM_GAP_NO_SNAPSHOT);
    await stopN4(n4);

    // (c) Only an older snapshot, from before the trim point.
    n4 = await startN4(oldRepository);
    await expectStopped(n4, TRIM_GAP_SNAPSHOT_TOO_OLD);
    await stopN4(n4);

    // Recovery, step 2b: copy the repository with the published snapshot to n4's configured location.
    cpSync(repository, n4Repository, { recursive: true });
    n4 = await startN4(n4Repository);
    await waitUntil('n4 to restore the snapshot and catch up', async () => {
      const processors = (await cluster.ctlJson<PartitionsJson>(['partitions', 'list'])).processors;
      const leaders = processors.filter((p) => p.mode === 'leader');
      const mine = processors.filter((p) => p.node_id === 4);
      return mine.length === 4 && mine.every((p) => p.status === 'active' && p.applied_lsn === leaders.find((l) => l.partition_id === p.partition_id)?.applied_lsn);
    }, 30_000);
    expect(n4.output()).toContain('restored the partition store from a snapshot');
    await write('after-recovery', 30);
    const cured = await cluster.ctl(['doctor', '-o', 'json']);
    expect(cured.code, cured.stdout).toBe(0);
    expect((JSON.parse(cured.stdout) as { findings: Array<{ code: string }> }).findings.map((f) => f.code)).not.toContain('partition-trim-gap');

    // Every key reads back with its value: through n4's ingress, and from n4's own replica.
    const n4Address = `http://127.0.0.1:${n4Ports!.bind}`;
    for (const [key, value] of written) {
      const result = await get(`http://127.0.0.1:${n4Ports!.ingress}`, key);
      expect(`${key} ${result.status} ${result.body.toString()}`).toBe(`${key} 200 ${value}`);
      const partition = partitionForKey(key, table).id;
      const local = await fetch(`${n4Address}/v1/worker/partitions/${partition}/kv/${encodeURIComponent(key)}`);
      expect(`${key} ${local.status} ${await local.text()}`).toBe(`${key} 200 ${value}`);
    }
  }, 240_000);
});
