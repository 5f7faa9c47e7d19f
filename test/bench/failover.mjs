// Failover with the metadata on etcd, under load: a 3-node `--metadata etcd` cluster, 8 writers on
// the ingresses, then ROUNDS rounds of kill -9 of a random node together with its etcd member. Per
// round: the worst partition's time without acknowledged writes (from the kill to the first ack of
// a write sent after it, per partition, as test/e2e/etcd-failover.test.ts measures), and the acked
// writes of the round that do not read back with their value from the surviving nodes (lost).
// Between rounds `local up` restarts both and waits until the cluster is healthy. Goal (issue 9):
// every partition takes writes again within 3 s.
//
// Each write has a key of its own, so an acked write is lost exactly when its key does not read
// back with its value; the partition comes from the PUT's answer. A write that fails is not
// retried: the writer moves on to a new key, so that writers do not pile up on a partition that is
// failing over while the others go unmeasured.
//
// Env: ROUNDS (default 5), WRITERS (default 8), SEED (victims; default random, printed).
import { alive, fmt, percentile, startCluster } from './lib.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const WRITERS = Number(process.env.WRITERS ?? 8);
const SEED = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
const GOAL_MS = 3_000;
const REQUEST_TIMEOUT_MS = 1_000;
/** A round whose partitions have not all resumed by then is reported as such and ends. */
const RESUME_DEADLINE_MS = 30_000;
const ACKS_BEFORE_KILL = 3;
/** Load before the kill and after the last partition resumed, so that acked/lost cover both sides. */
const LOAD_AROUND_KILL_MS = 2_000;
const READERS = 8;

/** mulberry32: the victims of a run follow from SEED. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function json(url, init) {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `test` until it holds (true) or `deadlineMs` pass (false). */
async function waitFor(deadlineMs, test) {
  const until = performance.now() + deadlineMs;
  while (performance.now() < until) {
    if (await test()) return true;
    await sleep(20);
  }
  return false;
}

/** WRITERS loops of PUTs with fresh keys, round-robin over the ingresses of `targets()`. */
class Writers {
  acks = [];
  running = true;

  constructor(round, targets) {
    this.loops = Array.from({ length: WRITERS }, (_, w) => this.loop(`r${round}-w${w}`, targets));
  }

  async loop(prefix, targets) {
    for (let n = 0; this.running; n++) {
      const ingresses = targets();
      const key = `${prefix}-${n}`;
      const value = `${key}:v`;
      const sentAt = performance.now();
      try {
        const response = await fetch(`${ingresses[n % ingresses.length]}/kv/${encodeURIComponent(key)}`, {
          method: 'PUT',
          body: value,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const body = await response.text();
        if (response.ok) this.acks.push({ key, value, partition: JSON.parse(body).partition_id, sentAt, ackedAt: performance.now() });
        else await sleep(20);
      } catch {
        // unacknowledged (refused, timed out): the next write has a new key
        await sleep(20);
      }
    }
  }

  async stop() {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Per partition, ms from `killedAt` to the first ack of a write sent after it (Infinity: none yet). */
  resumedAfter(killedAt, partitions) {
    const first = new Map(partitions.map((p) => [p, Infinity]));
    for (const ack of this.acks) {
      if (ack.sentAt >= killedAt && first.has(ack.partition)) first.set(ack.partition, Math.min(first.get(ack.partition), ack.ackedAt - killedAt));
    }
    return first;
  }
}

/** The acked writes that do not read back with their value through the surviving ingresses. */
async function lostWrites(acks, ingresses) {
  const lost = [];
  let next = 0;
  const reader = async (r) => {
    while (next < acks.length) {
      const ack = acks[next++];
      const ingress = ingresses[(r + next) % ingresses.length];
      let seen;
      for (let attempt = 0; attempt < 3 && seen !== ack.value; attempt++) {
        try {
          const response = await fetch(`${ingress}/kv/${encodeURIComponent(ack.key)}`, { signal: AbortSignal.timeout(5_000) });
          seen = response.ok ? await response.text() : `HTTP ${response.status} ${await response.text()}`;
        } catch (err) {
          seen = err.message;
        }
      }
      if (seen !== ack.value) lost.push({ ...ack, seen });
    }
  };
  await Promise.all(Array.from({ length: READERS }, (_, r) => reader(r)));
  return lost;
}

/** Whether the member says it is etcd's raft leader (v3 JSON gateway, maintenance status). */
async function isEtcdLeader(member) {
  try {
    const status = await json(`${member.client_url}/v3/maintenance/status`, { method: 'POST', body: '{}' });
    return status.leader !== undefined && status.leader === status.header?.member_id;
  } catch {
    return false;
  }
}

/**
 * What the victim held before the kill: the controller's role, the partitions it led and the logs
 * whose tail it sequenced (a node restarted by the previous round may hold nothing yet, so its loss
 * costs no failover).
 */
async function heldBy(address, partitions, nodeId) {
  const epochs = await Promise.all(partitions.map((p) => json(`${address}/v1/metadata/pp_epoch_${p}`).catch(() => undefined)));
  const { logs } = (await json(`${address}/v1/metadata/bifrost_config`)).value;
  const controller = (await json(`${address}/v1/node`)).cluster_controller === nodeId;
  const led = partitions.filter((_, i) => epochs[i]?.value.leader === nodeId).length;
  const sequenced = logs.filter((chain) => chain.segments.at(-1).params?.sequencer.startsWith(`N${nodeId}:`)).length;
  return `${controller ? 'controller, ' : ''}led ${led} partition${led === 1 ? '' : 's'}, sequenced ${sequenced} log${sequenced === 1 ? '' : 's'}`;
}

/** "1234 ms", or "> 30000 ms" for a partition that did not resume before the deadline. */
const shown = (ms) => (Number.isFinite(ms) ? fmt(ms) : `> ${RESUME_DEADLINE_MS} ms`);

const random = rng(SEED);
const cluster = startCluster({ nodes: 3, metadata: 'etcd' });
const results = [];
try {
  const first = cluster.info.nodes[0];
  const partitions = (await json(`${first.address}/v1/metadata/partition_table`)).value.partitions.map((p) => p.id);
  console.log(`3 nodes, metadata on 3 etcd members, ${partitions.length} partitions, ${WRITERS} writers, ${ROUNDS} rounds, seed ${SEED}; goal ${GOAL_MS} ms`);

  for (let round = 1; round <= ROUNDS; round++) {
    const { nodes } = cluster.info;
    const victim = nodes[Math.floor(random() * nodes.length)];
    const member = cluster.info.metadata.members.find((m) => m.name === victim.name);
    const survivors = nodes.filter((n) => n !== victim);
    const etcdRole = (await isEtcdLeader(member)) ? 'the etcd leader' : 'an etcd follower';
    let down = false;
    const writers = new Writers(round, () => (down ? survivors : nodes).map((n) => n.ingress));
    const loadStarted = performance.now();
    const ready = await waitFor(30_000, async () =>
      performance.now() - loadStarted >= LOAD_AROUND_KILL_MS && partitions.every((p) => writers.acks.filter((a) => a.partition === p).length >= ACKS_BEFORE_KILL),
    );
    if (!ready) throw new Error(`round ${round}: not every partition took ${ACKS_BEFORE_KILL} writes within 30 s of the round's start`);

    const held = await heldBy(survivors[0].address, partitions, nodes.indexOf(victim) + 1);

    // The writers stop using the victim's ingress from the kill on, as a client would after a refusal.
    down = true;
    const killedAt = performance.now();
    process.kill(victim.pid, 'SIGKILL');
    process.kill(member.pid, 'SIGKILL');
    await waitFor(RESUME_DEADLINE_MS, async () =>
      [...writers.resumedAfter(killedAt, partitions).values()].every(Number.isFinite),
    );
    await sleep(LOAD_AROUND_KILL_MS);
    await writers.stop();
    const resumed = writers.resumedAfter(killedAt, partitions);
    const [worstPartition, worst] = [...resumed].sort((a, b) => b[1] - a[1])[0];
    const lost = await lostWrites(writers.acks, survivors.map((n) => n.ingress));
    results.push({ worst, acked: writers.acks.length, lost: lost.length });
    const perPartition = [...resumed].map(([p, ms]) => `p${p} ${Number.isFinite(ms) ? ms.toFixed(0) : `>${RESUME_DEADLINE_MS}`}`).join(', ');
    console.log(
      `round ${round}: kill -9 ${victim.name} and its etcd member (${etcdRole}; ${held}): worst partition p${worstPartition} ${shown(worst)} without writes` +
        ` (ms per partition: ${perPartition}); acked ${writers.acks.length}, lost ${lost.length}`,
    );
    for (const l of lost.slice(0, 5)) console.log(`  lost: ${l.key} (partition ${l.partition}, acked ${(l.ackedAt - killedAt).toFixed(0)} ms after the kill) read back as ${String(l.seen).slice(0, 120)}`);

    // Both back, and healthy, before the next round.
    await waitFor(5_000, async () => !alive(victim.pid) && !alive(member.pid));
    cluster.up();
  }

  const worsts = results.map((r) => r.worst);
  const acked = results.reduce((sum, r) => sum + r.acked, 0);
  const lost = results.reduce((sum, r) => sum + r.lost, 0);
  console.log(
    `over ${ROUNDS} rounds: worst partition without writes p50 ${shown(percentile(worsts, 50))}, max ${shown(Math.max(...worsts))}` +
      ` (goal ${GOAL_MS} ms: ${worsts.filter((w) => w <= GOAL_MS).length} of ${ROUNDS} rounds within it); acked ${acked}, lost ${lost}`,
  );
  if (lost > 0) process.exitCode = 1;
} finally {
  cluster.stop();
}
