// Durability under faults: concurrent writers while nodes that run sequencers are killed with
// kill -9 and restarted, round after round. Every acknowledged write must be readable with its exact
// value, and every log must hold its records in order with no gaps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, TestCluster, waitUntil } from '../helpers/cluster';
import { readLog, Writers } from '../helpers/kv';

const ROUNDS = 3;

interface LogsJson {
  logs: Array<{ log_id: number; segments: number; sequencer_generational_id: string | null }>;
}

describe('writes survive kill -9 of sequencer nodes', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('loses no acknowledged write across rounds of kill -9 and restart, and resumes within seconds', async () => {
    const ingresses = () => cluster.info.nodes.map((n) => n.ingress);
    const writers = new Writers(ingresses, 6);
    const pauses: number[] = [];
    try {
      await waitUntil('writes to flow', async () => writers.acked.size > 50, 15_000);
      for (let round = 0; round < ROUNDS; round++) {
        // The victim: the node (other than n1, which holds the metadata store) with most sequencers.
        const logs = await cluster.ctlJson<LogsJson>(['logs', 'list']);
        const load = (id: number) => logs.logs.filter((l) => l.sequencer_generational_id?.startsWith(`N${id}:`)).length;
        const victim = load(2) >= load(3) ? 'n2' : 'n3';
        const victimId = Number(victim.slice(1));
        expect(load(victimId)).toBeGreaterThan(0);
        const pid = cluster.node(victim).pid;
        const ackedBefore = writers.acked.size;
        const killedAt = Date.now();
        cluster.kill(victim, 'SIGKILL');
        await waitUntil(`${victim} to die`, async () => !alive(pid));

        // Failover: the victim's logs get a new segment with a live sequencer.
        await waitUntil('failover of the victim\'s logs', async () => {
          const now = await cluster.ctlJson<LogsJson>(['logs', 'list']);
          return now.logs.every((l) => !l.sequencer_generational_id?.startsWith(`N${victimId}:`));
        }, 15_000);
        const ackedAtFailover = writers.acked.size;
        await waitUntil('writes to continue', async () => writers.acked.size > ackedAtFailover + 20, 15_000);
        pauses.push(Date.now() - killedAt);

        await cluster.up();
        await waitUntil(`${victim} to be back`, async () => {
          const status = await cluster.ctlJson<{ nodes: Array<{ name: string; alive: boolean }> }>(['status']);
          return status.nodes.every((n) => n.alive);
        }, 20_000);
        expect(writers.acked.size).toBeGreaterThan(ackedBefore);
        // The next round starts from a cluster that takes writes with the victim back.
        const ackedAtReturn = writers.acked.size;
        await waitUntil(`writes to go on with ${victim} back`, async () => writers.acked.size > ackedAtReturn + 20, 15_000);
      }
    } finally {
      await writers.stop();
    }
    console.log(
      `durability: ${writers.acked.size} acknowledged writes, ${writers.failed.length} unacknowledged, ` +
        `longest pause of a writer ${writers.longestPauseMs} ms, kill-to-resumed per round ${pauses.join(', ')} ms`,
    );
    expect(writers.failed).toEqual([]);
    expect(writers.longestPauseMs).toBeLessThan(10_000);

    // Every acknowledged write reads back with its exact value, from any node.
    await writers.expectAllReadBack();

    // Every log is contiguous from LSN 1 to its tail, across all its segments, and together the logs
    // hold every acknowledged write.
    const logs = await cluster.ctlJson<LogsJson>(['logs', 'list']);
    expect(logs.logs.some((l) => l.segments > 1)).toBe(true);
    const inLogs = new Map<string, string>();
    for (const log of logs.logs) {
      const { tail, entries } = await readLog(cluster.node('n1').address, log.log_id);
      expect(entries).toHaveLength(tail - 1);
      entries.forEach((entry, index) => expect(entry.lsn).toBe(index + 1));
      for (const entry of entries) inLogs.set(entry.key, entry.value.toString());
    }
    for (const [key, value] of writers.acked) expect(inLogs.get(key)).toBe(value);
  }, 240_000);
});
