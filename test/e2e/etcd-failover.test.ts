// No single node's death stops a cluster whose metadata is on etcd. Under 8 writers, kill -9 of a
// node together with its etcd member, left down: every partition takes writes again within 3 s,
// every acknowledged write reads back from the survivors, the dead node's logs gained a segment,
// another node is the controller, and `metadata-server list-servers` shows two members and the
// dead one as unreachable. Once for the node acting as controller, once for the etcd leader's node;
// and a paused controller's logs move without waiting the sequencer grace twice.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ident, PartitionTable } from '../../src/api/schemas';
import type { MetadataServersJson } from '../../src/cli/output/documents';
import { partitionForKey } from '../../src/server/worker/partitioning';
import { alive, TestCluster, waitUntil } from '../helpers/cluster';
import { get } from '../helpers/kv';

/** The goal of the issue: every partition takes writes again within this long of the kill. */
const RESUME_GOAL_MS = 3_000;
const WRITERS_PER_PARTITION = 2;
const REQUEST_TIMEOUT_MS = 1_000;

interface Ack {
  key: string;
  value: string;
  partition: number;
  sentAt: number;
  ackedAt: number;
}

interface LogRow {
  log_id: number;
  loglet_id: string;
  sequencer_node_id: number;
}

/** Writers per partition that keep writing until stopped, each PUT to the next live ingress. */
class Writers {
  readonly acks: Ack[] = [];
  private running = true;
  private readonly loops: Promise<void>[] = [];

  constructor(table: PartitionTable, ingresses: () => string[], tag: string) {
    for (const partition of table.partitions) {
      for (let w = 0; w < WRITERS_PER_PARTITION; w++) this.loops.push(this.loop(table, partition.id, `${tag}-p${partition.id}-w${w}`, ingresses));
    }
  }

  private async loop(table: PartitionTable, partition: number, prefix: string, ingresses: () => string[]): Promise<void> {
    let n = 0;
    for (let attempt = 0; this.running; attempt++) {
      let key = `${prefix}-${n}`;
      while (partitionForKey(key, table).id !== partition) key = `${prefix}-${++n}`;
      const value = `${key}:v`;
      const targets = ingresses();
      const sentAt = Date.now();
      try {
        const response = await fetch(`${targets[attempt % targets.length]}/kv/${encodeURIComponent(key)}`, {
          method: 'PUT',
          body: value,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        await response.text();
        if (response.ok) {
          this.acks.push({ key, value, partition, sentAt, ackedAt: Date.now() });
          n++;
        }
      } catch {
        // unacknowledged: tried again (same key) on the next ingress
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Per partition, how long after `killedAt` the first write sent after it was acknowledged. */
  resumedAfter(killedAt: number, partitions: number[]): Map<number, number> {
    return new Map(
      partitions.map((p) => {
        const first = this.acks.filter((a) => a.partition === p && a.sentAt >= killedAt).sort((a, b) => a.ackedAt - b.ackedAt)[0];
        return [p, first ? first.ackedAt - killedAt : Number.POSITIVE_INFINITY];
      }),
    );
  }
}

describe('failover with the metadata on etcd', () => {
  let cluster: TestCluster;
  let table: PartitionTable;

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3, metadata: 'etcd' });
    table = await cluster.partitionTable();
  }, 120_000);
  afterAll(async () => {
    await cluster?.destroy();
  });

  const ident = async (name: string) => (await (await fetch(`${cluster.node(name).address}/v1/node`)).json()) as Ident;
  const logs = async () => (await cluster.ctlJson<{ logs: LogRow[] }>(['logs', 'list'])).logs;
  const servers = () => cluster.ctlJson<MetadataServersJson>(['metadata-server', 'list-servers']);

  /** Kills node `victim` and its etcd member under load, and checks everything the issue asks. */
  const killAndCheck = async (victim: string) => {
    const survivors = cluster.info.nodes.filter((n) => n.name !== victim);
    const victimId = cluster.info.nodes.findIndex((n) => n.name === victim) + 1;
    const before = await logs();
    const writers = new Writers(table, () => survivors.map((n) => n.ingress), victim);
    await waitUntil('every partition to take writes before the kill', async () =>
      table.partitions.every((p) => writers.acks.filter((a) => a.partition === p.id).length >= 3),
    );

    const pid = cluster.node(victim).pid;
    const killedAt = Date.now();
    cluster.kill(victim);
    cluster.killEtcdMember(victim);
    await waitUntil(`${victim} to die`, async () => !alive(pid));
    await waitUntil('every partition to take writes after the kill', async () => {
      const resumed = writers.resumedAfter(killedAt, table.partitions.map((p) => p.id));
      return [...resumed.values()].every(Number.isFinite);
    }, 30_000);
    await writers.stop();

    const resumed = writers.resumedAfter(killedAt, table.partitions.map((p) => p.id));
    const worst = Math.max(...resumed.values());
    expect(worst, `time without writes per partition (ms): ${JSON.stringify(Object.fromEntries(resumed))}`).toBeLessThanOrEqual(RESUME_GOAL_MS);

    // Every acknowledged write reads back from a surviving node.
    for (const [i, ack] of writers.acks.entries()) {
      const read = await get(survivors[i % survivors.length]!.ingress, ack.key);
      expect(`${ack.key} ${read.status} ${read.body.toString()}`).toBe(`${ack.key} 200 ${ack.value}`);
    }

    // The victim's logs were moved on to a new segment sequenced elsewhere.
    const after = await logs();
    for (const log of before.filter((l) => l.sequencer_node_id === victimId)) {
      const now = after.find((l) => l.log_id === log.log_id)!;
      expect(now.loglet_id).not.toBe(log.loglet_id);
      expect(now.sequencer_node_id).not.toBe(victimId);
    }
    // Another node acts as controller, and the store lists the dead member apart.
    for (const node of survivors) {
      const controller = await waitUntil(`${node.name} to know a live controller`, async () => {
        const id = (await ident(node.name)).cluster_controller;
        return id !== null && id !== victimId ? id : undefined;
      });
      expect(controller).not.toBe(victimId);
    }
    const listed = await servers();
    expect(listed.kind).toBe('etcd');
    expect(listed.servers.filter((s) => s.status === 'member').map((s) => s.name).sort()).toEqual(survivors.map((n) => n.name).sort());
    expect(listed.servers.filter((s) => s.status === 'unreachable').map((s) => s.node_id)).toEqual([victimId]);
    const shown = await cluster.ctl(['metadata-server', 'list-servers']);
    expect(shown.stdout).toMatch(new RegExp(`🔌 Unreachable nodes\\n NODE +REASON +\\n N${victimId} +`));
    return { worst, acks: writers.acks.length };
  };

  it('survives kill -9 of the node acting as controller and its etcd member', async () => {
    const controller = (await ident('n2')).cluster_controller!;
    expect(controller).toBeGreaterThan(0);
    await killAndCheck(`n${controller}`);
  }, 120_000);

  it('survives kill -9 of the etcd leader and its node, once the first victim is back', async () => {
    await cluster.up();
    await cluster.settled();
    const leader = await waitUntil('every member to agree on an etcd leader', async () => {
      const listed = await servers();
      const leaders = new Set(listed.servers.map((s) => s.leader));
      return listed.servers.every((s) => s.status === 'member') && leaders.size === 1 ? [...leaders][0] : undefined;
    });
    await killAndCheck(leader!);
  }, 120_000);

  it('a paused controller that sequences a log: the next controller counts the time its probes already saw it gone', async () => {
    // Every admin node probes, acting or not. The node that takes over once the paused controller's
    // lease runs out must count the sequencer's unreachability from its own earlier probes: counting
    // from when it began to act cost a paused controller's logs its lease's 2 s and then the whole
    // sequencer grace again (7 s without writes, chaos seed 1205 in etcd mode).
    await cluster.up();
    await cluster.settled();
    /**
     * Pauses the controller (moving a log to it first if it sequences none) until a survivor has
     * moved that log; the survivor's clock start (the reconfiguration's time less the
     * unreachability its reason gives) and when it began to act.
     */
    const pauseController = async () => {
      // Every node agrees on it (one that was just paused may still name itself for a moment).
      const controllerId = await waitUntil('the nodes to agree on a controller', async () => {
        const named = new Set(await Promise.all(cluster.info.nodes.map(async (n) => (await ident(n.name)).cluster_controller)));
        const [id] = named;
        return named.size === 1 && id !== null ? id : undefined;
      });
      const victim = `n${controllerId}`;
      const survivor = cluster.info.nodes.find((n) => n.name !== victim)!;
      /** `logs list` through a node that is not paused. */
      const logsVia = async () => {
        const listed = await cluster.ctl(['logs', 'list', '-o', 'json'], { env: { CAIRN_ADDRESS: survivor.address } });
        expect(listed.code, listed.stderr).toBe(0);
        return (JSON.parse(listed.stdout) as { logs: LogRow[] }).logs;
      };
      if (!(await logsVia()).some((l) => l.sequencer_node_id === controllerId)) {
        const moved = await cluster.ctl(['logs', 'reconfigure', '-l', '0', '--sequencer', `N${controllerId}`, '--yes'], { env: { CAIRN_ADDRESS: survivor.address } });
        expect(moved.code, moved.stderr).toBe(0);
      }
      const log = await waitUntil(`${victim} to sequence a log`, async () => (await logsVia()).find((l) => l.sequencer_node_id === controllerId));
      const pid = cluster.node(victim).pid;
      const pausedAt = new Date().toISOString();
      await cluster.pause(victim);
      try {
        await waitUntil(`log ${log.log_id} to leave the paused ${victim}`, async () => (await logsVia()).find((l) => l.log_id === log.log_id)!.sequencer_node_id !== controllerId, 30_000);
        const lines = cluster.info.nodes
          .filter((n) => n.name !== victim)
          .flatMap((n) => readFileSync(n.log, 'utf8').split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { time: string; msg: string; log?: number; reason?: string }))
          .filter((line) => line.time >= pausedAt);
        const acting = lines.find((l) => l.msg.startsWith('acting as the cluster controller'));
        const moved = lines.find((l) => l.log === log.log_id && l.msg.startsWith('log reconfigured'));
        expect(acting, 'a survivor taking over as controller').toBeDefined();
        const unreachableMs = Number(/has been unreachable for (\d+) ms/.exec(moved?.reason ?? '')?.[1]);
        expect(unreachableMs, `the reason of the reconfiguration: ${moved?.reason}`).toBeGreaterThan(0);
        return { clockStarted: Date.parse(moved!.time) - unreachableMs, acted: Date.parse(acting!.time) };
      } finally {
        process.kill(pid, 'SIGCONT');
        await cluster.settled();
      }
    };
    // The lease (2 s) can run out before a survivor's probe of the paused node has timed out (1 s
    // after it was sent, up to 0.5 s after the pause): then no earlier probe saw it gone and the
    // clock rightly starts a little after the survivor acts. Without the fix it never starts before,
    // so the check is that it did so in one of up to three pauses.
    const attempts: Array<{ clockStarted: number; acted: number }> = [];
    while (attempts.length < 3 && !attempts.some((a) => a.clockStarted < a.acted)) attempts.push(await pauseController());
    expect(
      attempts.some((a) => a.clockStarted < a.acted),
      `the clock started this long after the survivor acted (ms): ${attempts.map((a) => a.clockStarted - a.acted).join(', ')}`,
    ).toBe(true);
  }, 240_000);
});
