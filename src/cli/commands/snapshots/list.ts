// `cairnctl snapshots list [ids]`: what each partition's repository holds, located by URL
// (s3://bucket/prefix/..., file:///...).
import type { CommandContext } from '../../context';
import { eachItem, failuresOf, itemEntries } from '../../items';
import type { SnapshotsListJson } from '../../output/documents';
import { styled, table, type Cell, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import { noSuchPartition } from './create';
import type { snapshotsListSpec } from './index';

/** Where a snapshot's folder is: its repository's URL, the partition, the folder. */
export const snapshotLocation = (repository: string, partitionId: number, folder: string) => `${repository}/${partitionId}/${folder}/`;

export async function run(ctx: CommandContext, args: ArgsOf<typeof snapshotsListSpec>): Promise<View> {
  const cluster = await ctx.cluster();
  const partitions = (await cluster.metadata('partition_table')).value.partitions;
  const ids = args.ids.length ? args.ids : partitions.map((p) => p.id);
  const results = await eachItem(
    ids,
    (id) => (partitions.some((p) => p.id === id) ? cluster.admin('listSnapshots', { params: { partition: id } }) : Promise.reject(noSuchPartition(id, partitions.length))),
    { parallel: true },
  );
  const rows: Cell[][] = results.flatMap(({ item, value: listing }): Cell[][] => {
    if (!listing) return [];
    if (!listing.repository) return [[item, styled('no snapshot repository configured', 'warn'), '', '', listing.node, '']];
    if (listing.snapshots.length === 0) return [[item, '-', '-', '-', listing.node, listing.repository]];
    return listing.snapshots.map((s) => [item, s.snapshot_id, s.min_applied_lsn, { time: s.created_at, style: 'rough' }, listing.node, snapshotLocation(listing.repository!, item, s.path)]);
  });
  const json: SnapshotsListJson = {
    partitions: itemEntries(results, (partition_id, listing) => ({
      partition_id,
      repository: listing?.repository ?? null,
      node_name: listing?.node ?? null,
      archived_lsn: listing?.archived_lsn ?? null,
      snapshots: listing?.snapshots ?? [],
    })),
  };
  return {
    json,
    blocks: rows.length ? [table(['PARTITION', 'SNAPSHOT-ID', 'LSN', 'CREATED-AT', 'NODE', 'PATH'], rows, { fit: { truncate: ['PATH'] } })] : [],
    failures: failuresOf(results, (id) => `partition ${id}`),
  };
}
