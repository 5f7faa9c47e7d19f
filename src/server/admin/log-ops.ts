// Log reconfiguration, shared by the cluster controller (failover) and the admin API (logs seal,
// logs reconfigure, logs find-tail): seal the tail segment, then extend the chain with a new
// segment (a new loglet with its own sequencer), all recorded by compare-and-set.
import { ApiError } from '../../api/errors';
import { formatGenId, formatLogletId, formatPlainId, makeLogletId, parseGenId, type GenerationalNodeId } from '../../api/ids';
import { findChain, tailSegment } from '../../api/logs';
import type { LogTail, NodeConfig as NodeEntry, ReplicationProperty, SealOutcome, Segment, TrimOutcome } from '../../api/schemas';
import type { Bifrost } from '../bifrost/bifrost';
import { askNodeset, sealLoglet, type MemberStates } from '../bifrost/sealer';
import { failpoint } from '../failpoints';
import { holdsData, isAuthoritative } from '../../api/states';
import type { LogServerRegistry } from '../log-server/registry';
import type { Logger } from '../logger';
import type { MetadataManager } from '../metadata/manager';
import { writeableLogServers, type PeerState } from './controller';

export interface ReconfigureOptions {
  /** Only act if the tail segment still has this index. */
  segmentIndex?: number;
  sequencer?: number;
  nodeset?: number[];
  replication?: ReplicationProperty;
  reason: string;
  /** Who asked: `cairnctl` or `cluster-controller`. */
  source: string;
  /** false: leave a seal marker as the tail (logs seal); true: add a new segment. */
  extend: boolean;
  dryRun?: boolean;
}

export interface TrimOptions {
  force: boolean;
  dryRun: boolean;
  /** The partition's archived LSN if the caller read it fresh; otherwise the probe reports are used. */
  archived?: number | null;
}

export class LogOperations {
  private readonly inProgress = new Map<number, Promise<SealOutcome>>();
  /**
   * Sequencers chosen for segments not recorded yet, by log: reconfigurations started together (the
   * controller's, after a node with several sequencers died) would all see the same loads and put
   * every new segment on one node, whose next pause then stalls every log.
   */
  private readonly chosenSequencers = new Map<number, number>();

  constructor(
    private readonly me: GenerationalNodeId,
    private readonly metadata: MetadataManager,
    private readonly logServers: LogServerRegistry,
    private readonly bifrost: Bifrost,
    private readonly liveness: ReadonlyMap<number, PeerState>,
    private readonly batch: { bytes: number; records: number },
    private readonly logger: Logger,
  ) {}

  private alive(node: NodeEntry): boolean {
    return !!this.liveness.get(node.id)?.alive;
  }

  private memberStates(): MemberStates {
    const nodes = this.metadata.require('nodes_config').value.nodes;
    const state = (id: number) => nodes.find((n) => n.id === id)?.log_server.storage_state;
    return {
      holdsData: (id) => state(id) !== undefined && holdsData(state(id)!),
      authoritative: (id) => state(id) !== undefined && isAuthoritative(state(id)!),
      unreachable: (id) => this.liveness.get(id)?.alive === false,
    };
  }

  /** A sequencer for a new segment: alive, preferring workers, then the node with fewest tails. */
  chooseSequencer(excluding: number | undefined): NodeEntry | undefined {
    const nodes = this.metadata.require('nodes_config').value.nodes.filter((n) => this.alive(n) && n.id !== excluding);
    const workers = nodes.filter((n) => n.roles.includes('worker'));
    const candidates = workers.length ? workers : nodes.filter((n) => n.roles.includes('log-server'));
    const logs = this.metadata.require('bifrost_config').value;
    const load = (node: NodeEntry) =>
      logs.logs.filter((chain) => !this.chosenSequencers.has(chain.log_id) && tailSegment(chain).params?.sequencer.startsWith(`N${node.id}:`)).length +
      [...this.chosenSequencers.values()].filter((id) => id === node.id).length;
    return candidates.sort((a, b) => load(a) - load(b) || a.id - b.id)[0];
  }

  isReconfiguring(logId: number): boolean {
    return this.inProgress.has(logId);
  }

  /**
   * Serialises reconfigurations of one log within this process; others are fenced by CAS. A dry run
   * changes nothing and is not serialised: a slow one must not hold up the controller's failover.
   */
  sealAndExtend(logId: number, options: ReconfigureOptions): Promise<SealOutcome> {
    if (options.dryRun) return this.doSealAndExtend(logId, options);
    const running = this.inProgress.get(logId);
    if (running) {
      return running.then(
        () => this.sealAndExtend(logId, options),
        () => this.sealAndExtend(logId, options),
      );
    }
    const work = this.doSealAndExtend(logId, options).finally(() => {
      this.inProgress.delete(logId);
      this.chosenSequencers.delete(logId);
    });
    this.inProgress.set(logId, work);
    return work;
  }

  private async doSealAndExtend(logId: number, options: ReconfigureOptions): Promise<SealOutcome> {
    const chain = findChain(this.metadata.require('bifrost_config').value, logId);
    if (!chain) throw new ApiError('NOT_FOUND', `log ${logId} does not exist`, 'see `cairnctl logs list`');
    const tail = tailSegment(chain);
    if (options.segmentIndex !== undefined && tail.index !== options.segmentIndex) {
      throw new ApiError(
        'VERSION_CONFLICT',
        `the tail segment of log ${logId} is ${tail.index}, not ${options.segmentIndex} (reconfigured since, by the cluster controller or another operator); nothing was sealed`,
        `see \`cairnctl logs describe ${logId}\`, and run the command again if the new tail segment should be replaced too`,
      );
    }
    const nodes = this.metadata.require('nodes_config').value;
    for (const id of options.nodeset ?? []) {
      if (!nodes.nodes.some((n) => n.id === id && n.roles.includes('log-server'))) {
        throw new ApiError('BAD_REQUEST', `nodeset member ${formatPlainId(id)} is not a log-server of this cluster`);
      }
    }
    const replication = options.replication ?? tail.params?.replication ?? this.metadata.require('bifrost_config').value.default_provider.replication;
    const nodeset = options.nodeset ?? writeableLogServers(nodes).map((n) => n.id);
    if (nodeset.length < replication.node) {
      throw new ApiError('UNSAFE', `a nodeset of ${nodeset.length} log-server(s) cannot satisfy replication {node: ${replication.node}}`, 'add log-servers or lower the replication');
    }
    let sequencer: NodeEntry | undefined;
    if (options.sequencer !== undefined) {
      sequencer = nodes.nodes.find((n) => n.id === options.sequencer);
      if (!sequencer) throw new ApiError('NOT_FOUND', `sequencer ${formatPlainId(options.sequencer)} is not in the nodes configuration`);
      if (!this.alive(sequencer)) throw new ApiError('UNSAFE', `sequencer ${formatPlainId(options.sequencer)} is not alive`, 'pick an alive node, or leave --sequencer out');
    } else if (options.extend) {
      const previous = tail.params ? Number(tail.params.sequencer.slice(1).split(':')[0]) : undefined;
      sequencer = this.chooseSequencer(previous) ?? this.chooseSequencer(undefined);
    }

    if (options.extend && sequencer && !options.dryRun) this.chosenSequencers.set(logId, sequencer.id);
    if (options.extend && !sequencer && tail.kind !== 'replicated') {
      throw new ApiError('UNAVAILABLE', `log ${logId} stays sealed: no alive node can run its sequencer`);
    }

    const makeSegment = (tailLsn: number): Segment => {
      const now = new Date().toISOString();
      if (options.extend && sequencer) {
        const index = tail.index + 1;
        return {
          index,
          base_lsn: tailLsn,
          kind: 'replicated',
          created_at: now,
          params: { loglet_id: makeLogletId(logId, index), sequencer: formatGenId(sequencer), replication, nodeset: [...nodeset].sort((a, b) => a - b) },
        };
      }
      // Without a sequencer to extend to (or for `logs seal`) the chain ends in a seal marker.
      return {
        index: tail.index,
        base_lsn: tailLsn,
        kind: 'sealed',
        created_at: now,
        seal: { sealed_at: now, permanent: false, context: { source: options.source, reason: options.reason, node: formatGenId(this.me) } },
      };
    };

    if (options.dryRun) {
      const current = await this.findTail(logId);
      return {
        log_id: logId,
        sealed_segment: tail,
        tail_lsn: current.tail_lsn,
        repaired_records: 0,
        new_segment: makeSegment(current.tail_lsn),
        dry_run: true,
        logs_version: this.metadata.require('bifrost_config').version,
      };
    }

    // Sealing cannot be undone: not while the metadata store could not record what follows.
    await this.metadata.readFromStore('bifrost_config');
    let tailLsn = tail.base_lsn;
    let repaired = 0;
    if (tail.kind === 'replicated' && tail.params) {
      const sealed = await sealLoglet(tail.params, (id) => this.logServers.client(id), this.memberStates(), this.batch, this.logger);
      tailLsn = tail.base_lsn + sealed.tail - 1;
      repaired = sealed.repaired;
    } else if (!options.extend) {
      throw new ApiError('VERSION_CONFLICT', `log ${logId} is already sealed at LSN ${tail.base_lsn}`);
    }
    const added = makeSegment(tailLsn);
    failpoint('seal-before-metadata');
    const updated = await this.metadata.update('bifrost_config', (logs) => {
      const current = logs && findChain(logs, logId);
      if (!current) throw new ApiError('NOT_FOUND', `log ${logId} disappeared`);
      const currentTail = tailSegment(current);
      if (currentTail.index !== tail.index || currentTail.kind !== tail.kind) {
        throw new ApiError('VERSION_CONFLICT', `log ${logId} was reconfigured concurrently (tail is now segment ${currentTail.index}, ${currentTail.kind})`);
      }
      return {
        ...logs,
        logs: logs.logs.map((c) => (c.log_id === logId ? { ...c, segments: [...c.segments, added] } : c)),
      };
    });
    this.logger.info(
      { log: logId, sealed: tail.params ? formatLogletId(tail.params.loglet_id) : 'marker', tail_lsn: tailLsn, repaired, added: added.kind, sequencer: added.params?.sequencer, reason: options.reason },
      added.kind === 'replicated' ? 'log reconfigured: sealed the tail segment and extended the chain' : 'log sealed',
    );
    return {
      log_id: logId,
      sealed_segment: tail,
      tail_lsn: tailLsn,
      repaired_records: repaired,
      new_segment: added,
      dry_run: false,
      logs_version: updated!.version,
    };
  }

  /** The highest trimmed LSN of a log (0: none); trims go through the logs metadata. */
  trimPoint(logId: number): number {
    const chain = findChain(this.metadata.require('bifrost_config').value, logId);
    if (!chain) throw new ApiError('NOT_FOUND', `log ${logId} does not exist`, 'see `cairnctl logs list`');
    return chain.trim_point ?? 0;
  }

  /**
   * The archived LSN of a partition (its oldest retained snapshot), as its processors report it;
   * null when none reports one (no repository, or no snapshot yet).
   */
  archivedLsn(partitionId: number): number | null {
    const reports = [...this.liveness.values()]
      .filter((peer) => peer.alive)
      .flatMap((peer) => peer.ident?.partitions ?? [])
      .filter((p) => p.partition_id === partitionId && p.archived_lsn !== null);
    const leader = reports.find((p) => p.mode === 'leader');
    if (leader) return leader.archived_lsn;
    return reports.length ? Math.max(...reports.map((p) => p.archived_lsn!)) : null;
  }

  /**
   * Trims a log up to `requested` (inclusive, clamped to the committed tail). Unless forced, never
   * past the partition's archived LSN: a processor that needs records after the newest snapshot it
   * could restore would find them gone.
   */
  async trim(logId: number, requested: number, options: TrimOptions): Promise<TrimOutcome> {
    const chain = findChain(this.metadata.require('bifrost_config').value, logId);
    if (!chain) throw new ApiError('NOT_FOUND', `log ${logId} does not exist`, 'see `cairnctl logs list`');
    const partition = this.metadata.require('partition_table').value.partitions.find((p) => p.log_id === logId);
    const tail = await this.findTail(logId);
    const target = Math.min(requested, tail.tail_lsn - 1);
    const archived = !partition ? null : options.archived !== undefined ? options.archived : this.archivedLsn(partition.id);
    if (!options.force && partition) {
      const snapshot = `cairnctl snapshots create-snapshot ${partition.id}`;
      if (archived === null && target > (chain.trim_point ?? 0)) {
        throw new ApiError(
          'UNSAFE',
          `partition ${partition.id} has no snapshot in a repository (no archived LSN): trimming log ${logId} would leave records that no processor could ever recover`,
          `configure worker.snapshots.destination and run \`${snapshot}\` first, or pass --force`,
        );
      }
      if (archived !== null && target > archived) {
        throw new ApiError(
          'UNSAFE',
          `trim point ${requested} is past the archived LSN ${archived} of partition ${partition.id}: a processor needing records after the snapshot at ${archived} would find them gone`,
          `trim to ${archived} or less, or publish a newer snapshot first (\`${snapshot}\`); --force skips this check`,
        );
      }
    }
    const current = chain.trim_point ?? 0;
    const outcome = { log_id: logId, requested_trim_point: requested, trim_point: Math.max(current, target), archived_lsn: archived, segments_removed: 0, dry_run: options.dryRun };
    if (options.dryRun || target <= current) return outcome;

    // Drop the records on the log-servers, segment by segment.
    for (const [i, segment] of chain.segments.entries()) {
      if (segment.base_lsn > target) break;
      const params = segment.params;
      if (!params) continue;
      const end = chain.segments[i + 1]?.base_lsn ?? tail.tail_lsn;
      const offset = Math.min(target, end - 1) - segment.base_lsn + 1;
      if (offset <= 0) continue;
      await Promise.allSettled(params.nodeset.map((id) => this.logServers.client(id).trim(params.loglet_id, offset)));
    }
    // The trim point in the logs metadata is what readers go by; wholly trimmed segments leave the chain.
    let removed = 0;
    await this.metadata.update('bifrost_config', (logs) => {
      if (!logs) return undefined;
      return {
        ...logs,
        logs: logs.logs.map((c) => {
          if (c.log_id !== logId) return c;
          const kept = c.segments.filter((segment, i) => {
            const next = c.segments[i + 1];
            return !next || next.base_lsn - 1 > target;
          });
          removed = c.segments.length - kept.length;
          return { ...c, segments: kept, trim_point: Math.max(c.trim_point ?? 0, target) };
        }),
      };
    });
    this.logger.info({ log: logId, trim_point: target, segments_removed: removed, forced: options.force }, 'log trimmed');
    return { ...outcome, segments_removed: removed };
  }

  async findTail(logId: number): Promise<LogTail> {
    const chain = findChain(this.metadata.require('bifrost_config').value, logId);
    if (!chain) throw new ApiError('NOT_FOUND', `log ${logId} does not exist`, 'see `cairnctl logs list`');
    const tail = tailSegment(chain);
    if (tail.kind !== 'replicated' || !tail.params) return { log_id: logId, segment_index: tail.index, state: 'SEALED', tail_lsn: tail.base_lsn };
    // A sequencer the probes found unreachable is not asked: it would cost the whole tail timeout.
    if (this.liveness.get(parseGenId(tail.params.sequencer).id)?.alive !== false) {
      try {
        return { log_id: logId, segment_index: tail.index, state: 'OPEN', tail_lsn: await this.bifrost.tailLsn(logId) };
      } catch {
        // The sequencer is gone: ask the log-servers.
      }
    }
    const params = tail.params;
    const members = this.memberStates();
    const { counted, needed } = await askNodeset(params, members, (id) => this.logServers.client(id).state(params.loglet_id));
    const states = [...counted.values()];
    if (states.length === 0) throw new ApiError('UNAVAILABLE', `no log-server of loglet ${formatLogletId(params.loglet_id)} answered`, 'bring a log-server of its nodeset back and retry');
    const sealed = states.filter((s) => s.sealed).length >= needed;
    const offset = sealed ? Math.max(...states.map((s) => s.local_tail)) : Math.max(...states.map((s) => s.known_global_tail));
    return { log_id: logId, segment_index: tail.index, state: sealed ? 'SEALED' : 'OPEN', tail_lsn: tail.base_lsn + offset - 1 };
  }
}
