// A store's checkpoint thread. A checkpoint copies the WAL into the database file and fsyncs it:
// tens of milliseconds under load, which on the node's event loop would hold up every request in
// flight (the append latency's p99 showed it). Here it blocks this thread only, on a connection of
// its own to the same file.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './sqlite';

/**
 * Nice 19 for this thread, as for V8's helpers (bin/launch.js): a checkpoint's copying then takes
 * the CPU the node's event loop leaves, instead of a share of it. In fresh clusters alternating
 * with normal priority that gave more appends/s in 5 of 6 pairs at 1 and at 8 clients (12-14% on
 * average) and in 3 of 3 at 64 KiB, the same at 1 MiB; the log store's commits took as long (its
 * WAL bound, where the committing connection checkpoints, is reached under sustained load either
 * way). Linux only: there a priority set for pid 0 is the calling thread's, elsewhere the
 * process's.
 */
function lowerThisThreadsPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(19);
  } catch {
    // not permitted here: the thread keeps the node's priority
  }
}

lowerThisThreadsPriority();

/**
 * Passes per checkpoint. Commits made during a pass are left for the next one, which is short; the
 * WAL starts over only once it was wholly copied, so under load one pass is rarely enough.
 */
const MAX_PASSES = 4;

// NORMAL is enough here: a checkpoint fsyncs the WAL before it copies and the database after.
const db = openDatabase((workerData as { file: string }).file, { durable: false });
const port = parentPort!;

port.on('message', () => {
  try {
    let complete = false;
    for (let pass = 0, copied = -1; pass < MAX_PASSES && !complete; pass++) {
      const [result] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
      // No progress: a reader (a snapshot export) holds the rest.
      if (!result || result.checkpointed === copied) break;
      copied = result.checkpointed;
      complete = result.busy === 0 && result.checkpointed === result.log;
    }
    port.postMessage({ ok: true, complete });
  } catch (err) {
    port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
