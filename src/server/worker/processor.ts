// A partition processor: follows its partition's log and applies each committed record to the
// partition store, in order, recording the applied LSN with the data.
import type { Bifrost } from '../bifrost/bifrost';
import { decodeRecord } from '../bifrost/record';
import type { Logger } from '../logger';
import { sleep } from '../sleep';
import type { PartitionStore } from './partition-store';

const TAIL_WAIT_MS = 2_000;
const MAX_BACKOFF_MS = 2_000;

export class PartitionProcessor {
  applied: number;
  lastError: string | undefined;
  private running = false;
  private waiters: Array<{ lsn: number; resolve: () => void }> = [];

  constructor(
    readonly partitionId: number,
    readonly logId: number,
    private readonly store: PartitionStore,
    private readonly bifrost: Bifrost,
    private readonly batch: { records: number; bytes: number },
    private readonly logger: Logger,
  ) {
    this.applied = store.appliedLsn(partitionId);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.run();
  }

  stop(): void {
    this.running = false;
  }

  /** Resolves once every record up to `lsn` is applied; false if `timeoutMs` passed first. */
  waitApplied(lsn: number, timeoutMs: number): Promise<boolean> {
    if (this.applied >= lsn) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { lsn, resolve: () => resolve(true) };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
    });
  }

  private async run(): Promise<void> {
    let backoff = 0;
    while (this.running) {
      try {
        const tail = await this.bifrost.tailLsn(this.logId, this.applied + 1, TAIL_WAIT_MS);
        // Never spin on microtasks only: a loop without I/O would starve the node's HTTP server.
        if (this.applied + 1 >= tail) await new Promise((r) => setImmediate(r));
        while (this.running && this.applied + 1 < tail) {
          const { records } = await this.bifrost.read(this.logId, this.applied + 1, this.batch.records, this.batch.bytes, tail);
          if (records.length === 0) break;
          const puts = records.map(decodeRecord);
          this.store.apply(this.partitionId, puts, this.applied + records.length);
          this.applied += records.length;
          this.wake();
        }
        if (this.lastError) this.logger.info({ partition: this.partitionId }, 'partition processor is applying again');
        this.lastError = undefined;
        backoff = 0;
      } catch (err) {
        const message = (err as Error).message;
        if (message !== this.lastError) this.logger.warn({ partition: this.partitionId, err: message }, 'partition processor cannot read its log yet');
        this.lastError = message;
        backoff = Math.min(MAX_BACKOFF_MS, backoff ? backoff * 2 : 100);
        await sleep(backoff);
      }
    }
  }

  private wake(): void {
    const ready = this.waiters.filter((w) => w.lsn <= this.applied);
    this.waiters = this.waiters.filter((w) => w.lsn > this.applied);
    for (const waiter of ready) waiter.resolve();
  }
}
