// The worker role's HTTP endpoints: snapshots of the partitions this node leads, its repository's
// view of a partition, and reads forwarded by other nodes' ingress.
import { ApiError } from '../../api/errors';
import type { CreateSnapshotRequest } from '../../api/schemas';
import type { HttpServer } from '../http/server';
import type { Bifrost } from '../bifrost/bifrost';
import type { PartitionManager } from './manager';
import type { PartitionProcessor } from './processor';
import type { PartitionStore } from './partition-store';
import type { SnapshotRepository } from './snapshot-repository';

const SNAPSHOT_WAIT_MS = 30_000;
const READ_WAIT_MS = 10_000;

export interface WorkerDeps {
  manager: () => PartitionManager | undefined;
  store: () => PartitionStore | undefined;
  bifrost: Bifrost;
  repository: SnapshotRepository | undefined;
  nodeName: string;
}

function partitionParam(text: string | undefined): number {
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id < 0) throw new ApiError('BAD_REQUEST', `invalid partition id '${text}'`);
  return id;
}

/** The processor of a partition this node leads, or why not. */
export function leading(deps: WorkerDeps, partitionId: number): PartitionProcessor {
  const processor = deps.manager()?.processor(partitionId);
  if (!processor) throw new ApiError('NOT_READY', `${deps.nodeName} runs no processor of partition ${partitionId}`, 'ask its leader');
  if (processor.mode !== 'leader') throw new ApiError('NOT_READY', `${deps.nodeName} is not the leader of partition ${partitionId}`, 'ask its leader');
  return processor;
}

/**
 * Reads a key once this replica has applied everything committed when the read arrived: on the
 * leader (what the ingress does), or with `anyReplica` on whichever replica this is.
 */
export async function readAsLeader(deps: WorkerDeps, partitionId: number, key: string, anyReplica = false): Promise<Buffer> {
  const processor = anyReplica ? deps.manager()?.processor(partitionId) : leading(deps, partitionId);
  if (!processor) throw new ApiError('NOT_READY', `${deps.nodeName} runs no processor of partition ${partitionId}`);
  const tail = await deps.bifrost.tailLsn(processor.partition.log_id);
  if (!(await processor.waitApplied(tail - 1, READ_WAIT_MS))) {
    throw new ApiError('NOT_READY', `partition ${partitionId} on ${deps.nodeName} has applied LSN ${processor.applied} of ${tail - 1}`, 'retry shortly');
  }
  const value = deps.store()!.get(partitionId, key);
  if (value === undefined) throw new ApiError('NOT_FOUND', `no value for key '${key}'`);
  return value;
}

export function bindWorkerRoutes(s: HttpServer, deps: WorkerDeps): void {
  s.route('workerSnapshot', async ({ params, json }) => {
    const id = partitionParam(params.partition);
    const processor = leading(deps, id);
    const { min_lsn: minLsn = 0, timeout_ms: waitMs = SNAPSHOT_WAIT_MS } = json as CreateSnapshotRequest;
    if (!(await processor.waitApplied(minLsn, waitMs))) {
      throw new ApiError(
        'TIMEOUT',
        `partition ${id} on ${deps.nodeName} has applied LSN ${processor.applied}, not yet ${minLsn}, after waiting ${waitMs} ms`,
        'wait longer with a larger --request-timeout, or check its progress with `cairnctl partitions list`',
      );
    }
    const latest = await processor.createSnapshot(minLsn, 0).catch((err: Error) => {
      throw new ApiError('UNAVAILABLE', `partition ${id}: ${err.message}`);
    });
    return {
      partition_id: id,
      log_id: latest.log_id,
      snapshot_id: latest.snapshot_id,
      min_applied_lsn: latest.min_applied_lsn,
      path: latest.path,
      node: latest.node_name,
      created_at: latest.created_at,
      trimmed_to: null,
    };
  });
  s.route('workerSnapshots', ({ params }) => {
    const id = partitionParam(params.partition);
    const latest = deps.repository?.latest(id);
    return {
      partition_id: id,
      repository: deps.repository?.root ?? null,
      node: deps.nodeName,
      archived_lsn: deps.repository?.archivedLsn(id) ?? null,
      snapshots: latest?.retained_snapshots ?? [],
    };
  });
  s.rawRoute('workerRead', async ({ params, query }) => ({
    headers: { 'content-type': 'application/octet-stream' },
    body: await readAsLeader(deps, partitionParam(params.partition), params.key!, query.get('replica') === 'any'),
  }));
}
