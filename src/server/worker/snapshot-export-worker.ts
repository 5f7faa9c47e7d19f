// The snapshot export thread: writes one partition's copy and its digest (exportPartitionCopy)
// while the node's event loop keeps serving; one thread per export, which ends with it.
import { parentPort, workerData } from 'node:worker_threads';
import { exportPartitionCopy, type ExportRequest } from './partition-store';

try {
  parentPort!.postMessage({ ok: true, value: exportPartitionCopy(workerData as ExportRequest) });
} catch (err) {
  parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
}
