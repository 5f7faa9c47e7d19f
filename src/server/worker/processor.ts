// A partition processor: follows its partition's log and applies each committed record to the
// partition store, in order, recording the applied LSN with the data. The leader also serves reads
// and creates snapshots. A processor that finds the records it needs trimmed away restores the
// newest suitable snapshot from the repository; if it cannot, it says why and how to recover, and
// tries again with growing pauses. The archived LSN it reports is kept in memory: set when this
// processor publishes, and re-read from the repository in the background (another node's
// publication), never while answering a status probe.
import type { ProcessorStatus } from '../../api/schemas';
import { TrimGapError, type Bifrost } from '../bifrost/bifrost';
import { decodeRecord } from '../bifrost/record';
import { nodeMetrics } from '../metrics';
import type { StorageHealth } from '../health';
import type { Logger } from '../logger';
import { PeriodicTask } from '../periodic';
import type { PartitionStore } from './partition-store';
import { archivedLsnOf, type LatestSnapshot, type SnapshotIdentity, type SnapshotRepository } from './snapshot-repository';

const TAIL_WAIT_MS = 2_000;
/**
 * A processor that just applied waits up to this long before it looks for more, so that it applies
 * what came meanwhile in one transaction rather than one per commit (as etcd commits its backend
 * every 100 ms): at 1 and 8 clients that took the CPU per append down by about 10% (paired tool,
 * 1 KiB), where 5 ms for followers only saved nothing. Nothing that needs the applied state waits
 * it out: a reader (or a snapshot) waiting for an LSN ends the pause (see waitApplied).
 */
const APPLY_PAUSE_MS = 50;
const MAX_BACKOFF_MS = 2_000;
const MAX_STOPPED_BACKOFF_MS = 30_000;
/** Behind by more than this many records counts as catching up. */
const CATCHING_UP_RECORDS = 1_000;
/** How often the archived LSN is re-read from the repository, to see other nodes' publications. */
const ARCHIVED_REFRESH_MS = 5_000;

export const TRIM_GAP_NO_REPOSITORY = 'A log trim gap was encountered, but no snapshot repository is configured!';
export const TRIM_GAP_NO_SNAPSHOT = 'A log trim gap was encountered, but no snapshot is available for this partition!';
export const TRIM_GAP_SNAPSHOT_TOO_OLD = 'The latest available snapshot is from an LSN before the target LSN!';

export interface PartitionInfo {
  id: number;
  log_id: number;
  key_range: { start: number; end: number };
}

export interface SnapshotContext {
  repository: SnapshotRepository | undefined;
  identity: () => SnapshotIdentity;
  retained: number;
}

/** The processor cannot resume: why, and what an operator can do. */
class CannotResume extends Error {
  constructor(
    message: string,
    readonly recovery: string,
  ) {
    super(message);
  }
}

export class PartitionProcessor {
  applied: number;
  durable: number;
  mode: 'leader' | 'follower' = 'follower';
  epoch: number | null = null;
  private status: ProcessorStatus['status'] = 'starting';
  private targetTail: number | null = null;
  /** Why the processor cannot apply, while it cannot (it keeps retrying). */
  stoppedReason: string | null = null;
  private updatedAt = new Date();
  private lastError: string | undefined;
  private running = false;
  private waiters: Array<{ lsn: number; resolve: () => void }> = [];
  private retryNow: (() => void) | undefined;
  /** Ends the pause after an apply (see APPLY_PAUSE_MS), while there is one. */
  private endPause: (() => void) | undefined;
  private archived: number | null = null;
  /** When the newest snapshot this processor knows of was published (ms since the epoch). */
  snapshotCreatedAt: number | undefined;
  private archivedError: string | undefined;
  private readonly archivedRefresh = new PeriodicTask(
    async () => this.noteLatest(await this.snapshots.repository?.latest(this.partition.id)),
    (err) => {
      if (err.message !== this.archivedError) this.logger.warn({ partition: this.id, err: err.message }, 'cannot read the archived LSN from the snapshot repository');
      this.archivedError = err.message;
    },
  );
  /** Publications of this partition, one at a time. */
  private publishing: Promise<unknown> = Promise.resolve();

  constructor(
    readonly partition: PartitionInfo,
    private readonly store: PartitionStore,
    private readonly bifrost: Bifrost,
    private readonly health: StorageHealth,
    private readonly snapshots: SnapshotContext,
    private readonly batch: { records: number; bytes: number },
    private readonly logger: Logger,
  ) {
    this.applied = store.appliedLsn(partition.id);
    this.durable = this.applied;
  }

  get id(): number {
    return this.partition.id;
  }

  statusReport(): ProcessorStatus {
    return {
      partition_id: this.partition.id,
      log_id: this.partition.log_id,
      mode: this.mode,
      // A retry that has not got past what stopped it yet is still stopped (reads are refused too).
      status: this.stoppedReason ? 'stopped' : this.status,
      epoch: this.epoch,
      applied_lsn: this.applied || null,
      durable_lsn: this.durable || null,
      archived_lsn: this.archived,
      target_tail_lsn: this.targetTail,
      stopped_reason: this.stoppedReason,
      updated_at: this.updatedAt.toISOString(),
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.snapshots.repository) this.archivedRefresh.start(ARCHIVED_REFRESH_MS);
    void this.run();
  }

  stop(): void {
    this.running = false;
    this.endPause?.();
    this.archivedRefresh.stop();
  }

  /** Takes the archived LSN from a `latest.json` just read or written (undefined: no snapshot). */
  noteLatest(latest: LatestSnapshot | undefined): void {
    this.archived = archivedLsnOf(latest);
    this.snapshotCreatedAt = latest ? Date.parse(latest.created_at) : undefined;
    this.archivedError = undefined;
  }

  /** Resolves once every record up to `lsn` is applied; false if `timeoutMs` passed first. */
  waitApplied(lsn: number, timeoutMs: number): Promise<boolean> {
    if (this.applied >= lsn) return Promise.resolve(true);
    this.endPause?.();
    return new Promise((resolve) => {
      const waiter = { lsn, resolve: () => resolve(true) };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
    });
  }

  /** Called after the store was made durable up to what was applied when it started. */
  markDurable(lsn: number): void {
    this.durable = Math.max(this.durable, lsn);
  }

  private async run(): Promise<void> {
    let backoff = 0;
    while (this.running) {
      try {
        await this.applyAvailable();
        this.recovered();
        backoff = 0;
      } catch (err) {
        if (err instanceof CannotResume) {
          // The partition store refuses writes (a full disk): stopped, with the reason, until it takes them again.
          this.stopped(err);
          backoff = Math.min(MAX_BACKOFF_MS, backoff ? backoff * 2 : 100);
        } else if (err instanceof TrimGapError) {
          try {
            await this.restoreSnapshot(err.to);
            continue;
          } catch (cannot) {
            // An unreadable latest.json or a damaged data file stops the processor the same way.
            this.stopped(
              cannot instanceof CannotResume
                ? cannot
                : new CannotResume(`cannot restore partition ${this.id} from its snapshot: ${(cannot as Error).message}`, 'To recover: publish a new snapshot (cairnctl snapshots create-snapshot) or repair the repository.'),
            );
            backoff = Math.min(MAX_STOPPED_BACKOFF_MS, backoff ? backoff * 2 : 1_000);
          }
        } else {
          const message = (err as Error).message;
          if (message !== this.lastError) this.logger.warn({ partition: this.id, err: message }, 'partition processor cannot read its log yet');
          this.lastError = message;
          backoff = Math.min(MAX_BACKOFF_MS, backoff ? backoff * 2 : 100);
        }
        if (await this.pause(backoff)) backoff = 0;
      }
    }
  }

  /** Waits `ms` between retries, or less if retrySoon() is called; true if it was. */
  private async pause(ms: number): Promise<boolean> {
    try {
      return await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        this.retryNow = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
    } finally {
      this.retryNow = undefined;
    }
  }

  /** Ends a wait between retries at once: the logs or the leadership changed, so what failed may work now. */
  retrySoon(): void {
    this.retryNow?.();
  }

  private async applyAvailable(): Promise<void> {
    // The first look does not wait, so that a processor with nothing to apply is active at once.
    const tail = await this.bifrost.tailLsn(this.partition.log_id, this.applied + 1, this.status === 'starting' ? 0 : TAIL_WAIT_MS);
    this.targetTail = tail;
    // A turn of the event loop first: the answers that the commit just released (to the appender,
    // and this node's store answer to the sequencer) leave before the apply's transaction runs, not
    // after it. And a loop without I/O would starve the node's HTTP server.
    await new Promise((r) => setImmediate(r));
    const appliedBefore = this.applied;
    while (this.running && this.applied + 1 < tail) {
      this.setStatus(tail - this.applied - 1 > CATCHING_UP_RECORDS ? 'catching-up' : 'active');
      const { records } = await this.bifrost.read(this.partition.log_id, this.applied + 1, this.batch.records, this.batch.bytes, tail);
      if (records.length === 0) break;
      this.applyToStore(records);
      this.applied += records.length;
      this.wake();
    }
    this.setStatus('active');
    if (this.applied > appliedBefore) await this.pauseAfterApply();
  }

  private applyToStore(records: Buffer[]): void {
    try {
      const repeats = this.store.apply(this.partition.id, records.map(decodeRecord), this.applied + 1);
      nodeMetrics().applied(this.partition.id, records.length);
      if (repeats > 0) nodeMetrics().writesRepeated(this.partition.id, repeats);
    } catch (err) {
      this.health.failed('partition-store', err as Error);
      throw new CannotResume(
        `partition ${this.id} cannot apply to the partition store: ${(err as Error).message}`,
        'To recover: free space in the node\'s base-dir (or fix what stops its writes); the processor retries on its own, and another replica leads meanwhile.',
      );
    }
    this.health.ok('partition-store');
  }

  /** Waits APPLY_PAUSE_MS, or less if a reader comes meanwhile (endPause); not at all while one waits. */
  private async pauseAfterApply(): Promise<void> {
    if (this.waiters.length) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.endPause?.(), APPLY_PAUSE_MS);
      this.endPause = () => {
        clearTimeout(timer);
        this.endPause = undefined;
        resolve();
      };
    });
  }

  private setStatus(status: ProcessorStatus['status']): void {
    this.status = status;
    this.updatedAt = new Date();
  }

  private recovered(): void {
    if (this.lastError || this.stoppedReason) this.logger.info({ partition: this.id }, 'partition processor is applying again');
    this.lastError = undefined;
    this.stoppedReason = null;
  }

  private stopped(reason: CannotResume): void {
    if (reason.message !== this.stoppedReason) {
      this.logger.error({ partition: this.id, recovery: reason.recovery }, `${reason.message}\n${reason.recovery}`);
      process.stderr.write(`error: partition ${this.id}: ${reason.message}\n  ${reason.recovery}\n`);
    }
    this.stoppedReason = reason.message;
    this.setStatus('stopped');
  }

  /** Brings the partition store past a trim gap ending at `gapEnd` from the repository's snapshot. */
  private async restoreSnapshot(gapEnd: number): Promise<void> {
    const partition = this.partition.id;
    const next = `Publish a snapshot of partition ${partition} from a node that has it (cairnctl snapshots create-snapshot ${partition})`;
    const repository = this.snapshots.repository;
    if (!repository) {
      throw new CannotResume(
        TRIM_GAP_NO_REPOSITORY,
        `To recover: configure [worker.snapshots] destination = "s3://bucket/prefix" (or "file:///...") on this node, pointing at the repository the other nodes use or at a copy of it; ${next.toLowerCase()} if it has none, then restart this node.`,
      );
    }
    const latest = await repository.latest(partition);
    this.noteLatest(latest);
    if (!latest) {
      throw new CannotResume(TRIM_GAP_NO_SNAPSHOT, `To recover: ${next} into ${repository.url}, or copy a repository that holds one there.`);
    }
    if (latest.min_applied_lsn < gapEnd) {
      throw new CannotResume(
        TRIM_GAP_SNAPSHOT_TOO_OLD,
        `The snapshot ${latest.snapshot_id} is at LSN ${latest.min_applied_lsn}, the log is trimmed up to ${gapEnd}. To recover: ${next.charAt(0).toLowerCase()}${next.slice(1)} into ${repository.url}.`,
      );
    }
    const local = await repository.download(partition, latest, this.snapshots.identity().clusterFingerprint).catch((err: Error) => {
      throw new CannotResume(
        err.message,
        err.message.startsWith('cluster fingerprint mismatch')
          ? "To recover: point worker.snapshots.destination at this cluster's repository."
          : `To recover: ${next.charAt(0).toLowerCase()}${next.slice(1)}, or repair the repository.`,
      );
    });
    try {
      this.applied = await this.store.importPartition(partition, local.file);
    } finally {
      await local.discard();
    }
    this.durable = 0;
    this.logger.info({ partition, snapshot: latest.snapshot_id, applied_lsn: this.applied, trim_gap_end: gapEnd }, 'restored the partition store from a snapshot');
    this.wake();
  }

  /** Publishes a snapshot once at least `minLsn` is applied (leader only), then applies retention. */
  async createSnapshot(minLsn: number, timeoutMs: number): Promise<LatestSnapshot> {
    const repository = this.snapshots.repository;
    if (!repository) throw new Error('no snapshot repository is configured on this node (worker.snapshots.destination)');
    if (!(await this.waitApplied(minLsn, timeoutMs))) throw new Error(`partition ${this.id} has applied LSN ${this.applied}, not yet ${minLsn}`);
    const timing = { started: 0, exported: 0 };
    const publication = this.publishing.then(() => {
      timing.started = performance.now();
      return repository.publish(this.partition, this.snapshots.identity(), this.snapshots.retained, async (file) => {
        const exported = await this.store.exportPartition(this.id, file);
        timing.exported = performance.now();
        return exported;
      });
    });
    this.publishing = publication.catch(() => undefined);
    const latest = await publication;
    this.noteLatest(latest);
    this.logger.info(
      {
        partition: this.id,
        snapshot: latest.snapshot_id,
        lsn: latest.min_applied_lsn,
        repository: repository.url,
        export_ms: Math.round(timing.exported - timing.started),
        upload_ms: Math.round(performance.now() - timing.exported),
      },
      'snapshot published',
    );
    const pruned = await repository.prune(latest).catch((err: Error) => {
      this.logger.warn({ partition: this.id, err: err.message }, 'old snapshots could not be deleted; the next publication tries again');
      return [];
    });
    if (pruned.length) this.logger.info({ partition: this.id, deleted: pruned }, 'snapshots no longer retained were deleted');
    return latest;
  }

  private wake(): void {
    const ready = this.waiters.filter((w) => w.lsn <= this.applied);
    this.waiters = this.waiters.filter((w) => w.lsn > this.applied);
    for (const waiter of ready) waiter.resolve();
  }
}
