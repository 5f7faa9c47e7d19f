// etcd below quorum: with two of three members stopped, partitions whose sequencers are alive keep
// taking writes and read commands answer from the nodes; a change command fails fast with exit 3,
// naming etcd and the members that are down, and seals nothing. Once the members are back, changes
// work again without restarting any Cairn node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionTable } from '../../src/api/schemas';
import { partitionForKey } from '../../src/server/worker/partitioning';
import { alive, TestCluster, waitUntil } from '../helpers/cluster';
import { putWithRetry } from '../helpers/kv';

/** metadata-client.timeout's default: a change must fail within it (plus the CLI's own start). */
const STORE_TIMEOUT_MS = 3_000;

interface LogRow {
  log_id: number;
  loglet_id: string;
}

describe('etcd below quorum', () => {
  let cluster: TestCluster;
  let table: PartitionTable;
  let written = 0;

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3, metadata: 'etcd' });
    table = await cluster.partitionTable();
  }, 120_000);
  afterAll(async () => {
    await cluster?.destroy();
  });

  /** One fresh key of each partition, written through every ingress in turn; the partitions that took it. */
  const writeEachPartition = async (deadlineMs: number) => {
    const ingresses = cluster.info.nodes.map((n) => n.ingress);
    const outcomes = await Promise.all(
      table.partitions.map(async (p) => {
        let key = `q${written++}`;
        while (partitionForKey(key, table).id !== p.id) key = `q${written++}`;
        return (await putWithRetry(ingresses, key, 'v', deadlineMs)).ok ? p.id : undefined;
      }),
    );
    return outcomes.filter((id) => id !== undefined);
  };
  const logs = async () => (await cluster.ctlJson<{ logs: LogRow[] }>(['logs', 'list'])).logs;

  it('keeps writing and reading, refuses changes fast naming etcd, and takes changes again once the members are back', async () => {
    const nodePids = cluster.info.nodes.map((n) => n.pid);
    const before = await logs();
    const [, second, third] = cluster.etcdMembers();
    cluster.killEtcdMember(second!.name);
    cluster.killEtcdMember(third!.name);
    await waitUntil('two members to die', async () => !alive(second!.pid) && !alive(third!.pid));

    // Every sequencer is alive: every partition takes writes.
    expect(await writeEachPartition(5_000)).toEqual(table.partitions.map((p) => p.id));
    // Reads come from the nodes.
    const status = await cluster.ctl(['status']);
    expect(status.code, status.stderr).toBe(0);
    expect((await cluster.ctl(['logs', 'list'])).code).toBe(0);
    // The last member notices it has no leader once raft's election timeout has passed.
    const listed = await waitUntil('the remaining member to report no leader', async () => {
      const answer = await cluster.ctlJson<{ servers: Array<{ name: string; status: string; error: string | null }> }>(['metadata-server', 'list-servers']);
      return answer.servers.find((s) => s.status === 'member')?.error?.includes('no leader') ? answer : undefined;
    });
    expect(listed.servers.filter((s) => s.status === 'unreachable').map((s) => s.name).sort()).toEqual([second!.name, third!.name].sort());

    // A change fails within the store's timeout, naming etcd and the members that are down.
    const started = Date.now();
    const seal = await cluster.ctl(['logs', 'seal', '0', '--yes']);
    const took = Date.now() - started;
    expect(seal.code, seal.stderr).toBe(3);
    expect(seal.stderr).toMatch(/etcd did not/);
    expect(seal.stderr).toContain(second!.client_url);
    expect(seal.stderr).toContain(third!.client_url);
    expect(took).toBeLessThan(STORE_TIMEOUT_MS + 2_500);
    // Nothing was sealed: the logs are as they were and still take writes.
    expect((await logs()).map((l) => l.loglet_id)).toEqual(before.map((l) => l.loglet_id));
    expect(await writeEachPartition(5_000)).toEqual(table.partitions.map((p) => p.id));

    // Members back: the same change works, with the same node processes.
    cluster.startEtcdMember(second!.name);
    cluster.startEtcdMember(third!.name);
    await waitUntil('the members to be healthy', async () => (await cluster.etcdMemberHealthy(second!.name)) && (await cluster.etcdMemberHealthy(third!.name)), 30_000);
    const again = await waitUntil('logs seal to work again', async () => {
      const result = await cluster.ctl(['logs', 'seal', '0', '--yes']);
      return result.code === 0 ? result : undefined;
    }, 30_000, 500);
    expect(again.stdout).toContain('0');
    await waitUntil('log 0 to be extended by the controller', async () => (await logs()).find((l) => l.log_id === 0)!.loglet_id !== before[0]!.loglet_id);
    expect(await writeEachPartition(10_000)).toEqual(table.partitions.map((p) => p.id));
    expect(cluster.info.nodes.map((n) => n.pid)).toEqual(nodePids);
  }, 180_000);
});
