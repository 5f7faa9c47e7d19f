// The worker role's HTTP endpoints: snapshots of the partitions this node leads, its repository's
// view of a partition, and reads forwarded by other nodes' ingress (served by this node's replica).
import { ApiError } from '../../api/errors';
import type { CreateSnapshotRequest } from '../../api/schemas';
import type { HttpServer } from '../http/server';
import type { Bifrost } from '../bifrost/bifrost';
import type { PartitionManager } from './manager';
import type { PartitionProcessor } from './processor';
import type { PartitionStore } from './partition-store';
import { archivedLsnOf, type SnapshotRepository } from './snapshot-repository';

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
  const why = !processor ? 'runs no processor of' : processor.mode !== 'leader' ? 'is not the leader of' : undefined;
  if (why) throw new ApiError('NOT_READY', `${deps.nodeName} ${why} partition ${partitionId}`, 'retry in a moment: leadership may be moving; ask its current leader');
  return processor!;
}

/**
 * Reads a key once this replica has applied everything committed when the read arrived. The tail is
 * confirmed with the log-servers (Bifrost.confirmedTailLsn), so the answer is current whichever
 * replica gives it, even one that was paused: the ingress sends reads to the leader, and while
 * leadership moves the old and the new leader answer alike.
 */
export async function readKey(deps: WorkerDeps, partitionId: number, key: string): Promise<Buffer> {
  const processor = deps.manager()?.processor(partitionId);
  if (!processor) throw new ApiError('NOT_READY', `${deps.nodeName} runs no processor of partition ${partitionId}`, 'retry in a moment; ask its current leader');
  if (processor.stoppedReason) throw new ApiError('NOT_READY', `partition ${partitionId} on ${deps.nodeName} is stopped: ${processor.stoppedReason}`, 'ask another replica');
  const deadline = Date.now() + READ_WAIT_MS;
  const tail = await deps.bifrost.confirmedTailLsn(processor.partition.log_id, deadline);
  if (!(await processor.waitApplied(tail - 1, Math.max(0, deadline - Date.now())))) {
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
      throw new ApiError('UNAVAILABLE', err.message);
    });
    return {
      partition_id: id,
      log_id: latest.log_id,
      snapshot_id: latest.snapshot_id,
      min_applied_lsn: latest.min_applied_lsn,
      repository: deps.repository!.url,
      path: latest.path,
      node: latest.node_name,
      created_at: latest.created_at,
      trimmed_to: null,
    };
  });
  s.route('workerSnapshots', async ({ params }) => {
    const id = partitionParam(params.partition);
    const { repository } = deps;
    const latest = await repository?.latest(id).catch((err: Error) => {
      throw new ApiError('UNAVAILABLE', err.message);
    });
    // Read now anyway: the processor's archived LSN need not wait for its next refresh.
    if (repository) deps.manager()?.processor(id)?.noteLatest(latest);
    return {
      partition_id: id,
      repository: repository?.url ?? null,
      node: deps.nodeName,
      archived_lsn: archivedLsnOf(latest),
      snapshots: latest?.retained_snapshots ?? [],
    };
  });
  s.rawRoute('workerRead', async ({ params }) => ({
    headers: { 'content-type': 'application/octet-stream' },
    body: await readKey(deps, partitionParam(params.partition), params.key!),
  }));
}
