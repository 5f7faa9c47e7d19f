// Partition leadership under faults: kill -9 of the node leading partitions while clients write.
// Leadership must move to a surviving replica under a newer epoch, no acknowledged write may be lost,
// and once the node is back every replica of a partition applies up to the same LSN, with the same
// data in its own store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/server/worker/partitioning';
import { alive, TestCluster, waitUntil } from '../helpers/cluster';
import { get, Writers } from '../helpers/kv';

describe('partition leader failover', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  const processors = () => cluster.processors();

  it('moves leadership off a killed node, loses no acknowledged write, and converges', async () => {
    const ingresses = () => cluster.info.nodes.map((n) => n.ingress);
    const writers = new Writers(ingresses, 4);
    let victimId = 0;
    try {
      await waitUntil('some writes', async () => writers.acked.size > 50, 15_000);
      // The victim: the node (other than n1, which holds the metadata store) leading most partitions.
      const before = await processors();
      const leads = (id: number) => before.filter((p) => p.mode === 'leader' && p.node_id === id);
      victimId = leads(2).length >= leads(3).length ? 2 : 3;
      const led = leads(victimId);
      expect(led.length).toBeGreaterThan(0);

      const pid = cluster.node(`n${victimId}`).pid;
      cluster.kill(`n${victimId}`, 'SIGKILL');
      await waitUntil(`n${victimId} to die`, async () => !alive(pid));
      await waitUntil('new leaders for the victim\'s partitions', async () => {
        const now = await processors();
        return led.every((old) =>
          now.some((p) => p.partition_id === old.partition_id && p.mode === 'leader' && p.status === 'active' && p.node_id !== victimId && (p.epoch ?? 0) > (old.epoch ?? 0)),
        );
      }, 20_000);
      const ackedAtFailover = writers.acked.size;
      await waitUntil('writes to continue', async () => writers.acked.size > ackedAtFailover + 20, 15_000);

      await cluster.up();
      await waitUntil(`n${victimId} to be back`, async () => {
        const status = await cluster.ctlJson<{ nodes: Array<{ alive: boolean }> }>(['status']);
        return status.nodes.every((n) => n.alive);
      }, 20_000);
      const ackedAtReturn = writers.acked.size;
      await waitUntil(`writes to go on with n${victimId} back`, async () => writers.acked.size > ackedAtReturn + 20, 15_000);
    } finally {
      await writers.stop();
    }
    expect(writers.failed).toEqual([]);

    // Every replica of a partition converges on the same applied LSN, the end of its log, with one
    // leader among them. While a leadership move is under way (the controller rebalances leaders
    // once the victim is back) the nodes' reports may show none or two for a moment: each node
    // learns the new epoch on its own.
    const table = await cluster.partitionTable();
    const tails = new Map<number, number>();
    for (const { log_id, tail_lsn } of (await cluster.ctlJson<{ logs: Array<{ log_id: number; tail_lsn: number }> }>(['logs', 'find-tail', ...table.partitions.map((p) => String(p.log_id))])).logs) tails.set(log_id, tail_lsn);
    const converged = await waitUntil('every replica to apply its log to the end, one of them the leader', async () => {
      const now = await processors();
      const done = table.partitions.every((partition) => {
        const replicas = now.filter((p) => p.partition_id === partition.id);
        const atTail = replicas.every((p) => p.status === 'active' && p.applied_lsn === tails.get(partition.log_id)! - 1);
        return replicas.length >= 2 && atTail && replicas.filter((p) => p.mode === 'leader').length === 1;
      });
      return done && now;
    }, 30_000);

    // Every acknowledged write reads back through the ingress, and from each replica's own store.
    let i = 0;
    for (const [key, value] of writers.acked) {
      const result = await get(ingresses()[i++ % 3]!, key);
      expect(`${key} ${result.status} ${result.body.toString()}`).toBe(`${key} 200 ${value}`);
      const partition = partitionForKey(key, table).id;
      for (const replica of converged.filter((p) => p.partition_id === partition)) {
        const local = await fetch(`${cluster.node(`n${replica.node_id}`).address}/v1/worker/partitions/${partition}/kv/${encodeURIComponent(key)}`);
        expect(`${key}@N${replica.node_id} ${local.status} ${await local.text()}`).toBe(`${key}@N${replica.node_id} 200 ${value}`);
      }
    }
    console.log(`partition failover: victim N${victimId}, ${writers.acked.size} acknowledged writes, longest writer pause ${writers.longestPauseMs} ms`);
  }, 180_000);
});
