// Copies of a loglet made after a trim land at their own offsets. A log-server that was down while
// the log was trimmed lags behind the trim point; the sequencer's catch-up relay and the sealer's
// repair read from a log-server that has trimmed, which answers from after its trim point. Once,
// those records were stored at the offset that had been asked for, shifting them: acknowledged
// writes were lost when the lagging node later served the partition.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLogletId } from '../../src/api/ids';
import type { PartitionTable } from '../../src/api/schemas';
import { decodeFrame } from '../../src/server/bifrost/wire';
import { partitionForKey } from '../../src/server/worker/partitioning';
import { alive, startServer, TestCluster, waitUntil, type NodeProcess } from '../helpers/cluster';
import { get, putWithRetry } from '../helpers/kv';

interface LogRow {
  log_id: number;
  loglet_id: string;
  sequencer_node_id: number;
  nodeset: number[];
}

interface LogletCopy {
  trimPoint: number;
  localTail: number;
  records: Map<number, string>;
}

/** One log-server's copy of a loglet: every record it holds, by offset. */
async function readCopy(address: string, loglet: number): Promise<LogletCopy> {
  const records = new Map<number, string>();
  let from = 1;
  for (;;) {
    const response = await fetch(`${address}/v1/log-server/loglets/${loglet}/records?from=${from}&max_records=1000`);
    if (!response.ok) throw new Error(`reading loglet ${loglet} at ${address}: HTTP ${response.status}`);
    const { header, records: batch } = decodeFrame<{ state: { trim_point: number; local_tail: number }; from: number }>(
      Buffer.from(await response.arrayBuffer()),
    );
    batch.forEach((record, i) => records.set(header.from + i, record.toString('latin1')));
    from = header.from + batch.length;
    if (batch.length === 0 || from >= header.state.local_tail) return { trimPoint: header.state.trim_point, localTail: header.state.local_tail, records };
  }
}

/** Asserts that `lagging` holds, above both trim points and below `tail`, exactly what `reference` holds. */
function expectSameRecords(lagging: LogletCopy, reference: LogletCopy, tail: number): void {
  const from = Math.max(lagging.trimPoint, reference.trimPoint) + 1;
  expect(from).toBeLessThan(tail);
  for (let offset = from; offset < tail; offset++) {
    const mine = lagging.records.get(offset);
    const theirs = reference.records.get(offset);
    expect(theirs, `the reference copy lacks offset ${offset}`).toBeDefined();
    if (mine !== theirs) throw new Error(`offset ${offset} differs: lagging copy ${mine === undefined ? 'missing' : 'holds other bytes'} (trim points ${lagging.trimPoint}/${reference.trimPoint})`);
  }
}

describe('copies made after a trim', () => {
  let cluster: TestCluster;
  let table: PartitionTable;
  let written = 0;
  const extra: NodeProcess[] = [];

  /** Writes `count` keys of partition `id` with values of `size` bytes; returns them. */
  const writeTo = async (ingresses: string[], id: number, count: number, size: number) => {
    const acked = new Map<string, string>();
    while (acked.size < count) {
      const key = `t${written++}`;
      if (partitionForKey(key, table).id !== id) continue;
      const value = `${key}:${'v'.repeat(size)}`;
      const outcome = await putWithRetry(ingresses, key, value);
      expect(outcome.ok, `PUT ${key}: ${outcome.status} ${outcome.body}`).toBe(true);
      acked.set(key, value);
    }
    return acked;
  };
  /** Snapshots are taken by a partition's leader: wait until an alive node other than `dead` leads. */
  const ledElsewhere = (partitionId: number, dead: number) =>
    waitUntil(`partition ${partitionId} to be led by an alive node other than N${dead}`, async () => {
      const listed = await cluster.ctlJson<{ processors: Array<{ partition_id: number; node_id: number; mode: string; status: string }> }>(['partitions', 'list']);
      return listed.processors.some((p) => p.partition_id === partitionId && p.mode === 'leader' && p.node_id !== dead && p.status === 'active');
    });
  const logsList = async () => (await cluster.ctlJson<{ logs: LogRow[] }>(['logs', 'list'])).logs;
  const address = (id: number) => cluster.node(`n${id}`).address;
  const ingress = (id: number) => cluster.node(`n${id}`).ingress;

  beforeAll(async () => {
    // A small sequencer buffer, so that a few hundred KiB push records a stopped peer needs out of
    // memory and its catch-up has to be relayed from a log-server; copies cut in batches of 7
    // records, so that a shifted batch straddles the trim point rather than ending on it.
    cluster = await TestCluster.start({
      nodes: 3,
      sets: ['bifrost.replication.sequencer-buffer-bytes=256KiB', 'bifrost.replication.batch-records=7'],
    });
    table = await cluster.partitionTable();
  });
  afterAll(async () => {
    for (const node of extra) if (alive(node.pid)) process.kill(node.pid, 'SIGKILL');
    await cluster?.destroy();
  });

  it('catch-up relay: a log-server down during a trim gets every record at its own offset', async () => {
    // N1 holds the metadata store; the victim is another nodeset member that does not sequence the log.
    const partition = table.partitions[0]!;
    const log = (await logsList()).find((l) => l.log_id === partition.log_id)!;
    const sequencer = log.sequencer_node_id;
    const victim = log.nodeset.find((id) => id !== 1 && id !== sequencer)!;
    expect(victim).toBeDefined();
    const writers = [1, 2, 3].filter((id) => id !== victim).map(ingress);

    await writeTo(writers, partition.id, 7, 10);
    cluster.kill(`n${victim}`);
    await waitUntil(`n${victim} to die`, async () => !alive(cluster.node(`n${victim}`).pid));
    const before = await writeTo(writers, partition.id, 40, 20_000);
    await ledElsewhere(partition.id, victim);
    const snapshot = await cluster.ctl(['snapshots', 'create-snapshot', String(partition.id), '--trim-log', '--yes']);
    expect(snapshot.code, `${snapshot.stderr}${snapshot.stdout}`).toBe(0);
    const after = await writeTo(writers, partition.id, 40, 20_000);
    await cluster.up();

    const loglet = parseLogletId((await logsList()).find((l) => l.log_id === partition.log_id)!.loglet_id);
    const reference = await readCopy(address(sequencer), loglet);
    expect(reference.trimPoint).toBeGreaterThan(7);
    await waitUntil(`n${victim} to catch up on loglet ${loglet}`, async () => (await readCopy(address(victim), loglet)).localTail >= reference.localTail, 60_000);
    expectSameRecords(await readCopy(address(victim), loglet), reference, reference.localTail);

    // The operator's view agrees: no offset whose copies differ, none under-replicated.
    const digest = await cluster.ctlJson<{ offsets: Array<{ offset: number; copies_differ: boolean; under_replicated: boolean }> }>([
      'replicated-loglet',
      'digest',
      String(loglet),
    ]);
    expect(digest.offsets.length).toBeGreaterThanOrEqual(reference.localTail - reference.trimPoint - 1);
    expect(digest.offsets.filter((o) => o.copies_differ || o.under_replicated)).toEqual([]);
    for (const [key, value] of [...before, ...after]) {
      const read = await get(ingress(victim), key);
      expect(`${read.status} ${read.body.toString() === value}`, key).toBe('200 true');
    }
  }, 180_000);

  it('seal repair: records copied to a log-server that was down during a trim land at their own offsets', async () => {
    // A log whose sequencer is not N1 (the metadata store must stay up to reconfigure it).
    const logs = await logsList();
    const log = logs.find((l) => l.sequencer_node_id !== 1)!;
    const partition = table.partitions.find((p) => p.log_id === log.log_id)!;
    const sequencer = log.sequencer_node_id;
    const victim = log.nodeset.find((id) => id !== 1 && id !== sequencer)!;
    expect(victim).toBeDefined();
    const oldLoglet = parseLogletId(log.loglet_id);

    await writeTo([ingress(1)], partition.id, 5, 10);
    cluster.kill(`n${victim}`);
    await waitUntil(`n${victim} to die`, async () => !alive(cluster.node(`n${victim}`).pid));
    const acked = await writeTo([ingress(1)], partition.id, 30, 100);
    await ledElsewhere(partition.id, victim);
    const snapshot = await cluster.ctl(['snapshots', 'create-snapshot', String(partition.id), '--trim-log', '--yes']);
    expect(snapshot.code, `${snapshot.stderr}${snapshot.stdout}`).toBe(0);
    for (const [key, value] of await writeTo([ingress(1)], partition.id, 30, 100)) acked.set(key, value);

    // The sequencer dies; only the lagging node comes back. N1 and it are the f-majority that seals,
    // and the lagging node is the one repaired from N1, which has trimmed.
    cluster.kill(`n${sequencer}`);
    await waitUntil(`n${sequencer} to die`, async () => !alive(cluster.node(`n${sequencer}`).pid));
    extra.push(startServer(['--config', cluster.node(`n${victim}`).config]));
    const reconfigured = await waitUntil(
      `log ${log.log_id} to get a new segment`,
      async () => {
        const now = (await logsList()).find((l) => l.log_id === log.log_id)!;
        return now.loglet_id !== log.loglet_id ? now : undefined;
      },
      60_000,
    );
    expect(reconfigured.sequencer_node_id).not.toBe(sequencer);

    const reference = await readCopy(address(1), oldLoglet);
    const repaired = await readCopy(address(victim), oldLoglet);
    expectSameRecords(repaired, reference, reference.localTail);
    // Reads wait for the partition's leadership to leave the dead node, then see every acked write.
    await waitUntil(`partition ${partition.id} to serve reads`, async () => (await get(ingress(1), acked.keys().next().value!)).status === 200);
    for (const [key, value] of acked) {
      const read = await get(ingress(1), key);
      expect(`${read.status} ${read.body.toString() === value}`, key).toBe('200 true');
    }
  }, 180_000);
});
