// The cluster controller (admin role). Every admin node probes its peers; the one the election picks
// (election.ts) acts. Whatever it changes goes through compare-and-set on the metadata, so two nodes
// that briefly both believe they lead cannot corrupt it.
import { formatGenId, formatLogletId, formatNodeSet, makeLogletId, parseGenId, type GenerationalNodeId } from '../../api/ids';
import { shouldWriteTo } from '../../api/states';
import { tailSegment } from '../../api/logs';
import { TransportError, type HttpClient } from '../../api/http-client';
import { epochKey, type EpochMetadata, type Ident, type LogChain, type NodeConfig as NodeEntry, type NodesConfiguration } from '../../api/schemas';
import type { Logger } from '../logger';
import type { MetadataManager } from '../metadata/manager';
import { PeriodicTask } from '../periodic';
import type { ControllerElection, PeerView } from './election';
import type { LogOperations } from './log-ops';

const PROBE_TIMEOUT_MS = 1_000;
/**
 * How long a sequencer may stay unreachable before its loglet is sealed and the chain extended (at
 * once when its port refuses connections: the process is gone, not slow).
 */
const SEQUENCER_GRACE_MS = 1_500;
/**
 * How long a tail loglet may be reported sealed on log-servers before the controller finishes its
 * reconfiguration: long enough for one that is merely in progress elsewhere to record itself.
 */
const SEALED_SETTLE_MS = 1_000;
/** How long a tail's nodeset may differ from the read-write log-servers before it is replaced. */
const NODESET_SETTLE_MS = 3_000;

/** Placement is rebalanced only after every active worker has been alive this long... */
const REBALANCE_SETTLE_MS = 5_000;
/** ...and then one step (a replica added or dropped, a leader moved) at a time, this far apart. */
const REBALANCE_INTERVAL_MS = 1_000;

/** How long a partition leader may be gone before another replica leads (at once when refused). */
const LEADER_GRACE_MS = 1_500;
/** How long a replica may be gone before another worker takes its place in the replica set. */
const REPLICA_GRACE_MS = 10_000;

const sameMembers = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((id) => b.includes(id));
/** A placement is changed only from what the controller saw (compare-and-set on its content,
 *  operators' policies included: a freeze written meanwhile is never overwritten). */
const samePlacement = (a: EpochMetadata, b: EpochMetadata) =>
  a.epoch === b.epoch &&
  a.leader === b.leader &&
  sameMembers(a.replica_set, b.replica_set) &&
  JSON.stringify([a.leadership_policy, a.placement_policy]) === JSON.stringify([b.leadership_policy, b.placement_policy]);
/** An operator froze the replica set: the controller neither replaces nor rebalances its members. */
const placementFrozen = (doc: EpochMetadata | undefined) => !!doc?.placement_policy?.freeze;
/** The leader is the operator's to choose (pinned) or frozen: rebalancing leaves it alone. */
const leadershipHeld = (doc: EpochMetadata) => !!doc.leadership_policy?.freeze || doc.leadership_policy?.affinity !== undefined;
/** Logs are created once membership has been quiet this long, so that nodes starting together all
 *  land in the first nodesets instead of whichever two registered first. */
const MEMBERSHIP_SETTLE_MS = 1_000;

export interface PeerState extends PeerView {
  generation: number | null;
  lastSeenAlive: Date | undefined;
  /**
   * When this node's probes first found the peer not alive (undefined while it is). Every admin
   * node probes, acting or not, so a node that takes over as controller knows for how long a peer
   * has been gone instead of starting to count then (a paused controller that also sequenced
   * logs cost them its lease's 2 s, then the whole grace again: 7 s, chaos seed 1205 in etcd mode).
   */
  unreachableSince: number | undefined;
  ident: Ident | undefined;
}

/** Log-servers that new nodesets may include (`should_write_to` in the reference). */
export function writeableLogServers(nodes: NodesConfiguration): NodeEntry[] {
  return nodes.nodes.filter((n) => n.roles.includes('log-server') && shouldWriteTo(n.log_server.storage_state));
}

export class ClusterController {
  readonly peers = new Map<number, PeerState>();
  private readonly task = new PeriodicTask(
    () => this.tick(),
    (err) => this.logger.warn({ err: err.message }, 'cluster controller tick failed'),
  );
  private waitingNote: string | undefined;
  private membership = { version: 0, since: 0 };
  /** Per partition: the archived LSN last seen and since when (for the trim delay). */
  private readonly archivedSince = new Map<number, { lsn: number; since: number }>();
  /** Since when every active worker has been alive, and when placement was last rebalanced. */
  private stableSince = Date.now();
  private lastRebalance = 0;
  /** Since when a condition has held, by `nodeset:<log>`, `sealed:<log>`, `stopped:<partition>`. */
  private readonly unhealthySince = new Map<string, number>();
  private ops: LogOperations | undefined;
  private election: ControllerElection | undefined;

  constructor(
    private readonly me: GenerationalNodeId,
    private readonly metadata: MetadataManager,
    private readonly http: HttpClient,
    private readonly selfIdent: () => Ident,
    private readonly trimDelayMs: number,
    private readonly logger: Logger,
  ) {}

  start(intervalMs: number, ops: LogOperations, election: ControllerElection): void {
    this.ops = ops;
    this.election = election;
    election.start(() => this.task.runSoon());
    this.task.start(intervalMs);
  }

  async stop(): Promise<void> {
    this.task.stop();
    await this.election?.stop();
  }

  /** The node acting as controller as far as this node knows. */
  controllerId(): number | null {
    return this.election?.controllerId() ?? null;
  }

  private async tick(): Promise<void> {
    const nodes = this.metadata.get('nodes_config');
    if (!nodes) return;
    if (nodes.version !== this.membership.version) this.membership = { version: nodes.version, since: Date.now() };
    await this.probe(nodes.value);
    if (!this.election?.acting()) return;
    await this.ensureLogs();
    await this.reconfigureTails();
    await this.placePartitions();
    await this.rebalance();
    await this.autoTrim();
  }

  /** Whether a node's processor of a partition has caught up with its log (it reports active). */
  private caughtUp(node: number, partition: number): boolean {
    return !!this.peers.get(node)?.ident?.partitions.some((p) => p.partition_id === partition && p.status === 'active');
  }

  private deadFor(id: number, now: number): number {
    const peer = this.peers.get(id);
    if (peer?.alive) return 0;
    return peer?.lastSeenAlive ? now - peer.lastSeenAlive.getTime() : Number.POSITIVE_INFINITY;
  }

  /** Whether a node's sequencers and leaderships move elsewhere: gone for `graceMs`, or refusing. */
  private failoverDue(id: number, now: number, graceMs: number): boolean {
    return this.peers.get(id)?.refused === true || this.deadFor(id, now) >= graceMs;
  }

  /**
   * Replica sets and leaders of the partitions (pp_epoch_<pid>): every active worker with
   * \`everywhere\`, otherwise as many as the replication asks, keeping members unless they have been
   * gone for REPLICA_GRACE_MS. A leader gone for LEADER_GRACE_MS is replaced by an alive member,
   * preferably the node that runs the log's sequencer, and the epoch moves on. Operators' policies:
   * a frozen placement keeps its replica set, frozen leadership keeps its leader (even a dead one),
   * and a pinned node joins the replica set and leads once it is alive and caught up.
   */
  private async placePartitions(): Promise<void> {
    const table = this.metadata.get('partition_table')?.value;
    const nodes = this.metadata.get('nodes_config')?.value;
    const logs = this.metadata.get('bifrost_config')?.value;
    if (!table || !nodes || !logs) return;
    const now = Date.now();
    const workers = nodes.nodes.filter((n) => n.roles.includes('worker') && n.worker.worker_state === 'active').map((n) => n.id);
    const alive = (id: number) => this.deadFor(id, now) === 0;
    const epochs = new Map(table.partitions.map((p) => [p.id, this.metadata.get(epochKey(p.id))?.value]));
    const load = (id: number, what: 'member' | 'leader') =>
      [...epochs.values()].filter((e) => (what === 'leader' ? e?.leader === id : e?.replica_set.includes(id))).length;

    for (const partition of table.partitions) {
      const current = epochs.get(partition.id);
      const tail = logs.logs.find((l) => l.log_id === partition.log_id);
      // Placed once its log exists (by then the nodes started together have joined).
      if (!tail) continue;
      const sequencerNode = Number(tailSegment(tail).params?.sequencer.slice(1).split(':')[0]);
      const pin = current?.leadership_policy?.affinity;
      let replicaSet: number[];
      if (placementFrozen(current)) replicaSet = current!.replica_set;
      else if (table.replication.kind === 'everywhere') replicaSet = workers;
      else {
        // New members: the node sequencing the log first (the leader can then sit with it), then the least loaded.
        const keep = (current?.replica_set ?? []).filter((id) => workers.includes(id) && this.deadFor(id, now) < REPLICA_GRACE_MS);
        const fill = workers
          .filter((id) => alive(id) && !keep.includes(id))
          .sort((a, b) => Number(b === sequencerNode) - Number(a === sequencerNode) || load(a, 'member') - load(b, 'member') || a - b);
        replicaSet = [...keep, ...fill].slice(0, Math.max(keep.length, table.replication.property.node));
        // A pinned node joins, one above the replication; rebalance() shrinks the set once it caught up.
        if (pin !== undefined && workers.includes(pin) && alive(pin) && !replicaSet.includes(pin)) replicaSet = [...replicaSet, pin];
      }
      let leader = current?.leader ?? null;
      // A leader that cannot apply (its processor stopped: a full disk, a trim gap) serves no reads.
      const stopped = (id: number) => !!this.peers.get(id)?.ident?.partitions.some((p) => p.partition_id === partition.id && p.status === 'stopped');
      const leaderStopped = this.unhealthyFor(`stopped:${partition.id}`, now, leader !== null && stopped(leader)) >= LEADER_GRACE_MS;
      const leadershipFrozen = !!current?.leadership_policy?.freeze;
      if (!leadershipFrozen && (leader === null || !replicaSet.includes(leader) || this.failoverDue(leader, now, LEADER_GRACE_MS) || leaderStopped)) {
        const candidates = replicaSet
          .filter((id) => alive(id) && !stopped(id))
          .sort((a, b) => Number(b === pin) - Number(a === pin) || Number(b === sequencerNode) - Number(a === sequencerNode) || load(a, 'leader') - load(b, 'leader') || a - b);
        leader = candidates[0] ?? (leader !== null && replicaSet.includes(leader) ? leader : null);
      }
      if (!leadershipFrozen && pin !== undefined && leader !== pin && replicaSet.includes(pin) && alive(pin) && this.caughtUp(pin, partition.id)) leader = pin;
      const changedLeader = leader !== (current?.leader ?? null);
      if (!changedLeader && current && sameMembers(current.replica_set, replicaSet)) continue;
      const placed = { epoch: (current?.epoch ?? 0) + (changedLeader ? 1 : 0), leader, replica_set: replicaSet };
      epochs.set(partition.id, { ...current, ...placed });
      await this.metadata
        // Written over what is stored only if that is what this decision was made from.
        .update(epochKey(partition.id), (stored) => (stored && (!current || !samePlacement(stored, current)) ? undefined : { ...stored, ...placed }))
        .then(() => this.logger.info({ partition: partition.id, ...placed }, changedLeader ? 'partition leader chosen' : 'partition replica set changed'))
        .catch((err: Error) => this.logger.warn({ partition: partition.id, err: err.message }, 'cannot update partition placement'));
    }
  }

  /**
   * Spreads replicas and leaders back over the workers once all of them are alive (after nodes
   * came back, everything may sit on the survivors, and the next failure would take every copy).
   * One step per REBALANCE_INTERVAL_MS, each safe on its own, so a controller that changes midway
   * leaves nothing half done:
   * - a replica set larger than the replication drops its most loaded member once every member has
   *   caught up (its processor reports active), moving leadership off it first if it leads;
   * - else a replica moves from the most to the least loaded worker by first joining the least
   *   loaded one (the set grows by one; the step above shrinks it once the newcomer caught up);
   * - else leadership moves from the worker leading most to a caught-up replica leading fewest.
   * A step is taken only when the loads differ by two or more, so a balanced cluster stays still.
   */
  private async rebalance(): Promise<void> {
    const table = this.metadata.get('partition_table')?.value;
    const nodes = this.metadata.get('nodes_config')?.value;
    if (!table || !nodes) return;
    const now = Date.now();
    const workers = nodes.nodes.filter((n) => n.roles.includes('worker') && n.worker.worker_state === 'active').map((n) => n.id);
    if (workers.some((id) => this.deadFor(id, now) > 0)) this.stableSince = now;
    if (workers.length < 2 || now - this.stableSince < REBALANCE_SETTLE_MS || now - this.lastRebalance < REBALANCE_INTERVAL_MS) return;

    const placements = table.partitions.flatMap((p) => {
      const doc = this.metadata.get(epochKey(p.id))?.value;
      return doc ? [{ partition: p.id, doc }] : [];
    });
    const load = (id: number, what: 'member' | 'leader') =>
      placements.filter(({ doc }) => (what === 'leader' ? doc.leader === id : doc.replica_set.includes(id))).length;
    const byLoad = (what: 'member' | 'leader') => [...workers].sort((a, b) => load(a, what) - load(b, what) || a - b);
    const target = table.replication.kind === 'everywhere' ? undefined : table.replication.property.node;

    let step: { partition: number; current: EpochMetadata; next: EpochMetadata; what: string } | undefined;
    if (target !== undefined) {
      const oversized = placements.find(
        ({ partition, doc }) => !placementFrozen(doc) && doc.replica_set.length > target && doc.replica_set.every((id) => this.caughtUp(id, partition)),
      );
      // The most loaded member leaves (a follower on ties), never a pinned node nor a leader the operator holds.
      const drop = oversized?.doc.replica_set
        .filter((id) => id !== oversized.doc.leadership_policy?.affinity && !(leadershipHeld(oversized.doc) && id === oversized.doc.leader))
        .sort((a, b) => load(b, 'member') - load(a, 'member') || Number(a === oversized.doc.leader) - Number(b === oversized.doc.leader) || b - a)[0];
      if (oversized && drop !== undefined) {
        // If the member leaving leads, its leadership moves first.
        const { partition, doc } = oversized;
        if (drop === doc.leader) {
          const successor = doc.replica_set.filter((id) => id !== drop).sort((a, b) => load(a, 'leader') - load(b, 'leader') || a - b)[0]!;
          step = { partition, current: doc, next: { ...doc, epoch: doc.epoch + 1, leader: successor }, what: `moved leadership from N${drop} to N${successor} before N${drop} leaves` };
        } else {
          step = { partition, current: doc, next: { ...doc, replica_set: doc.replica_set.filter((id) => id !== drop) }, what: `dropped replica N${drop}` };
        }
      } else if (!placements.some(({ doc }) => !placementFrozen(doc) && doc.replica_set.length > target)) {
        const order = byLoad('member');
        const [under, over] = [order[0]!, order[order.length - 1]!];
        const movable = placements.filter(({ doc }) => !placementFrozen(doc) && doc.replica_set.includes(over) && !doc.replica_set.includes(under));
        const from = movable.find(({ doc }) => doc.leader !== over) ?? movable[0];
        if (load(over, 'member') - load(under, 'member') >= 2 && from) {
          const { partition, doc } = from;
          step = { partition, current: doc, next: { ...doc, replica_set: [...doc.replica_set, under] }, what: `added replica N${under} to take over from N${over}` };
        }
      }
    }
    if (!step) {
      const order = byLoad('leader');
      const over = order[order.length - 1]!;
      const under = order.find((id) => load(over, 'leader') - load(id, 'leader') >= 2);
      const from =
        under === undefined ? undefined : placements.find(({ partition, doc }) => !leadershipHeld(doc) && doc.leader === over && doc.replica_set.includes(under) && this.caughtUp(under, partition));
      if (from && under !== undefined) {
        const { partition, doc } = from;
        step = { partition, current: doc, next: { ...doc, epoch: doc.epoch + 1, leader: under }, what: `moved leadership from N${over} to N${under}` };
      }
    }
    if (!step) return;
    this.lastRebalance = now;
    const { partition, current, next, what } = step;
    await this.metadata
      .update(epochKey(partition), (stored) => (stored && !samePlacement(stored, current) ? undefined : next))
      .then(() => this.logger.info({ partition, ...next }, `rebalanced partition placement: ${what}`))
      .catch((err: Error) => this.logger.warn({ partition, err: err.message }, 'cannot rebalance partition placement'));
  }

  /**
   * Trims each log up to its partition's archived LSN once that has held for \`admin.log-trim-delay\`.
   * Without a snapshot repository there is no archived LSN, and nothing is ever trimmed.
   */
  private async autoTrim(): Promise<void> {
    const table = this.metadata.get('partition_table')?.value;
    const logs = this.metadata.get('bifrost_config')?.value;
    if (!table || !logs || !this.ops) return;
    const now = Date.now();
    for (const partition of table.partitions) {
      const archived = this.ops.archivedLsn(partition.id);
      const trimmed = logs.logs.find((l) => l.log_id === partition.log_id)?.trim_point ?? 0;
      if (archived === null || archived <= trimmed) {
        this.archivedSince.delete(partition.id);
        continue;
      }
      const seen = this.archivedSince.get(partition.id);
      if (!seen || seen.lsn !== archived) {
        this.archivedSince.set(partition.id, { lsn: archived, since: now });
        continue;
      }
      if (now - seen.since < this.trimDelayMs) continue;
      await this.ops
        .trim(partition.log_id, archived, { force: false, dryRun: false })
        .catch((err: Error) => this.logger.warn({ log: partition.log_id, err: err.message }, 'automatic trim failed; it is tried again'));
    }
  }

  private async probe(nodes: NodesConfiguration): Promise<void> {
    // A peer that does not answer is unreachable since the probe went out, not since it timed out
    // (PROBE_TIMEOUT_MS later): the grace counts from when it stopped answering.
    const sentAt = Date.now();
    await Promise.all(
      nodes.nodes.map(async (node) => {
        let ident: Ident | undefined;
        let refused = false;
        if (node.id === this.me.id) ident = this.selfIdent();
        else {
          // A connection that was reset may have been to a process that just died: a second try on
          // a new connection tells (a dead one refuses).
          for (let attempt = 1; attempt <= 2 && !ident; attempt++) {
            try {
              ident = await this.http.call(node.address, 'ident', { timeoutMs: PROBE_TIMEOUT_MS });
            } catch (err) {
              refused = err instanceof TransportError && err.kind === 'refused';
              if (!(err instanceof TransportError && err.kind === 'reset')) break;
            }
          }
        }
        const alive = ident?.status === 'alive' && ident.node_id === node.id && ident.generation === node.generation;
        const previous = this.peers.get(node.id);
        this.peers.set(node.id, {
          alive,
          refused,
          generation: ident?.generation ?? null,
          lastSeenAlive: alive ? new Date() : previous?.lastSeenAlive,
          unreachableSince: alive ? undefined : (previous?.unreachableSince ?? sentAt),
          ident,
        });
      }),
    );
    for (const id of this.peers.keys()) if (!nodes.nodes.some((n) => n.id === id)) this.peers.delete(id);
  }

  private aliveNodes(nodes: NodesConfiguration): NodeEntry[] {
    return nodes.nodes.filter((n) => this.peers.get(n.id)?.alive);
  }

  /** Creates the log of every partition that has none yet, once enough log-servers are writeable. */
  private async ensureLogs(): Promise<void> {
    const table = this.metadata.get('partition_table')?.value;
    const logs = this.metadata.get('bifrost_config')?.value;
    const nodes = this.metadata.get('nodes_config')?.value;
    if (!table || !logs || !nodes) return;
    const missing = table.partitions.filter((p) => !logs.logs.some((l) => l.log_id === p.log_id));
    if (missing.length === 0) return;

    if (Date.now() - this.membership.since < MEMBERSHIP_SETTLE_MS) return;
    const replication = logs.default_provider.replication;
    const alive = this.aliveNodes(nodes);
    const nodeset = writeableLogServers(nodes).filter((n) => alive.includes(n));
    if (nodeset.length < replication.node) {
      this.noteWaiting(`waiting for ${replication.node} writeable log-servers to create logs (have ${nodeset.length})`);
      return;
    }
    const workers = alive.filter((n) => n.roles.includes('worker'));
    const sequencers = workers.length ? workers : nodeset;
    const limit = logs.default_provider.target_nodeset_size;
    const chosen = (limit > 0 ? nodeset.slice(0, Math.max(limit, replication.node)) : nodeset).map((n) => n.id);

    await this.metadata.update('bifrost_config', (current) => {
      if (!current) return undefined;
      const added: LogChain[] = [];
      for (const partition of table.partitions) {
        if (current.logs.some((l) => l.log_id === partition.log_id)) continue;
        const sequencer = sequencers[partition.log_id % sequencers.length]!;
        added.push({
          log_id: partition.log_id,
          segments: [
            {
              index: 0,
              base_lsn: 1,
              kind: 'replicated',
              created_at: new Date().toISOString(),
              params: {
                loglet_id: makeLogletId(partition.log_id, 0),
                sequencer: formatGenId(sequencer),
                replication: current.default_provider.replication,
                nodeset: chosen,
              },
            },
          ],
        });
      }
      if (added.length === 0) return undefined;
      return { ...current, logs: [...current.logs, ...added].sort((a, b) => a.log_id - b.log_id) };
    });
    this.waitingNote = undefined;
    this.logger.info({ logs: missing.map((p) => p.log_id) }, 'created logs');
  }

  /**
   * Keeps every log's tail segment healthy:
   * - failover: a sequencer that restarted (newer generation) or has been unreachable for
   *   SEQUENCER_GRACE_MS has its loglet sealed and the chain extended with a new sequencer;
   * - a chain left sealed (by `logs seal`, or when no sequencer was available) is extended;
   * - a nodeset that no longer matches the read-write log-servers (one lost its data, or came back)
   *   for NODESET_SETTLE_MS is replaced, keeping the sequencer.
   */
  private async reconfigureTails(): Promise<void> {
    const logs = this.metadata.get('bifrost_config')?.value;
    const nodes = this.metadata.get('nodes_config')?.value;
    if (!logs || !nodes || !this.ops) return;
    const now = Date.now();
    const desired = writeableLogServers(nodes).map((n) => n.id);
    const work: Promise<unknown>[] = [];
    for (const chain of logs.logs) {
      // An operator's seal or reconfigure of this log is under way here: waiting for it would hold
      // this whole tick (every other log and partition) up; the next tick sees what it left.
      if (this.ops.isReconfiguring(chain.log_id)) continue;
      const tail = tailSegment(chain);
      let reason: string | undefined;
      let keepSequencer: number | undefined;
      if (tail.kind === 'sealed') {
        if (!tail.seal?.permanent) reason = 'the chain is sealed; extending it';
      } else if (tail.params) {
        const sequencer = parseGenId(tail.params.sequencer);
        const node = nodes.nodes.find((n) => n.id === sequencer.id);
        const restarted = !node || node.generation !== sequencer.generation;
        const gone = restarted || !this.peers.get(sequencer.id)?.alive;
        const nodesetStale = desired.length >= tail.params.replication.node && !sameMembers(tail.params.nodeset, desired);
        const sealedOn = this.reportedSealed(tail.params.loglet_id);
        const unreachableSince = this.peers.get(sequencer.id)?.unreachableSince;
        const unreachable = gone && unreachableSince !== undefined ? now - unreachableSince : 0;
        const nodesetStaleFor = this.unhealthyFor(`nodeset:${chain.log_id}`, now, nodesetStale);
        const sealedFor = this.unhealthyFor(`sealed:${chain.log_id}`, now, sealedOn.length > 0);
        if (restarted) reason = `sequencer ${tail.params.sequencer} is gone (node is now ${node ? formatGenId(node) : 'removed'})`;
        else if (sealedOn.length && sealedFor >= SEALED_SETTLE_MS) {
          // Sealed on the log-servers but still the tail in the metadata: a reconfiguration whose
          // metadata update failed (the store was unreachable). Its appends wait until it is finished.
          reason = `loglet ${formatLogletId(tail.params.loglet_id)} is sealed on ${formatNodeSet(sealedOn)} but still the tail; finishing its reconfiguration`;
          if (!gone) keepSequencer = sequencer.id;
        } else if (gone) {
          if (this.peers.get(sequencer.id)?.refused) reason = `sequencer ${tail.params.sequencer} refuses connections (its process is gone)`;
          else if (unreachable >= SEQUENCER_GRACE_MS) reason = `sequencer ${tail.params.sequencer} has been unreachable for ${unreachable} ms`;
        } else if (nodesetStaleFor >= NODESET_SETTLE_MS) {
          reason = `nodeset ${formatNodeSet(tail.params.nodeset)} differs from the read-write log-servers ${formatNodeSet(desired)}`;
          keepSequencer = sequencer.id;
        }
      }
      if (!reason) continue;
      const ops = this.ops;
      work.push(
        ops
          .sealAndExtend(chain.log_id, { segmentIndex: tail.index, reason, source: 'cluster-controller', extend: true, sequencer: keepSequencer })
          .then(() => {
            for (const what of ['nodeset', 'sealed']) this.unhealthySince.delete(`${what}:${chain.log_id}`);
          })
          .catch((err: Error) => this.logger.warn({ log: chain.log_id, err: err.message }, 'cannot reconfigure log yet')),
      );
    }
    await Promise.all(work);
  }

  /** For how long a condition named `key` has held (0 while it does not; the clock restarts then). */
  private unhealthyFor(key: string, now: number, unhealthy: boolean): number {
    if (!unhealthy) {
      this.unhealthySince.delete(key);
      return 0;
    }
    const since = this.unhealthySince.get(key) ?? now;
    this.unhealthySince.set(key, since);
    return now - since;
  }

  /** Alive log-servers that report `loglet` sealed while it is a tail in their view. */
  private reportedSealed(loglet: number): number[] {
    return [...this.peers.entries()].filter(([, peer]) => peer.alive && peer.ident?.sealed_tail_loglets.includes(loglet)).map(([id]) => id);
  }

  private noteWaiting(note: string): void {
    if (note !== this.waitingNote) this.logger.info(note);
    this.waitingNote = note;
  }
}
