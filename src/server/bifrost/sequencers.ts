// The sequencers this node runs: one per tail loglet whose params name this node's current
// generation. A sequencer whose loglet stopped being the tail (sealed and extended) is retired.
import type { GenerationalNodeId } from '../../api/ids';
import { formatGenId, formatLogletId, splitLogletId } from '../../api/ids';
import { canWriteTo } from '../../api/states';
import { tailLoglet } from '../../api/logs';
import { isEpochKey, type NodeStats } from '../../api/schemas';
import type { LogServerRegistry } from '../log-server/registry';
import type { Logger } from '../logger';
import type { MetadataManager } from '../metadata/manager';
import { PeerWindows, Sequencer, type SequencerOptions } from './sequencer';

export class SequencerManager {
  private readonly sequencers = new Map<number, Sequencer>();
  private readonly windows: PeerWindows;

  constructor(
    private readonly me: GenerationalNodeId,
    private readonly metadata: MetadataManager,
    private readonly logServers: LogServerRegistry,
    private readonly options: SequencerOptions,
    private readonly logger: Logger,
    /** The nodes whose processors read a log: stored to first, so that they read it locally. */
    private readonly readers: (logId: number) => readonly number[],
  ) {
    this.windows = new PeerWindows(options.inflightBatches);
    metadata.on('change', (key) => {
      if (key === 'bifrost_config') this.retire();
      // A partition's replicas moved: the log's new readers join the quorum, so that they read locally.
      else if (key === 'partition_table' || isEpochKey(key)) this.reorderPeers();
    });
  }

  /** The sequencer of `logletId` if it is a tail loglet sequenced by this very process. */
  find(logletId: number): Sequencer | undefined {
    const existing = this.sequencers.get(logletId);
    if (existing) return existing.sealed ? undefined : existing;
    const logs = this.metadata.get('bifrost_config')?.value;
    const tail = logs?.logs.map(tailLoglet).find((t) => t?.params.loglet_id === logletId);
    if (!tail || tail.params.sequencer !== formatGenId(this.me)) return undefined;
    // Stores go to the members that may take writes (not to one that lost its data or is disabled).
    const nodes = this.metadata.get('nodes_config')?.value.nodes ?? [];
    const writeable = tail.params.nodeset.filter((id) => {
      const state = nodes.find((n) => n.id === id)?.log_server.storage_state;
      return state !== undefined && canWriteTo(state);
    });
    const sequencer = new Sequencer(tail, this.storeOrder(logletId, writeable), (id) => this.logServers.client(id), this.options, this.windows, this.logger);
    this.sequencers.set(logletId, sequencer);
    this.logger.info({ loglet: formatLogletId(logletId), nodeset: tail.params.nodeset }, 'sequencer started');
    return sequencer;
  }

  /**
   * The order a sequencer stores to `members` in: it stores to the first of them on every append,
   * the rest are standbys. This node's own log-server first, then those of the log's readers.
   */
  private storeOrder(logletId: number, members: readonly number[]): number[] {
    const readers = this.readers(splitLogletId(logletId).logId);
    const rank = (id: number) => (this.logServers.isLocal(id) ? 0 : readers.includes(id) ? 1 : 2);
    return [...members].sort((a, b) => rank(a) - rank(b));
  }

  private reorderPeers(): void {
    for (const [logletId, sequencer] of this.sequencers) {
      if (!sequencer.sealed) sequencer.reorderPeers(this.storeOrder(logletId, sequencer.peers.map((p) => p.nodeId)));
    }
  }

  private retire(): void {
    const logs = this.metadata.get('bifrost_config')?.value;
    const tails = new Set(logs?.logs.map(tailLoglet).map((t) => t?.params.loglet_id));
    for (const [logletId, sequencer] of this.sequencers) {
      if (tails.has(logletId)) continue;
      sequencer.seal();
      this.sequencers.delete(logletId);
      this.logger.info({ loglet: formatLogletId(logletId), committed_tail: sequencer.committedTail }, 'sequencer retired: its loglet is no longer the tail');
    }
  }

  stopAll(): void {
    for (const sequencer of this.sequencers.values()) sequencer.seal();
    this.sequencers.clear();
  }

  stats(): NodeStats['sequencers'] {
    return [...this.sequencers.values()].map((s) => ({
      loglet_id: s.logletId,
      next_offset: s.nextOffset,
      committed_tail: s.committedTail,
      buffered_bytes: s.bufferedBytes,
      largest_batch_bytes: s.largestBatchBytes,
      relayed_records: s.relayedRecords,
      sealed: s.sealed,
      peers: s.peers.map((p) => ({
        node_id: p.nodeId,
        acked_tail: p.ackedTail,
        next_offset: p.next,
        inflight_batches: p.inflight,
        last_error: p.lastError,
        standby: p.standby,
      })),
    }));
  }
}
