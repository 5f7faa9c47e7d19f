// The partition processors this worker runs: one per partition whose replica set (pp_epoch_<pid>)
// includes this node, in the mode that document gives it (leader or follower). The partition store
// is made durable four times a second; the durable LSN each processor reports is what it had
// applied then.
import type { GenerationalNodeId } from '../../api/ids';
import { epochKey, type ProcessorStatus } from '../../api/schemas';
import type { Bifrost } from '../bifrost/bifrost';
import type { StorageHealth } from '../health';
import type { Logger } from '../logger';
import type { MetadataManager } from '../metadata/manager';
import { PeriodicTask } from '../periodic';
import type { PartitionStore } from './partition-store';
import { PartitionProcessor, type SnapshotContext } from './processor';

/**
 * Often, so that each checkpoint (in a thread of its own) copies little and the WAL is often wholly
 * copied, which lets the next commit start it over. Under sustained load that is rare, and the WAL
 * grows to the store's bound, where the applying connection copies what is left (see PartitionStore).
 */
const CHECKPOINT_INTERVAL_MS = 250;

export class PartitionManager {
  private readonly processors = new Map<number, PartitionProcessor>();
  private readonly checkpoints = new PeriodicTask(
    async () => this.checkpoint(),
    (err) => this.logger.warn({ err: err.message }, 'partition store checkpoint failed'),
  );

  constructor(
    private readonly me: GenerationalNodeId,
    private readonly metadata: MetadataManager,
    private readonly store: PartitionStore,
    private readonly bifrost: Bifrost,
    private readonly health: StorageHealth,
    private readonly snapshots: SnapshotContext,
    private readonly batch: { records: number; bytes: number },
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.metadata.on('change', () => this.reconcile());
    this.reconcile();
    this.checkpoints.start(CHECKPOINT_INTERVAL_MS);
  }

  stop(): void {
    this.checkpoints.stop();
    for (const processor of this.processors.values()) processor.stop();
  }

  processor(partitionId: number): PartitionProcessor | undefined {
    return this.processors.get(partitionId);
  }

  statuses(): ProcessorStatus[] {
    return [...this.processors.values()].map((p) => p.statusReport());
  }

  /** When the newest snapshot each partition's processor knows of was published (for its age). */
  snapshotTimes(): Map<number, number> {
    const times = new Map<number, number>();
    for (const [partition, processor] of this.processors) if (processor.snapshotCreatedAt !== undefined) times.set(partition, processor.snapshotCreatedAt);
    return times;
  }

  /** Starts, stops and re-moods processors to match the replica sets and leaders, and has any
   *  processor waiting to retry a failed read retry now (a new segment or leader may mend it). */
  private reconcile(): void {
    const table = this.metadata.get('partition_table')?.value;
    if (!table) return;
    for (const partition of table.partitions) {
      const epoch = this.metadata.get(epochKey(partition.id))?.value;
      const assigned = !!epoch?.replica_set.includes(this.me.id);
      let processor = this.processors.get(partition.id);
      if (!assigned) {
        if (processor) {
          processor.stop();
          this.processors.delete(partition.id);
          this.logger.info({ partition: partition.id }, 'partition processor stopped: no longer in the replica set');
        }
        continue;
      }
      if (!processor) {
        processor = new PartitionProcessor(partition, this.store, this.bifrost, this.health, this.snapshots, this.batch, this.logger);
        this.processors.set(partition.id, processor);
        processor.start();
        this.logger.info({ partition: partition.id, applied_lsn: processor.applied }, 'partition processor started');
      }
      const mode = epoch!.leader === this.me.id ? 'leader' : 'follower';
      if (processor.mode !== mode) this.logger.info({ partition: partition.id, epoch: epoch!.epoch }, `partition processor is now ${mode}`);
      processor.mode = mode;
      processor.epoch = epoch!.epoch;
      processor.retrySoon();
    }
  }

  private async checkpoint(): Promise<void> {
    const applied = new Map([...this.processors.values()].map((p) => [p, p.applied]));
    // Not all of it while a snapshot export reads an older state: the next round catches up.
    if (!(await this.store.checkpoint())) return;
    for (const [processor, lsn] of applied) processor.markDurable(lsn);
  }
}
