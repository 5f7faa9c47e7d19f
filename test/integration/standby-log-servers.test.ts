// A sequencer stores every append to a write quorum only (its own log-server, then the log's
// follower's); the rest of the nodeset are standbys that get what they lack in batches. When a
// quorum member is paused, the standby is stored to on every append instead, so the writers barely
// notice; once the member is back and has caught up, the standby returns to batches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitLogletId } from '../../src/api/ids';
import type { NodeStats, PartitionTable } from '../../src/api/schemas';
import { TestCluster, waitUntil } from '../helpers/cluster';
import { keysInPartition, putWithRetry } from '../helpers/kv';

/** Sequential writes with a member paused: each may wait a standby flush, never the seconds of a failover. */
const PAUSED_WRITE_BOUND_MS = 1_000;
/** The sequencer's standby flush period (STANDBY_FLUSH_MS in sequencer.ts). */
const STANDBY_FLUSH_MS = 50;
/**
 * Of 20 sequential writes, how many at least reach the quorum member in a store of their own. Not
 * all: when one of its stores is slow (a busy host), the standbys ack in its place and the next
 * appends wait for that store and then leave together in one batch.
 */
const MEMBER_STORES_OF_20 = 15;

describe('standby log-servers', () => {
  let cluster: TestCluster;
  let table: PartitionTable;

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
    table = await cluster.partitionTable();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  const nodeName = (id: number) => `n${id}`;
  /** Writes one key through the ingress of `node`; resolves with how long it took. */
  const writer = (node: number) => async (key: string) => {
    const started = Date.now();
    const outcome = await putWithRetry([cluster.node(nodeName(node)).ingress], key, `value of ${key}`);
    expect(outcome.ok, `PUT ${key}: ${outcome.status} ${outcome.body}`).toBe(true);
    return Date.now() - started;
  };
  /** Store batches the sequencers of node `from` sent to the log-server of node `to` so far. */
  const storesTo = async (from: number, to: number) => {
    const text = await (await fetch(`${cluster.node(nodeName(from)).address}/metrics`)).text();
    const match = new RegExp(`^cairn_store_round_trip_seconds_count\\{[^}]*peer="N${to}"[^}]*\\} (\\d+)$`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  };
  /** The node running the open sequencer of a log, and that sequencer's stats. */
  const sequencerOf = (logId: number) =>
    waitUntil(`the sequencer of log ${logId} to report its peers`, async () => {
      for (const node of cluster.info.nodes) {
        const stats = (await (await fetch(`${node.address}/v1/node/stats`)).json()) as NodeStats;
        const found = stats.sequencers.find((s) => !s.sealed && splitLogletId(s.loglet_id).logId === logId);
        if (found) return { sequencerNode: Number(node.name.slice(1)), sequencer: found };
      }
      return undefined;
    });
  const localTail = async (node: number, loglet: number) =>
    ((await (await fetch(`${cluster.node(nodeName(node)).address}/v1/log-server/loglets/${loglet}`)).json()) as { local_tail: number }).local_tail;

  it('stores each append to the quorum, batches the standby, and stores to the standby on every append while a quorum member is paused', async () => {
    const partition = table.partitions[0]!;
    const keys = keysInPartition(table, partition.id, 61, 'standby');
    // The first write starts the sequencer; its stats then show who is stored to first.
    expect((await putWithRetry([cluster.info.nodes[0]!.ingress], keys[0]!, 'first')).ok).toBe(true);
    const { sequencerNode, sequencer } = await sequencerOf(partition.log_id);
    const replicaSet = (await cluster.ctlJson<{ processors: Array<{ partition_id: number; node_id: number }> }>(['partitions', 'list'])).processors
      .filter((p) => p.partition_id === partition.id)
      .map((p) => p.node_id);
    const quorum = sequencer.peers.filter((p) => !p.standby).map((p) => p.node_id);
    const standbys = sequencer.peers.filter((p) => p.standby).map((p) => p.node_id);
    // Replication 2 of 3: the sequencer's own log-server and the follower's, the third node standing by.
    expect(quorum[0], 'own log-server first').toBe(sequencerNode);
    expect([...quorum].sort(), 'the quorum is the partition replicas').toEqual([...replicaSet].sort());
    expect(standbys).toHaveLength(1);
    const [member] = quorum.filter((id) => id !== sequencerNode);
    const [standby] = standbys;
    const write = writer(sequencerNode);

    // Healthy: every write goes to the member, the standby gets batches, and catches up.
    let toMember = await storesTo(sequencerNode, member!);
    let toStandby = await storesTo(sequencerNode, standby!);
    for (const key of keys.slice(1, 21)) await write(key);
    expect((await storesTo(sequencerNode, member!)) - toMember, 'stores to the quorum member').toBeGreaterThanOrEqual(MEMBER_STORES_OF_20);
    expect((await storesTo(sequencerNode, standby!)) - toStandby, 'stores to the standby').toBeLessThan(10);
    await waitUntil('the standby to hold every record', async () => (await localTail(standby!, sequencer.loglet_id)) === (await localTail(sequencerNode, sequencer.loglet_id)));

    // The member paused: the standby takes every append, and no write waits long.
    toStandby = await storesTo(sequencerNode, standby!);
    await cluster.pause(nodeName(member!));
    let took: number[];
    try {
      took = [];
      for (const key of keys.slice(21, 41)) took.push(await write(key));
    } finally {
      cluster.kill(nodeName(member!), 'SIGCONT');
    }
    console.log(`write latencies with N${member} paused: ${took.join(', ')} ms`);
    expect(Math.max(...took), 'the longest write with the member paused').toBeLessThan(PAUSED_WRITE_BOUND_MS);
    // Most writes do not wait for a standby flush: the standby is stored to on every append.
    expect([...took].sort((a, b) => a - b)[took.length / 2], 'the median write with the member paused').toBeLessThan(STANDBY_FLUSH_MS);
    expect((await storesTo(sequencerNode, standby!)) - toStandby, 'stores to the standby while the member was paused').toBeGreaterThanOrEqual(15);

    // Back and caught up: batches again.
    await waitUntil(`N${member} to catch up`, async () => (await localTail(member!, sequencer.loglet_id)) === (await localTail(sequencerNode, sequencer.loglet_id)));
    toMember = await storesTo(sequencerNode, member!);
    toStandby = await storesTo(sequencerNode, standby!);
    for (const key of keys.slice(41, 61)) await write(key);
    expect((await storesTo(sequencerNode, member!)) - toMember, 'stores to the member once it is back').toBeGreaterThanOrEqual(MEMBER_STORES_OF_20);
    expect((await storesTo(sequencerNode, standby!)) - toStandby, 'stores to the standby once the member is back').toBeLessThan(10);
  }, 120_000);

  it('moves a new reader of the log into the quorum, in the same segment, when the partition replicas change', async () => {
    const partition = table.partitions[1]!;
    const keys = keysInPartition(table, partition.id, 21, 'reorder');
    expect((await putWithRetry([cluster.info.nodes[0]!.ingress], keys[0]!, 'first')).ok).toBe(true);
    const { sequencerNode, sequencer } = await sequencerOf(partition.log_id);
    const [member] = sequencer.peers.filter((p) => !p.standby && p.node_id !== sequencerNode).map((p) => p.node_id);
    const [standby] = sequencer.peers.filter((p) => p.standby).map((p) => p.node_id);
    // The standby's node becomes the follower in place of the member's.
    await cluster.ctlJson(['partitions', 'placement', 'set', String(partition.id), '--replicas', `${sequencerNode},${standby}`, '--yes']);
    const now = await waitUntil(`N${standby} to join the quorum`, async () => {
      const { sequencer: current } = await sequencerOf(partition.log_id);
      return current.peers.find((p) => p.node_id === standby)?.standby === false ? current : undefined;
    });
    expect(now.loglet_id, 'the same segment').toBe(sequencer.loglet_id);
    expect(now.peers.find((p) => p.node_id === member)?.standby, `N${member} stands by`).toBe(true);

    const write = writer(sequencerNode);
    const toNew = await storesTo(sequencerNode, standby!);
    const toOld = await storesTo(sequencerNode, member!);
    for (const key of keys.slice(1)) await write(key);
    expect((await storesTo(sequencerNode, standby!)) - toNew, `stores to N${standby}, now in the quorum`).toBeGreaterThanOrEqual(MEMBER_STORES_OF_20);
    expect((await storesTo(sequencerNode, member!)) - toOld, `stores to N${member}, now a standby`).toBeLessThan(10);
  }, 120_000);
});
