// `cairnctl snapshots list [ids]`: what each partition's repository holds, located by URL
// (s3://bucket/prefix/..., file:///...).
import type { PartitionSnapshots } from '../../../api/schemas';
import type { CommandContext } from '../../context';
import { CliError, EXIT, mapError } from '../../errors';
import { styled, table, type Cell, type View } from '../../output/view';

/** Where a snapshot's folder is: its repository's URL, the partition, the folder. */
export const snapshotLocation = (repository: string, partitionId: number, folder: string) => `${repository}/${partitionId}/${folder}/`;

export async function run(ctx: CommandContext, args: { ids: number[] }): Promise<View> {
  const cluster = await ctx.cluster();
  const partitionTable = (await cluster.metadata('partition_table')).value;
  const ids = args.ids.length ? args.ids : partitionTable.partitions.map((p) => p.id);
  const missing = ids.filter((id) => !partitionTable.partitions.some((p) => p.id === id));
  if (missing.length) throw new CliError(`no such partition: ${missing.join(', ')}`, EXIT.NOT_FOUND);
  const results = await Promise.all(
    ids.map(async (id): Promise<{ partition_id: number; listing: PartitionSnapshots | null; error: string | null }> => {
      try {
        return { partition_id: id, listing: await cluster.admin('listSnapshots', { params: { partition: id } }), error: null };
      } catch (err) {
        return { partition_id: id, listing: null, error: mapError(err).message };
      }
    }),
  );
  const rows: Cell[][] = results.flatMap((r): Cell[][] => {
    if (!r.listing) return [[r.partition_id, styled(r.error!, 'bad'), '', '', '', '']];
    if (!r.listing.repository) return [[r.partition_id, styled('no snapshot repository configured', 'warn'), '', '', r.listing.node, '']];
    if (r.listing.snapshots.length === 0) return [[r.partition_id, '-', '-', '-', r.listing.node, r.listing.repository]];
    return r.listing.snapshots.map((s) => [r.partition_id, s.snapshot_id, s.min_applied_lsn, { time: s.created_at, style: 'rough' }, r.listing!.node, snapshotLocation(r.listing!.repository!, r.partition_id, s.path)]);
  });
  const failed = results.filter((r) => r.error);
  return {
    json: { partitions: results.map((r) => r.listing ?? { partition_id: r.partition_id, error: r.error }) },
    blocks: [table(['PARTITION', 'SNAPSHOT-ID', 'LSN', 'CREATED-AT', 'NODE', 'PATH'], rows)],
    exitCode: failed.length ? EXIT.FAILED : EXIT.OK,
  };
}
