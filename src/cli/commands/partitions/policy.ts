// The placement and leadership changes: `partitions placement set|freeze|unfreeze` and `partitions
// leadership pin|unpin|freeze|unfreeze`. Each partition is changed by the admin API (a
// compare-and-set of pp_epoch_<pid> that checks the ids and nodes); every partition runs even when
// another fails, and each prints what it is now. Only an empty replica set asks first.
import { formatPlainId, formatVersion } from '../../../api/ids';
import type { EpochChangeOutcome, EpochChangeRequest } from '../../../api/schemas';
import { confirmChange } from '../../confirm';
import type { CommandContext } from '../../context';
import { eachItem, failuresOf, itemEntries } from '../../items';
import type { PartitionPolicyChangeJson } from '../../output/documents';
import { line, styled, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import { policyEntry, replicaList } from './epochs';
import type {
  leadershipFreezeSpec,
  leadershipPinSpec,
  leadershipUnfreezeSpec,
  leadershipUnpinSpec,
  placementFreezeSpec,
  placementSetSpec,
  placementUnfreezeSpec,
} from './index';

interface Wording {
  /** What a partition that changed says. */
  done: (id: number, outcome: EpochChangeOutcome) => string;
  /** What a partition that already was so says. */
  already: (id: number) => string;
  /** A warning about the result, if it needs one. */
  caveat?: (id: number, outcome: EpochChangeOutcome) => string | undefined;
}

async function change(ctx: CommandContext, ids: readonly number[], request: EpochChangeRequest, wording: Wording): Promise<View> {
  const cluster = await ctx.cluster();
  const results = await eachItem(ids, (id) => cluster.admin('changeEpoch', { params: { partition: id }, body: request }));
  const json: PartitionPolicyChangeJson = {
    results: itemEntries(results, (id, outcome) => ({
      ...policyEntry(id, outcome ? { version: outcome.version, value: outcome.epoch } : null),
      changed: outcome?.changed ?? null,
    })),
  };
  return {
    json,
    blocks: results.flatMap(({ item, value }) => (value ? [line(value.changed ? wording.done(item, value) : wording.already(item))] : [])),
    warnings: results.flatMap(({ item, value }) => (value && wording.caveat?.(item, value)) || []),
    failures: failuresOf(results, (id) => `partition ${id}`),
  };
}

/** A handler that applies the same change to every partition named. */
const each = <A extends { ids: number[] }>(request: (args: A) => EpochChangeRequest, wording: (args: A) => Wording) => ({
  run: (ctx: CommandContext, args: A) => change(ctx, args.ids, request(args), wording(args)),
});

export const placementSet = {
  async run(ctx: CommandContext, args: ArgsOf<typeof placementSetSpec>): Promise<View> {
    const partitions = (await (await ctx.cluster()).metadata('partition_table')).value.partitions;
    // An unknown partition is the server's error to give; only a real emptying is asked about.
    if (args.replicas.length === 0 && partitions.some((p) => p.id === args.id)) {
      const outcome = args.freeze === undefined ? 'until the cluster controller places it again' : 'until its placement is set again (it stays frozen)';
      const warning = line(styled(`warning: with an empty replica set no node runs partition ${args.id}: it takes no reads or writes ${outcome}.`, 'warn'));
      await confirmChange(ctx, `Set an empty replica set for partition ${args.id}?`, { json: null, blocks: [warning] });
    }
    return change(ctx, [args.id], { change: 'set-replicas', replicas: args.replicas, ...(args.freeze === undefined ? {} : { freeze_reason: args.freeze }) }, {
      done: (id, { version, epoch }) => {
        const frozen = epoch.placement_policy?.freeze;
        return `Partition ${id} replica set is now ${epoch.replica_set.length ? replicaList(epoch.replica_set) : 'empty'} (${formatVersion(version)}).${frozen ? ` Automatic placement is frozen: ${frozen.reason}.` : ''}`;
      },
      already: (id) => `Partition ${id} already has that replica set; nothing changed.`,
    });
  },
};

export const freezePlacement = each<ArgsOf<typeof placementFreezeSpec>>(
  (args) => ({ change: 'freeze-placement', reason: args.reason }),
  () => ({ done: (id) => `Froze placement of partition ${id}.`, already: (id) => `Placement of partition ${id} is already frozen for that reason; nothing changed.` }),
);

export const unfreezePlacement = each<ArgsOf<typeof placementUnfreezeSpec>>(
  () => ({ change: 'unfreeze-placement' }),
  () => ({ done: (id) => `Unfroze placement of partition ${id}.`, already: (id) => `Placement of partition ${id} is not frozen; nothing changed.` }),
);

export const pinLeader = each<ArgsOf<typeof leadershipPinSpec>>(
  (args) => ({ change: 'pin-leader', node: args.node }),
  (args) => ({
    done: (id) => `Pinned partition ${id} leader to node ${formatPlainId(args.node)}.`,
    already: (id) => `Partition ${id} leader is already pinned to node ${formatPlainId(args.node)}; nothing changed.`,
    caveat: (id, { epoch }) =>
      epoch.placement_policy?.freeze && !epoch.replica_set.includes(args.node)
        ? `partition ${id}: ${formatPlainId(args.node)} is not in its frozen replica set ${replicaList(epoch.replica_set)}, so it cannot lead until it is (cairnctl partitions placement set ${id} --replicas ...)`
        : undefined,
  }),
);

export const unpinLeader = each<ArgsOf<typeof leadershipUnpinSpec>>(
  () => ({ change: 'unpin-leader' }),
  () => ({ done: (id) => `Unpinned partition ${id} leader.`, already: (id) => `Partition ${id} leader is not pinned; nothing changed.` }),
);

export const freezeLeadership = each<ArgsOf<typeof leadershipFreezeSpec>>(
  (args) => ({ change: 'freeze-leadership', reason: args.reason }),
  () => ({ done: (id) => `Froze leader election for partition ${id}.`, already: (id) => `Leader election for partition ${id} is already frozen for that reason; nothing changed.` }),
);

export const unfreezeLeadership = each<ArgsOf<typeof leadershipUnfreezeSpec>>(
  () => ({ change: 'unfreeze-leadership' }),
  () => ({ done: (id) => `Unfroze leader election for partition ${id}.`, already: (id) => `Leader election for partition ${id} is not frozen; nothing changed.` }),
);
