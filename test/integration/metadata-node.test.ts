// The embedded metadata store lives on n1 only (a documented single point of failure): killing n1
// stops metadata changes, not the logs sequenced elsewhere; when n1 comes back the cluster resumes on
// its own and no acknowledged write is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, TestCluster, waitUntil } from '../helpers/cluster';
import { Writers } from '../helpers/kv';

describe('the metadata node is killed and restarted', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('keeps the other sequencers writing, and resumes everything once it is back', async () => {
    const table = await cluster.partitionTable();
    const ingresses = () => cluster.info.nodes.map((n) => n.ingress);
    const writers = new Writers(ingresses, 8, { prefix: 'm', onePartitionEach: table });
    try {
      await waitUntil('writes to flow', async () => writers.acked.size > 50);
      const logs = await cluster.ctlJson<{ logs: Array<{ log_id: number; sequencer_generational_id: string }> }>(['logs', 'list']);
      const elsewhere = table.partitions.filter((p) => !logs.logs.find((l) => l.log_id === p.log_id)?.sequencer_generational_id.startsWith('N1:'));
      expect(elsewhere.length).toBeGreaterThan(0);
      const ackedElsewhere = () => elsewhere.reduce((sum, p) => sum + (writers.ackedIn.get(p.id) ?? 0), 0);
      const pid = cluster.node('n1').pid;
      cluster.kill('n1', 'SIGKILL');
      await waitUntil('n1 to die', async () => !alive(pid));
      const atKill = ackedElsewhere();
      // Logs sequenced by n2 and n3 need no metadata to take appends.
      await waitUntil('writes to other sequencers to go on', async () => ackedElsewhere() > atKill + 20, 10_000);
      const status = await cluster.ctlJson<{ nodes: Array<{ name: string; alive: boolean }> }>(['status']);
      expect(status.nodes.find((n) => n.name === 'n1')?.alive).toBe(false);

      await cluster.up();
      await waitUntil('every log to have a live sequencer again', async () => {
        const logs = await cluster.ctlJson<{ logs: Array<{ sequencer_generational_id: string }> }>(['logs', 'list']);
        return logs.logs.every((l) => !l.sequencer_generational_id.startsWith('N1:1'));
      }, 20_000);
      const afterRestart = writers.acked.size;
      await waitUntil('writes to every partition to go on', async () => writers.acked.size > afterRestart + 100, 20_000);
    } finally {
      await writers.stop();
    }
    expect(writers.failed).toEqual([]);
    await writers.expectAllReadBack();
  }, 180_000);
});
