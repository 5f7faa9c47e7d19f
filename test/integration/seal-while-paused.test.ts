// An operator's `logs reconfigure` or `logs seal` of a log whose sequencer's node is paused
// (SIGSTOP), while writers keep every partition busy. Once found by chaos (seeds 2611, 3907): the
// command's dry run waited on the paused node for its full request timeouts while holding the log's
// reconfiguration lock, and the cluster controller's failover of that log, and with it the
// controller's whole round (every other log and partition), queued behind it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionTable } from '../../src/api/schemas';
import { TestCluster, waitUntil } from '../helpers/cluster';
import { Writers } from '../helpers/kv';

/**
 * The liveness bound: a paused sequencer costs its logs the controller's failover (the probe
 * noticing, SEQUENCER_GRACE_MS, a seal that waits SEAL_PATIENCE_MS for the paused log-server, the
 * appenders moving over), whether or not an operator acts at the same time. Before the fix, the
 * command held the failover up for over 12 s (a 2 s tail timeout plus a 10 s log-server timeout).
 */
const STALL_BOUND_MS = 10_000;
/** The command must end, one way or the other, within the same bound. */
const COMMAND_BOUND_MS = 10_000;

interface LogRow {
  log_id: number;
  loglet_id: string;
  sequencer_node_id: number | null;
}

describe('logs reconfigure / logs seal while the sequencer is paused', () => {
  let cluster: TestCluster;
  let table: PartitionTable;

  const logs = async () => (await cluster.ctlJson<{ logs: LogRow[] }>(['logs', 'list'])).logs;

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
    table = await cluster.partitionTable();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it.each([['reconfigure'], ['seal']])('logs %s: every partition keeps taking writes, the command ends with an answer', async (command) => {
    // The victim: a node other than N1 (which holds the metadata store) that sequences a log.
    let log = (await logs()).find((l) => l.sequencer_node_id === 2 || l.sequencer_node_id === 3);
    if (!log) {
      const moved = await cluster.ctl(['logs', 'reconfigure', '-l', '0', '--sequencer', 'N2', '--yes']);
      expect(moved.code, moved.stderr).toBe(0);
      log = await waitUntil('log 0 to be sequenced by N2', async () => (await logs()).find((l) => l.log_id === 0 && l.sequencer_node_id === 2));
    }
    const victim = `n${log.sequencer_node_id}`;
    const others = cluster.info.nodes.filter((n) => n.name !== victim);
    const writers = new Writers(() => others.map((n) => n.ingress), table.partitions.length, { prefix: `${command}-`, onePartitionEach: table });
    let paused = false;
    try {
      await waitUntil('every partition to take writes', async () => table.partitions.every((p) => (writers.ackedIn.get(p.id) ?? 0) > 5), 15_000);
      paused = true;
      await cluster.pause(victim);
      // The operator acts before the controller's failover (its probes take a second to notice).
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      const args = command === 'reconfigure' ? ['logs', 'reconfigure', '-l', String(log.log_id), '--yes'] : ['logs', 'seal', String(log.log_id), '--yes'];
      const result = await cluster.ctl(args, { env: { CAIRN_ADDRESS: others.map((n) => n.address).join(',') } });
      const took = Date.now() - started;
      // Still paused: every partition takes writes again, the paused sequencer's log included.
      const acked = new Map(table.partitions.map((p) => [p.id, writers.ackedIn.get(p.id) ?? 0]));
      await waitUntil('every partition to take writes with the sequencer still paused', async () =>
        table.partitions.every((p) => (writers.ackedIn.get(p.id) ?? 0) > acked.get(p.id)! + 5),
      );
      expect((await logs()).find((l) => l.log_id === log.log_id)!.sequencer_node_id).not.toBe(log.sequencer_node_id);
      console.log(
        `logs ${command} of log ${log.log_id} with ${victim} paused: exit ${result.code} after ${took} ms; longest pause per partition ` +
          table.partitions.map((p) => `p${p.id} ${writers.longestPauseIn.get(p.id)} ms`).join(', ') +
          (result.code ? `\n${result.stderr.trim()}` : ''),
      );
      for (const partition of table.partitions) expect(writers.longestPauseIn.get(partition.id), `partition ${partition.id}`).toBeLessThan(STALL_BOUND_MS);
      // Done, or refused because the controller replaced the segment first: never a hang.
      if (result.code !== 0) expect(result.stderr).toMatch(/reconfigured since, by the cluster controller[^]*logs describe/);
      expect(took, `cairnctl ${args.join(' ')}: ${result.stdout}${result.stderr}`).toBeLessThan(COMMAND_BOUND_MS);
    } finally {
      if (paused) cluster.kill(victim, 'SIGCONT');
      await writers.stop();
    }
    expect(writers.failed).toEqual([]);
    await writers.expectAllReadBack();
  }, 120_000);
});
