// The admin role's HTTP endpoints: node changes, log operations, partition placement, leadership and
// snapshots, cluster state.
import { ApiError, isErrorCode } from '../../api/errors';
import { HttpStatusError, type HttpClient } from '../../api/http-client';
import { formatPlainId } from '../../api/ids';
import { epochKey, type CreateSnapshotRequest, type EpochChangeRequest, type MetadataWriteRequest, type ReconfigureLogRequest, type SealOutcome, type TrimLogRequest } from '../../api/schemas';
import type { HttpServer } from '../http/server';
import type { MetadataManager } from '../metadata/manager';
import { knownKey } from '../metadata/service';
import type { ClusterController } from './controller';
import type { LogOperations } from './log-ops';
import type { NodeOperations } from './node-ops';
import type { PartitionOperations } from './partition-ops';

const SNAPSHOT_TIMEOUT_MS = 60_000;

export interface AdminDeps {
  ops: () => LogOperations;
  nodeOps: NodeOperations;
  partitionOps: PartitionOperations;
  controller: () => ClusterController;
  metadata: MetadataManager;
  http: HttpClient;
}

export function idParam(text: string | undefined, what: string): number {
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id < 0) throw new ApiError('BAD_REQUEST', `invalid ${what} id '${text}': expected a whole number`);
  return id;
}

/** The address of the node leading a partition, or NOT_READY. */
export function leaderAddress(metadata: MetadataManager, partitionId: number): { id: number; address: string } {
  const table = metadata.require('partition_table').value;
  if (!table.partitions.some((p) => p.id === partitionId)) {
    throw new ApiError('NOT_FOUND', `partition ${partitionId} does not exist`, `partitions are 0 to ${table.partitions.length - 1}`);
  }
  const leader = metadata.get(epochKey(partitionId))?.value.leader;
  const node = leader ? metadata.require('nodes_config').value.nodes.find((n) => n.id === leader) : undefined;
  if (!node) throw new ApiError('NOT_READY', `partition ${partitionId} has no leader right now`, 'the cluster controller picks one among its alive replicas; retry shortly');
  return { id: node.id, address: node.address };
}

export function bindAdminRoutes(s: HttpServer, deps: AdminDeps): void {
  const { ops, nodeOps, partitionOps, metadata, http } = deps;
  const log = (params: Record<string, string>) => idParam(params.log, 'log');
  const partition = (params: Record<string, string>) => idParam(params.partition, 'partition');

  s.route('setStorageState', ({ json }) => nodeOps.setStorageState(json as never));
  s.route('setWorkerState', ({ json }) => nodeOps.setWorkerState(json as never));
  s.route('removeNodes', ({ json }) => nodeOps.removeNodes(json as never));
  s.route('clusterState', () => ({
    nodes: metadata.require('nodes_config').value.nodes.map((node) => {
      const peer = deps.controller().peers.get(node.id);
      return { node_id: node.id, generation: node.generation, alive: !!peer?.alive, last_seen_alive: peer?.lastSeenAlive?.toISOString() ?? null };
    }),
  }));

  s.route('metadataPut', ({ params, json }) => {
    const body = json as MetadataWriteRequest;
    return metadata.write(knownKey(params.key!), body.value, { expected: body.version, dryRun: body.dry_run, force: body.force });
  });

  s.route('findTail', ({ params }) => ops().findTail(log(params)));
  s.route('describeLog', ({ params }) => ({ log_id: log(params), trim_point_lsn: ops().trimPoint(log(params)) }));
  s.route('sealLog', ({ params, json }): Promise<SealOutcome> => {
    const body = json as { reason?: string; segment_index?: number };
    return ops().sealAndExtend(log(params), { segmentIndex: body.segment_index, reason: body.reason ?? 'sealed by an operator', source: 'cairnctl', extend: false });
  });
  s.route('reconfigureLog', ({ params, json }) => {
    const body = json as ReconfigureLogRequest;
    return ops().sealAndExtend(log(params), {
      segmentIndex: body.segment_index,
      sequencer: body.sequencer,
      nodeset: body.nodeset,
      replication: body.replication,
      reason: body.reason ?? 'reconfigured by an operator',
      source: 'cairnctl',
      extend: true,
      dryRun: body.dry_run,
    });
  });
  /**
   * The archived LSN as the partition's leader reads it from the repository now: a snapshot just
   * published is not in the probe reports yet. Falls back to those reports (older, so never less
   * safe: the archived LSN only grows) if the leader is silent or has no repository.
   */
  const currentArchivedLsn = async (logId: number): Promise<number | undefined> => {
    const owner = metadata.require('partition_table').value.partitions.find((p) => p.log_id === logId);
    if (!owner) return undefined;
    try {
      const listing = await http.call(leaderAddress(metadata, owner.id).address, 'workerSnapshots', { params: { partition: owner.id }, timeoutMs: 3_000 });
      // A leader without a repository of its own knows nothing; the replicas' reports may.
      return listing.archived_lsn ?? undefined;
    } catch {
      return undefined;
    }
  };
  s.route('trimLog', async ({ params, json }) => {
    const body = json as TrimLogRequest;
    const archived = await currentArchivedLsn(log(params));
    return ops().trim(log(params), body.trim_point, { force: body.force ?? false, dryRun: body.dry_run ?? false, archived });
  });

  s.route('changeEpoch', ({ params, json }) => partitionOps.change(partition(params), json as EpochChangeRequest));

  s.route('createSnapshot', async ({ params, json }) => {
    const id = partition(params);
    const body = json as CreateSnapshotRequest;
    const leader = leaderAddress(metadata, id);
    const created = await http
      .call(leader.address, 'workerSnapshot', {
        params: { partition: id },
        body: { min_lsn: body.min_lsn, timeout_ms: body.timeout_ms },
        // The leader answers once its own wait is over; allow for the snapshot's copy on top of it.
        timeoutMs: (body.timeout_ms ?? 0) + SNAPSHOT_TIMEOUT_MS,
      })
      .catch((err: unknown) => {
        // The leader's refusal (a TIMEOUT of its --min-lsn wait, say) is the answer, as it gave it.
        if (err instanceof HttpStatusError && err.body && isErrorCode(err.body.code)) throw new ApiError(err.body.code, err.body.message, err.body.hint);
        throw err;
      });
    if (!body.trim_log) return created;
    // Only up to the archived LSN: with several snapshots retained, that of the oldest.
    const archived = await currentArchivedLsn(created.log_id);
    const trimmed = await ops().trim(created.log_id, archived ?? created.min_applied_lsn, { force: false, dryRun: false, archived });
    return { ...created, trimmed_to: trimmed.trim_point };
  });
  s.route('listSnapshots', ({ params }) => {
    const id = partition(params);
    const leader = leaderAddress(metadata, id);
    return http.call(leader.address, 'workerSnapshots', { params: { partition: id }, timeoutMs: 10_000 }).catch((err: Error) => {
      // The leader may have answered that it cannot read its repository (S3 down), which says why.
      const outcome = err instanceof HttpStatusError ? 'cannot list its snapshots' : 'did not answer';
      throw new ApiError('UNAVAILABLE', `the leader of partition ${id} (${formatPlainId(leader.id)}) ${outcome}: ${err.message}`);
    });
  });
}
