// `cairnctl snapshots create-snapshot [ids] [--min-lsn N] [--trim-log]`.
import { confirmChange } from '../../confirm';
import type { CommandContext } from '../../context';
import { CliError, EXIT } from '../../errors';
import { eachItem, failuresOf, itemEntries } from '../../items';
import type { CreateSnapshotJson } from '../../output/documents';
import { withProgress } from '../../output/progress';
import { line, type Block, type View } from '../../output/view';
import { snapshotLocation } from './list';
import type { ArgsOf } from '../../registry';
import type { createSnapshotSpec } from './index';

export const noSuchPartition = (id: number, count: number) =>
  new CliError(`no such partition: ${id}`, EXIT.NOT_FOUND, count ? `partitions are 0 to ${count - 1}` : 'the cluster has no partitions');

export async function run(ctx: CommandContext, args: ArgsOf<typeof createSnapshotSpec>): Promise<View> {
  const cluster = await ctx.cluster();
  const partitions = (await cluster.metadata('partition_table')).value.partitions;
  const ids = args.ids.length ? args.ids : partitions.map((p) => p.id);
  const known = ids.filter((id) => partitions.some((p) => p.id === id));
  if (args.trimLog && known.length) {
    const which = known.length === 1 ? `partition ${known[0]}` : `${known.length} partitions`;
    await confirmChange(ctx, `Snapshot ${which} and trim ${known.length === 1 ? 'its log' : 'their logs'} up to the archived LSN? Trimmed records are gone for good.`);
  }
  // The whole call is bounded by --request-timeout; the leader gives up waiting for --min-lsn a
  // little before, so that it can say how far it got.
  const timeoutMs = ctx.options.requestTimeout;
  const waitMs = Math.max(1, timeoutMs - Math.min(1_000, Math.floor(timeoutMs / 4)));
  const results = await eachItem(ids, (id) => {
    if (!known.includes(id)) return Promise.reject(noSuchPartition(id, partitions.length));
    const waiting = args.minLsn === undefined ? '' : ` (waiting for LSN ${args.minLsn})`;
    return withProgress(ctx.io, `creating a snapshot of partition ${id}${waiting}`, () =>
      cluster.admin('createSnapshot', { params: { partition: id }, body: { min_lsn: args.minLsn, trim_log: args.trimLog, timeout_ms: waitMs }, timeoutMs }),
    );
  });
  const json: CreateSnapshotJson = {
    snapshots: itemEntries(results, (partition_id, s) => ({
      partition_id,
      log_id: s?.log_id ?? null,
      snapshot_id: s?.snapshot_id ?? null,
      min_applied_lsn: s?.min_applied_lsn ?? null,
      repository: s?.repository ?? null,
      path: s?.path ?? null,
      node_name: s?.node ?? null,
      created_at: s?.created_at ?? null,
      trimmed_to: s?.trimmed_to ?? null,
    })),
  };
  const blocks: Block[] = results.flatMap(({ value: s }) =>
    s
      ? [
          line(`Snapshot created for partition ${s.partition_id}: ${s.snapshot_id} (log ${s.log_id} @ LSN >= ${s.min_applied_lsn})`),
          ...(s.trimmed_to !== null ? [line(`Log ${s.log_id} trimmed to LSN ${s.trimmed_to}`)] : []),
          line(`Stored in ${snapshotLocation(s.repository, s.partition_id, s.path)}`),
        ]
      : [],
  );
  return { json, blocks, failures: failuresOf(results, (id) => `partition ${id}`) };
}
