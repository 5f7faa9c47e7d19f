// `cairnctl partitions placement show [ids]` and `partitions leadership show [ids]`: restatectl 1.7's
// tables of each partition's replica set (with its document's version, and whether the controller
// manages it or an operator froze it) and of its leader (where it is pinned, whether election is
// frozen). Both print the same JSON entries.
import { formatVersion } from '../../../api/ids';
import type { CommandContext } from '../../context';
import { failuresOf, itemEntries } from '../../items';
import type { PartitionPoliciesJson } from '../../output/documents';
import { styled, table, type Cell, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import { freezeCell, leaderCell, policyEntry, readEpochs, replicaList, type PartitionEpoch } from './epochs';
import type { leadershipShowSpec, placementShowSpec } from './index';

async function show(ctx: CommandContext, ids: number[], header: string[], cells: (epoch: NonNullable<PartitionEpoch>) => Cell[]): Promise<View> {
  const results = await readEpochs(await ctx.cluster(), ids);
  const rows = results.flatMap(({ item, value, failure }): Cell[][] => {
    if (failure) return [];
    if (!value) return [[item, styled('MISSING', 'bad'), ...header.slice(2).map(() => '-')]];
    return [[item, ...cells(value)]];
  });
  const json: PartitionPoliciesJson = { partitions: itemEntries(results, (id, epoch) => policyEntry(id, epoch ?? null)) };
  return {
    json,
    blocks: rows.length ? [table(header, rows, { fit: { truncate: [header[header.length - 1]!] } })] : [],
    failures: failuresOf(results, (id) => `partition ${id}`),
  };
}

export const placement = {
  run: (ctx: CommandContext, args: ArgsOf<typeof placementShowSpec>) =>
    show(ctx, args.ids, ['PARTITION', 'CURRENT', 'NEXT', 'AUTOMATIC PLACEMENT'], ({ version, value }) => [
      value.replica_set.length ? `${replicaList(value.replica_set)} (${formatVersion(version)})` : styled('UNASSIGNED', 'warn'),
      '-',
      freezeCell(value.placement_policy?.freeze, styled('ENABLED', 'good')),
    ]),
};

export const leadership = {
  run: (ctx: CommandContext, args: ArgsOf<typeof leadershipShowSpec>) =>
    show(ctx, args.ids, ['PARTITION', 'LEADER', 'FREEZE'], ({ value }) => [leaderCell(value), freezeCell(value.leadership_policy?.freeze, '-')]),
};
