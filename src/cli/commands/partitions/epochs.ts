// What the placement and leadership commands, `partitions list` and `doctor` share: each partition's
// pp_epoch_<pid> as the freshest node has it, the JSON entry describing its placement and
// leadership, and how a pin or a freeze reads in a table.
import { formatPlainId } from '../../../api/ids';
import { epochKey, type EpochMetadata, type Freeze } from '../../../api/schemas';
import type { ClusterConnection, Versioned } from '../../connection';
import { EXIT, mapError } from '../../errors';
import { eachItem, type ItemResult } from '../../items';
import type { PartitionPoliciesJson } from '../../output/documents';
import { styled, type Cell } from '../../output/view';
import { noSuchPartition } from '../snapshots/create';

/** A partition's epoch document and its version, or null when it has none yet (never placed: MISSING). */
export type PartitionEpoch = Pick<Versioned<EpochMetadata>, 'version' | 'value'> | null;

/** The epochs of `ids` (every partition when empty), one result per partition; an unknown id fails alone. */
export async function readEpochs(cluster: ClusterConnection, ids: readonly number[]): Promise<Array<ItemResult<number, PartitionEpoch>>> {
  const partitions = (await cluster.metadata('partition_table')).value.partitions;
  const wanted = ids.length ? ids : partitions.map((p) => p.id);
  return eachItem(
    wanted,
    async (id) => {
      if (!partitions.some((p) => p.id === id)) throw noSuchPartition(id, partitions.length);
      return cluster.metadata(epochKey(id)).catch((err: unknown) => {
        if (mapError(err).exitCode === EXIT.NOT_FOUND) return null;
        throw err;
      });
    },
    { parallel: true },
  );
}

/** Whether the pinned node leads as a replica (null without a pin). */
export const pinSatisfied = (doc: EpochMetadata): boolean | null => {
  const pin = doc.leadership_policy?.affinity;
  return pin === undefined ? null : doc.leader === pin && doc.replica_set.includes(pin);
};

/** Whether an operator pinned or froze anything of this partition. */
export const isHeld = (doc: EpochMetadata): boolean => !!(doc.leadership_policy || doc.placement_policy);

type PolicyEntry = Omit<PartitionPoliciesJson['partitions'][number], 'error'>;

export function policyEntry(partitionId: number, epoch: PartitionEpoch): PolicyEntry {
  const doc = epoch?.value;
  return {
    partition_id: partitionId,
    version: epoch?.version ?? null,
    epoch: doc?.epoch ?? null,
    leader_node_id: doc?.leader ?? null,
    replica_set: doc?.replica_set ?? null,
    pinned_node_id: doc?.leadership_policy?.affinity ?? null,
    pin_satisfied: doc ? pinSatisfied(doc) : null,
    leadership_frozen: doc?.leadership_policy?.freeze ?? null,
    placement_frozen: doc?.placement_policy?.freeze ?? null,
  };
}

/** `[N3, N1]`, in the document's order (the reference shows it unsorted). */
export const replicaList = (ids: readonly number[]): string => `[${ids.map(formatPlainId).join(', ')}]`;

/** `FROZEN: <reason>` (or `fallback` when not frozen). */
export const freezeCell = (freeze: Freeze | undefined, fallback: Cell): Cell => (freeze ? styled(`FROZEN: ${freeze.reason}`, 'warn') : fallback);

/** restatectl's LEADER cell: `N2`, `none`, `N1 → 2` (pin pending) or `N1 → 2 ✗` (pin target not a replica). */
export function leaderCell(doc: EpochMetadata): Cell {
  const leader = doc.leader === null ? 'none' : formatPlainId(doc.leader);
  const pin = doc.leadership_policy?.affinity;
  if (pin === undefined || pin === doc.leader) return leader;
  return doc.replica_set.includes(pin) ? styled(`${leader} → ${pin}`, 'warn') : styled(`${leader} → ${pin} ✗`, 'bad');
}
