// `cairnctl snapshots create-snapshot [ids] [--min-lsn N] [--trim-log]`.
import type { SnapshotInfo } from '../../../api/schemas';
import type { CommandContext } from '../../context';
import { CliError, EXIT, mapError } from '../../errors';
import { withProgress } from '../../output/progress';
import { line, type Block, type View } from '../../output/view';
import { snapshotLocation } from './list';

export interface CreateArgs {
  ids: number[];
  minLsn?: number;
  trimLog?: boolean;
}

export async function run(ctx: CommandContext, args: CreateArgs): Promise<View> {
  const cluster = await ctx.cluster();
  const table = (await cluster.metadata('partition_table')).value;
  const ids = args.ids.length ? args.ids : table.partitions.map((p) => p.id);
  const missing = ids.filter((id) => !table.partitions.some((p) => p.id === id));
  if (missing.length) throw new CliError(`no such partition: ${missing.join(', ')}`, EXIT.NOT_FOUND, `partitions are 0 to ${table.partitions.length - 1}`);

  const results: Array<{ partition_id: number; snapshot: SnapshotInfo | null; error: string | null }> = [];
  for (const id of ids) {
    try {
      const snapshot = await withProgress(ctx.io, `creating a snapshot of partition ${id}`, () =>
        cluster.admin('createSnapshot', { params: { partition: id }, body: { min_lsn: args.minLsn, trim_log: args.trimLog }, timeoutMs: 120_000 }),
      );
      results.push({ partition_id: id, snapshot, error: null });
    } catch (err) {
      results.push({ partition_id: id, snapshot: null, error: mapError(err).message });
    }
  }
  const blocks: Block[] = results.flatMap((r) => {
    if (!r.snapshot) return [line({ icon: 'err' }, ` partition ${r.partition_id}: ${r.error}`)];
    const s = r.snapshot;
    return [
      line(`Snapshot created for partition ${s.partition_id}: ${s.snapshot_id} (log ${s.log_id} @ LSN >= ${s.min_applied_lsn})`),
      ...(s.trimmed_to !== null ? [line(`Log ${s.log_id} trimmed to LSN ${s.trimmed_to}`)] : []),
      line(`Stored in ${snapshotLocation(s.repository, s.partition_id, s.path)}`),
    ];
  });
  const failed = results.filter((r) => r.error);
  return {
    json: { snapshots: results },
    blocks,
    exitCode: failed.length ? EXIT.FAILED : EXIT.OK,
  };
}
