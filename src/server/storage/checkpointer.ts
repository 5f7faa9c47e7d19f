// Checkpoints of a store's database in a thread of its own (checkpoint-worker.ts), so that the
// node's event loop never copies the WAL into the database file nor waits for its fsync. The
// connection that commits keeps SQLite's own checkpoint only as a bound on the WAL, far above
// SQLite's default of 1000 pages, for when these checkpoints cannot keep up.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Db } from './sqlite';

/** WAL pages after which a commit checkpoints on the committing thread. */
export const WAL_PAGES_BOUND = 10_000;

export class Checkpointer {
  private thread: { worker: Worker; run: () => Promise<boolean> } | undefined;
  /** Rows the committing connection changed so far, and as of the last complete checkpoint. */
  private readonly changes;
  private checkpointedAt = -1;

  /** Moves `db`'s own checkpoints out to WAL_PAGES_BOUND; checkpoint() does them meanwhile. */
  constructor(private readonly db: Db) {
    db.pragma(`wal_autocheckpoint = ${WAL_PAGES_BOUND}`);
    this.changes = db.prepare<[], number>('SELECT total_changes()').pluck();
  }

  /**
   * True once the whole WAL is in the database file and fsynced; one checkpoint at a time. A passive
   * checkpoint never waits: while a reader (a snapshot export) holds an older state of the store, it
   * copies what it can and answers false. Nothing is done (the thread is not even woken) while
   * nothing was committed since the last complete one.
   */
  async checkpoint(): Promise<boolean> {
    const changes = this.changes.get()!;
    if (changes === this.checkpointedAt) return true;
    const complete = await this.run();
    if (complete) this.checkpointedAt = changes;
    return complete;
  }

  private run(): Promise<boolean> {
    if (!this.thread) {
      const worker = new Worker(path.join(__dirname, 'checkpoint-worker.cjs'), { workerData: { file: this.db.name } });
      worker.unref();
      let waiting: { resolve: (complete: boolean) => void; reject: (err: Error) => void } | undefined;
      const failed = (err: Error) => {
        this.thread = undefined;
        waiting?.reject(err);
      };
      worker.on('message', (answer: { ok: true; complete: boolean } | { ok: false; error: string }) => {
        if (answer.ok) waiting?.resolve(answer.complete);
        else waiting?.reject(new Error(`checkpoint: ${answer.error}`));
      });
      worker.on('error', (err) => failed(new Error(`the checkpoint thread failed: ${err.message}`)));
      worker.on('exit', (code) => failed(new Error(`the checkpoint thread exited with code ${code}`)));
      this.thread = {
        worker,
        run: () =>
          new Promise<boolean>((resolve, reject) => {
            waiting = { resolve, reject };
            worker.postMessage(null);
          }),
      };
    }
    return this.thread.run();
  }

  /** Stops the thread (the node is stopping); the database itself is closed by its owner. */
  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    await thread?.worker.terminate();
  }
}
