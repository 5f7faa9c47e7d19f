// A log-server that was down while the others took a backlog is caught up after its restart, in
// batches cut by bifrost.replication.batch-bytes/-records, also for records the sequencers no longer
// hold in memory (they are relayed from a log-server that has them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLogletId } from '../../src/api/ids';
import { alive, TestCluster, waitUntil } from '../helpers/cluster';
import { putWithRetry } from '../helpers/kv';

const BATCH_BYTES = 256 * 1024;

interface Stats {
  log_store: { largest_store_bytes: number; stored_bytes: number };
  sequencers: Array<{ relayed_records: number }>;
  memory: { max_rss_bytes: number };
}

describe('catch-up of a log-server that was down', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start({
      nodes: 3,
      sets: [
        `bifrost.replication.batch-bytes=${BATCH_BYTES}`,
        'bifrost.replication.batch-records=16',
        'bifrost.replication.inflight-batches=2',
        'bifrost.replication.sequencer-buffer-bytes=4MiB',
      ],
    });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('streams the backlog to the restarted log-server in bounded batches', async () => {
    const n3 = cluster.node('n3');
    cluster.kill('n3', 'SIGKILL');
    await waitUntil('n3 to die', async () => !alive(n3.pid));
    // Wait for n3's sequencers to move, so that every tail loglet keeps n3 in its nodeset but has a
    // live sequencer that will catch it up.
    await waitUntil('failover away from n3', async () => {
      const logs = await cluster.ctlJson<{ logs: Array<{ sequencer_generational_id: string }> }>(['logs', 'list']);
      return logs.logs.every((l) => !l.sequencer_generational_id.startsWith('N3:'));
    });

    // About 40 MiB, more than the sequencers keep in memory (4 MiB each), so most is relayed.
    const ingresses = [cluster.node('n1').ingress, cluster.node('n2').ingress];
    const value = Buffer.alloc(64 * 1024, 9);
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 640) {
          const i = next++;
          const outcome = await putWithRetry(ingresses, `backlog-${i}`, value);
          expect(outcome.ok).toBe(true);
        }
      }),
    );

    await cluster.up();
    const logs = await cluster.ctlJson<{ logs: Array<{ loglet_id: string; nodeset: number[] }> }>(['logs', 'list']);
    const state = async (address: string, loglet: number) =>
      ((await (await fetch(`${address}/v1/log-server/loglets/${loglet}`)).json()) as { local_tail: number }).local_tail;
    await waitUntil(
      'n3 to hold every record of every tail loglet',
      async () => {
        for (const log of logs.logs) {
          const loglet = parseLogletId(log.loglet_id);
          expect(log.nodeset).toContain(3);
          if ((await state(cluster.node('n3').address, loglet)) < (await state(cluster.node('n1').address, loglet))) return false;
        }
        return true;
      },
      60_000,
    );
    const relayed = await Promise.all(
      ['n1', 'n2'].map(async (name) => ((await (await fetch(`${cluster.node(name).address}/v1/node/stats`)).json()) as Stats).sequencers),
    );
    expect(relayed.flat().reduce((sum, s) => sum + s.relayed_records, 0)).toBeGreaterThan(100);
    const stats = (await (await fetch(`${cluster.node('n3').address}/v1/node/stats`)).json()) as Stats;
    expect(stats.log_store.stored_bytes).toBeGreaterThan(30 * 1024 * 1024);
    // Each store carried at most one batch: the byte bound plus one record (the first always goes).
    expect(stats.log_store.largest_store_bytes).toBeLessThanOrEqual(BATCH_BYTES + value.length);
    expect(stats.memory.max_rss_bytes).toBeLessThan(256 * 1024 * 1024);
  }, 180_000);
});
