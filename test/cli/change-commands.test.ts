// The change commands in process against a real 3-node cluster: per-item failures on stderr with
// the most severe exit code and JSON entries with the same keys; dry runs that say so and real runs
// that never do; no question for a change that changes nothing; --yes needed without a terminal;
// a --min-lsn wait bounded by --request-timeout; provisioning that shows its plan once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateSnapshotDocument, NodeChangeDocument, ProvisionDocument, ReconfigureDocument, SealDocument, TrimDocument } from '../../src/cli/output/documents';
import { allocatePorts } from '../../src/server/local/cluster';
import { startServer, TestCluster, waitUntil } from '../helpers/cluster';
import { runCli } from '../helpers/in-process';

describe('change commands, in process, against a 3-node cluster', () => {
  let cluster: TestCluster;
  const ctl = (...args: string[]) => runCli(['-s', cluster.address, ...args]);
  const json = async (...args: string[]) => {
    const result = await ctl(...args, '-o', 'json');
    return { ...result, json: JSON.parse(result.stdout) as unknown };
  };
  const segments = async (log: number) => ((await json('logs', 'list')).json as { logs: Array<{ segments: number }> }).logs[log]!.segments;

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('seal: a missing log is an error line of its own, the others are sealed, exit 4', async () => {
    const alone = await ctl('logs', 'seal', '9', '--yes');
    expect(alone.code).toBe(4);
    expect(alone.stdout).toBe('');
    expect(alone.stderr).toBe('error: log 9: no such log: 9\nhint: see `cairnctl logs list`\n');

    const mixed = await json('logs', 'seal', '2', '9', '-y');
    expect(mixed.code).toBe(4);
    expect(mixed.stderr).toContain('error: log 9: no such log: 9');
    const document = SealDocument.parse(mixed.json);
    expect(document.results).toEqual([
      { log_id: 2, ok: true, tail_lsn: expect.any(Number), error: null },
      { log_id: 9, ok: false, tail_lsn: null, error: 'no such log: 9' },
    ]);
  });

  it('seal without a terminal and without --yes is a usage error that changes nothing', async () => {
    const before = await segments(1);
    const refused = await ctl('logs', 'seal', '1');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('error: Seal the tail segment of log 1? needs confirmation, and there is no terminal to ask on\nhint: pass --yes (-y) to confirm without a prompt\n');
    expect(await segments(1)).toBe(before);
  });

  it('reconfigure of a missing log: an error line on stderr, nothing changed, exit 4', async () => {
    const result = await json('logs', 'reconfigure', '-l', '9', '--sequencer', 'N1', '--yes');
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^error: log 9: /m);
    const document = ReconfigureDocument.parse(result.json);
    expect(document.results[0]).toMatchObject({ log_id: 9, ok: false, new_segment: null, error: expect.any(String) });
  });

  it('trim --dry-run says it is a dry run; a real trim never does, and the plan is not printed twice', async () => {
    const dry = await ctl('logs', 'trim', '0', '-t', '70', '--force', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^Log 0 would be trimmed to LSN \d+ .*\n\(dry run: nothing was changed\)\n$/);
    const real = await ctl('logs', 'trim', '0', '-t', '70', '--force', '--yes');
    expect(real.code).toBe(0);
    expect(`${real.stdout}${real.stderr}`).not.toMatch(/dry run/);
    expect(real.stdout).toMatch(/^Log 0 trimmed to LSN \d+ /);
    expect(real.stderr).toContain('Auto-confirming: --yes is set.');
    const document = TrimDocument.parse((await json('logs', 'trim', '0', '-t', '70', '--force', '--yes')).json);
    expect(document.logs[0]).toMatchObject({ log_id: 0, requested_trim_point: 70, dry_run: false, error: null });
  });

  it('trim of a log that would be refused trims none of the others', async () => {
    const result = await json('logs', 'trim', '1', '7', '-t', '5', '--yes');
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('warning: nothing was trimmed');
    expect(result.stderr).toMatch(/^error: log 7: /m);
    const document = TrimDocument.parse(result.json);
    // Log 1 could have been trimmed; it was only planned, since log 7 failed.
    expect(document.logs.map((l) => [l.log_id, l.dry_run, l.error === null])).toEqual([
      [1, true, true],
      [7, true, false],
    ]);
  });

  it('asks nothing for a change that changes nothing (read-write to read-write), even without a terminal', async () => {
    const result = await ctl('nodes', 'set-storage-state', '--nodes', 'N2', '--storage-state', 'read-write');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Node N2 storage-state is already read-write\n');
    expect(result.stderr).toBe('');
    const worker = await json('nodes', 'set-worker-state', '--node', '2', '--worker-state', 'active');
    expect(worker.code).toBe(0);
    expect(NodeChangeDocument.parse(worker.json).changes).toEqual([{ node_id: 2, generational_id: 'N2:1', from: 'active', to: 'active' }]);
  });

  it('provision: the plan is shown once (before the question), then only the outcome; a second time it is refused', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cairn-provision-'));
    const [port, ingressPort] = await allocatePorts(2);
    const node = startServer(['--set', `base-dir=${dir}`, '--set', `bind-address=127.0.0.1:${port}`, '--set', 'node-name=solo', '--set', `ingress.bind-address=127.0.0.1:${ingressPort}`]);
    const solo = (...args: string[]) => runCli(['-s', `127.0.0.1:${port}`, ...args]);
    try {
      await waitUntil('the node to answer', async () => (await solo('logs', 'list')).code === 4);
      const dry = await solo('provision', '-n', '2', '-r', '1', '--dry-run', '-o', 'json');
      expect(ProvisionDocument.parse(JSON.parse(dry.stdout))).toMatchObject({ dry_run: true, num_partitions: 2 });
      const done = await solo('provision', '-n', '2', '-r', '1', '--yes');
      expect(done.code, done.stderr).toBe(0);
      expect(`${done.stdout}${done.stderr}`.match(/Cluster Configuration/g)).toHaveLength(1);
      expect(done.stdout).toBe('[OK]: Cluster has been successfully provisioned.\n');
      const again = await solo('provision', '-n', '2', '-r', '1', '--yes');
      expect(again.code).toBe(5);
      expect(again.stdout).toBe('');
    } finally {
      process.kill(node.pid, 'SIGKILL');
      await node.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('create-snapshot --trim-log asks first; without a terminal it needs --yes', async () => {
    const refused = await ctl('snapshots', 'create-snapshot', '0', '--trim-log');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('needs confirmation');
  });

  it('create-snapshot --min-lsn past the log gives up after --request-timeout, saying what was applied', async () => {
    const started = Date.now();
    const result = await json('snapshots', 'create-snapshot', '1', '--min-lsn', '100000', '--request-timeout', '1500');
    const elapsed = Date.now() - started;
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^error: partition 1: partition 1 on n\d has applied LSN \d+, not yet 100000, after waiting \d+ ms$/m);
    expect(result.stderr).toContain('hint: wait longer with a larger --request-timeout');
    expect(elapsed).toBeLessThan(1500 + 5_000);
    const entry = CreateSnapshotDocument.parse(result.json).snapshots[0]!;
    expect(entry).toMatchObject({ partition_id: 1, snapshot_id: null, error: expect.stringContaining('not yet 100000') });
  });

  it('create-snapshot of a good and a missing partition: the good one is snapshotted, an error line for the other, exit 4', async () => {
    const result = await ctl('snapshots', 'create-snapshot', '0', '9');
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/^Snapshot created for partition 0: snap_\w+ \(log 0 @ LSN >= \d+\)\nStored in file:\/\/\/\S+\/\n$/);
    expect(result.stderr).toBe('error: partition 9: no such partition: 9\nhint: partitions are 0 to 3\n');
    const document = CreateSnapshotDocument.parse((await json('snapshots', 'create-snapshot', '0', '9')).json);
    expect(Object.keys(document.snapshots[1]!)).toEqual(Object.keys(document.snapshots[0]!));
    expect(document.snapshots.map((s) => [s.partition_id, s.snapshot_id !== null, s.error])).toEqual([
      [0, true, null],
      [9, false, 'no such partition: 9'],
    ]);
  });
});
