// Snapshot and trim while a node is down: the trim skips the down log-server, which must then be
// caught up past the trim point when it returns. Half the time `create-snapshot --trim-log`, half
// the time a snapshot followed by `logs trim` to its LSN; one partition or all of them.
import type { CreateSnapshotJson, TrimJson } from '../../../src/cli/output/documents';
import type { Fault, FaultContext } from '../nemesis';

async function snapshotAndTrim(ctx: FaultContext, partitions: number[]): Promise<void> {
  const ids = partitions.map(String);
  if (ctx.rng.chance(0.5)) {
    const result = await ctx.cluster.ctl(['snapshots', 'create-snapshot', ...ids, '--trim-log', '--yes']);
    const snapshots = (result.json as CreateSnapshotJson | undefined)?.snapshots ?? [];
    const detail = snapshots.map((s) => `p${s.partition_id}:${s.error ? `error ${s.error}` : `trimmed to ${s.trimmed_to}`}`).join(' ');
    ctx.event('snapshot+trim', `p${ids.join(',p')}`, detail || result.error);
    return;
  }
  const created = await ctx.cluster.ctl(['snapshots', 'create-snapshot', ...ids]);
  const snapshots = (created.json as CreateSnapshotJson | undefined)?.snapshots ?? [];
  if (!snapshots.length) ctx.event('snapshot', `p${ids.join(',p')}`, created.error);
  for (const { partition_id, log_id, min_applied_lsn, error } of snapshots) {
    if (error !== null || log_id === null || min_applied_lsn === null) {
      ctx.event('snapshot', `p${partition_id}`, `error ${error}`);
      continue;
    }
    const trimmed = await ctx.cluster.ctl(['logs', 'trim', String(log_id), '--trim-point', String(min_applied_lsn), '--yes']);
    const outcome = (trimmed.json as TrimJson | undefined)?.logs?.[0];
    ctx.event('snapshot, trim', `log ${log_id}`, trimmed.ok && outcome ? `trim point ${outcome.trim_point} (snapshot at ${min_applied_lsn})` : `error ${outcome?.error ?? trimmed.error}`);
  }
}

export function trimFault(): Fault {
  return {
    name: 'trim',
    summary: 'kill -9 a node (not one serving the embedded metadata store), snapshot and trim while it is down, restart it',
    async run(ctx) {
      // Not a node serving the embedded metadata store: with it down no trim can be recorded.
      const target = ctx.rng.pick(ctx.cluster.nodesWithoutMetadata());
      ctx.event('kill -9', target, `pid ${ctx.cluster.kill(target)}`);
      // Past the failover grace, so that the partitions it led have moved and writes go on.
      await ctx.sleep(ctx.rng.int(3_000, 5_000));
      const all = await ctx.partitionIds();
      await snapshotAndTrim(ctx, ctx.rng.chance(0.5) ? all : [ctx.rng.pick(all)]);
      await ctx.sleep(ctx.rng.int(2_000, 6_000));
      await ctx.restart();
    },
  };
}
