// Operators' changes to a partition's placement and leadership (`partitions placement ...`,
// `partitions leadership ...`): a read-modify-write of pp_epoch_<pid> with compare-and-set, checked
// here so that every client gets the same errors. The cluster controller reads the result on its
// next tick: it moves the leader to a pinned node and leaves whatever is frozen as it is.
import { ApiError } from '../../api/errors';
import { formatNodeSet, formatPlainId } from '../../api/ids';
import { epochKey, type EpochChangeOutcome, type EpochChangeRequest, type EpochMetadata, type Freeze, type NodesConfiguration } from '../../api/schemas';
import type { Logger } from '../logger';
import type { MetadataManager } from '../metadata/manager';

/** A partition that has never been placed: no leader, no replicas, no policy. */
const UNPLACED: EpochMetadata = { epoch: 0, leader: null, replica_set: [] };

/** The node as a member of the cluster that can run partitions, or why not. */
function checkWorker(nodes: NodesConfiguration, id: number, what: string): void {
  const node = nodes.nodes.find((n) => n.id === id);
  if (!node) {
    const removed = nodes.tombstones.some((t) => t.id === id);
    throw new ApiError('NOT_FOUND', `Cannot ${what} because node ${formatPlainId(id)} is not part of the cluster.`, `${removed ? `${formatPlainId(id)} was removed; ` : ''}pick nodes that \`cairnctl nodes list\` shows`);
  }
  if (!node.roles.includes('worker')) {
    throw new ApiError('BAD_REQUEST', `Cannot ${what} because node ${formatPlainId(id)} does not have the worker role (it has ${node.roles.join(', ')}).`, 'pick nodes with the worker role: `cairnctl nodes list`');
  }
}

type LeadershipPolicy = NonNullable<EpochMetadata['leadership_policy']>;
type PlacementPolicy = NonNullable<EpochMetadata['placement_policy']>;

/** `doc` with these policies; an empty policy is left out, so that undoing a change restores the document. */
function withPolicies(doc: EpochMetadata, leadership: LeadershipPolicy, placement: PlacementPolicy): EpochMetadata {
  const { leadership_policy: _leadership, placement_policy: _placement, ...core } = doc;
  return {
    ...core,
    ...(Object.keys(leadership).length ? { leadership_policy: leadership } : {}),
    ...(Object.keys(placement).length ? { placement_policy: placement } : {}),
  };
}

/** `doc` with the change applied (its arguments are checked already). Freezing again for the same
 *  reason keeps the original time. */
function apply(doc: EpochMetadata, request: EpochChangeRequest, now: string): EpochMetadata {
  const leadership: LeadershipPolicy = { ...doc.leadership_policy };
  const placement: PlacementPolicy = { ...doc.placement_policy };
  const freeze = (reason: string, existing: Freeze | undefined): Freeze => (existing?.reason === reason ? existing : { reason, frozen_at: now });
  let core = doc;
  switch (request.change) {
    case 'set-replicas':
      core = { ...doc, replica_set: request.replicas };
      if (request.freeze_reason !== undefined) placement.freeze = freeze(request.freeze_reason, placement.freeze);
      break;
    case 'freeze-placement':
    case 'freeze-leadership': {
      const policy = request.change === 'freeze-placement' ? placement : leadership;
      policy.freeze = freeze(request.reason, policy.freeze);
      break;
    }
    case 'unfreeze-placement':
    case 'unfreeze-leadership':
      delete (request.change === 'unfreeze-placement' ? placement : leadership).freeze;
      break;
    case 'pin-leader':
      leadership.affinity = request.node;
      break;
    case 'unpin-leader':
      delete leadership.affinity;
      break;
  }
  return withPolicies(core, leadership, placement);
}

export class PartitionOperations {
  constructor(
    private readonly metadata: MetadataManager,
    private readonly logger: Logger,
  ) {}

  async change(partitionId: number, request: EpochChangeRequest): Promise<EpochChangeOutcome> {
    const table = this.metadata.require('partition_table').value;
    if (!table.partitions.some((p) => p.id === partitionId)) {
      throw new ApiError('NOT_FOUND', `Partition ${partitionId} does not exist.`, `partitions are 0 to ${table.partitions.length - 1}: \`cairnctl partitions placement show\``);
    }
    const nodes = this.metadata.require('nodes_config').value;
    if (request.change === 'set-replicas') {
      if (new Set(request.replicas).size !== request.replicas.length) {
        throw new ApiError('BAD_REQUEST', 'Replica node IDs must be unique.', `${formatNodeSet(request.replicas)} names a node twice; list each node once`);
      }
      for (const id of request.replicas) checkWorker(nodes, id, 'place partition');
    }
    if (request.change === 'pin-leader') checkWorker(nodes, request.node, 'pin the partition leader');

    let changed = false;
    const now = new Date().toISOString();
    const updated = await this.metadata.update(epochKey(partitionId), (stored) => {
      const current = stored ?? UNPLACED;
      const next = apply(current, request, now);
      changed = JSON.stringify(next) !== JSON.stringify(current);
      return changed ? next : undefined;
    });
    const version = updated?.version;
    if (version === undefined) {
      // Nothing stored and nothing to change (unfreezing a partition that was never placed).
      throw new ApiError('NOT_READY', `partition ${partitionId} has not been placed yet`, 'the cluster controller places it once its log exists; retry shortly');
    }
    if (changed) this.logger.info({ partition: partitionId, request, version }, 'partition placement or leadership changed by an operator');
    return { partition_id: partitionId, changed, version, epoch: updated!.value };
  }
}
