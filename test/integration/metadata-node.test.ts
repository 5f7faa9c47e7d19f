// The embedded metadata store lives on n1 only (a documented single point of failure): killing n1
// stops metadata changes, not the logs sequenced elsewhere; when n1 comes back the cluster resumes on
// its own and no acknowledged write is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionTable } from '../../src/api/schemas';
import { partitionForKey } from '../../src/server/worker/partitioning';
import { alive, TestCluster, waitUntil } from '../helpers/cluster';
import { get, putWithRetry } from '../helpers/kv';

describe('the metadata node is killed and restarted', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('keeps the other sequencers writing, and resumes everything once it is back', async () => {
    const table = ((await (await fetch(`${cluster.node('n1').address}/v1/metadata/partition_table`)).json()) as { value: PartitionTable }).value;
    const acked = new Map<string, string>();
    const ackedIn = new Map<number, number>();
    const failed: string[] = [];
    let running = true;
    const ingresses = () => cluster.info.nodes.map((n) => n.ingress);
    // Each client writes to one partition, so that those sequenced by n1 stall only their own clients.
    const client = async (c: number) => {
      const partition = table.partitions[c % table.partitions.length]!.id;
      for (let i = 0; running; i++) {
        const key = `m${c}-${i}`;
        if (partitionForKey(key, table).id !== partition) continue;
        const outcome = await putWithRetry(ingresses(), key, `${key}-value`, 45_000, c + i);
        if (!outcome.ok) {
          failed.push(`${key}: ${outcome.status} ${outcome.body}`);
          continue;
        }
        acked.set(key, `${key}-value`);
        ackedIn.set(partition, (ackedIn.get(partition) ?? 0) + 1);
      }
    };
    const clients = Array.from({ length: 8 }, (_, c) => client(c));
    try {
      await waitUntil('writes to flow', async () => acked.size > 50);
      const logs = await cluster.ctlJson<{ logs: Array<{ log_id: number; sequencer: string }> }>(['logs', 'list']);
      const elsewhere = table.partitions.filter((p) => !logs.logs.find((l) => l.log_id === p.log_id)?.sequencer.startsWith('N1:'));
      expect(elsewhere.length).toBeGreaterThan(0);
      const ackedElsewhere = () => elsewhere.reduce((sum, p) => sum + (ackedIn.get(p.id) ?? 0), 0);
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
        const logs = await cluster.ctlJson<{ logs: Array<{ sequencer: string }> }>(['logs', 'list']);
        return logs.logs.every((l) => !l.sequencer.startsWith('N1:1'));
      }, 20_000);
      const afterRestart = acked.size;
      await waitUntil('writes to every partition to go on', async () => acked.size > afterRestart + 100, 20_000);
    } finally {
      running = false;
      await Promise.all(clients);
    }
    expect(failed).toEqual([]);
    for (const [key, value] of acked) {
      const result = await get(ingresses()[0]!, key);
      expect(`${key}: ${result.status} ${result.body.toString()}`).toBe(`${key}: 200 ${value}`);
    }
  }, 180_000);
});
