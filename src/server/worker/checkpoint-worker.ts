// The partition store's checkpoint thread. A checkpoint copies the WAL into the database file and
// fsyncs it: tens of milliseconds under load, which on the node's event loop would hold up every
// request in flight (the append latency's p99 showed it). Here it blocks this thread only, on a
// connection of its own to the same file.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../storage/sqlite';

const db = openDatabase((workerData as { file: string }).file, { durable: false });
const port = parentPort!;

port.on('message', () => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    port.postMessage({ ok: true, complete: !!result && result.busy === 0 && result.checkpointed === result.log });
  } catch (err) {
    port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
