// The sequencer of one replicated loglet. It orders appends (offsets from 1), streams them to every
// log-server of the nodeset in order, and commits a record once a write quorum (the replication
// factor) has stored it durably; then the writer is acknowledged and the committed tail advances.
//
// Only a write quorum of log-servers (the first ones of the nodeset as ordered by the node: its own,
// then those whose processors read the log, ordered again when those move) is stored to on every
// append. The others are standbys: they get what they lack in one batch every STANDBY_FLUSH_MS, and
// on every append while an append has waited that long or a quorum member is failing or behind the
// committed tail. A stalled member thus costs the writers one flush period, not a failover, and
// each record still reaches the whole nodeset, with fewer stores and fsyncs.
//
// Bounds: each peer has at most `inflightBatches` stores in flight from this node (all its
// sequencers together, see PeerWindows), each cut by `batchBytes` and
// `batchRecords` (the first record always goes, so a record larger than the byte bound still makes
// progress). Uncommitted records are capped by `bufferBytes` (writers wait); committed records a
// slow or stopped peer still lacks are dropped from memory past that cap, and that peer is later
// caught up from a log-server that has them, one bounded batch at a time.
import { ApiError } from '../../api/errors';
import { formatLogletId, formatPlainId } from '../../api/ids';
import type { ReplicatedLogletParams } from '../../api/schemas';
import type { LogServerClient } from '../log-server/client';
import type { Logger } from '../logger';
import { nodeMetrics } from '../metrics';
import { RECORD_FRAMING_BYTES } from './wire';

export interface SequencerOptions {
  batchBytes: number;
  batchRecords: number;
  inflightBatches: number;
  bufferBytes: number;
}

const MAX_BACKOFF_MS = 1_000;
/** How often a standby log-server gets what it lacks, and how long an append waits before standbys step in. */
const STANDBY_FLUSH_MS = 50;

export function sealedError(logletId: number): ApiError {
  return new ApiError('SEALED', `loglet ${formatLogletId(logletId)} is sealed`, 'the appender retries on the next segment');
}

/** Records by offset from `start` on. */
class RecordBuffer {
  start = 1;
  private records: Buffer[] = [];
  bytes = 0;

  get end(): number {
    return this.start + this.records.length;
  }

  push(records: readonly Buffer[]): void {
    for (const record of records) {
      this.records.push(record);
      this.bytes += record.length;
    }
  }

  get(offset: number): Buffer | undefined {
    return this.records[offset - this.start];
  }

  dropBelow(offset: number): void {
    const count = Math.min(offset, this.end) - this.start;
    if (count <= 0) return;
    for (let i = 0; i < count; i++) this.bytes -= this.records[i]!.length;
    this.records = this.records.slice(count);
    this.start += count;
  }
}

interface AppendWaiter {
  last: number;
  /** performance.now() when the append came. */
  since: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class Sequencer {
  nextOffset = 1;
  committedTail = 1;
  sealed = false;
  largestBatchBytes = 0;
  /** Records sent to a peer after they had left memory (read back from a log-server). */
  relayedRecords = 0;
  /** Bytes of records at or above the committed tail (never dropped from the buffer). */
  private uncommittedBytes = 0;
  private readonly buffer = new RecordBuffer();
  private appendWaiters: AppendWaiter[] = [];
  private tailWaiters: Array<() => void> = [];
  private capacityWaiters: Array<() => void> = [];
  private confirming: Promise<number> | undefined;
  private nextConfirmation: Promise<number> | undefined;
  readonly peers: PeerReplicator[];

  readonly logletId: number;
  readonly params: ReplicatedLogletParams;
  /** LSN of offset 1. */
  readonly baseLsn: number;

  constructor(
    segment: { base_lsn: number; params: ReplicatedLogletParams },
    /** The nodeset members stores go to (those whose storage state takes writes). */
    writeable: readonly number[],
    private readonly logServers: (nodeId: number) => LogServerClient,
    readonly options: SequencerOptions,
    windows: PeerWindows,
    private readonly logger: Logger,
  ) {
    this.logletId = segment.params.loglet_id;
    this.params = segment.params;
    this.baseLsn = segment.base_lsn;
    const quorum = segment.params.replication.node;
    this.peers = writeable.map((nodeId, i) => new PeerReplicator(this, nodeId, () => logServers(nodeId), windows, i >= quorum));
  }

  get bufferedBytes(): number {
    return this.buffer.bytes;
  }

  /** Appends records; resolves with their offsets once they are committed. */
  async append(records: readonly Buffer[]): Promise<{ first: number; last: number }> {
    const started = performance.now();
    // Writers wait while too much is uncommitted; an append always goes when nothing is.
    while (!this.sealed && this.committedTail < this.nextOffset && this.uncommittedBytes >= this.options.bufferBytes) {
      await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
    }
    if (this.sealed) throw sealedError(this.logletId);
    const first = this.nextOffset;
    this.buffer.push(records);
    let bytes = 0;
    for (const record of records) bytes += record.length;
    this.uncommittedBytes += bytes;
    this.nextOffset += records.length;
    const last = this.nextOffset - 1;
    const committed = new Promise<void>((resolve, reject) => this.appendWaiters.push({ last, since: started, resolve, reject }));
    for (const peer of this.peers) peer.pump();
    await committed;
    nodeMetrics().sequencerCommitted(started, records.length, bytes);
    return { first, last };
  }

  /** The next batch for a peer from `from` on, or undefined if those records left memory. */
  cut(from: number): { records: Buffer[]; bytes: number } | undefined {
    if (from < this.buffer.start) return undefined;
    const records: Buffer[] = [];
    let bytes = 0;
    for (let offset = from; offset < this.nextOffset && records.length < this.options.batchRecords; offset++) {
      const record = this.buffer.get(offset)!;
      const cost = RECORD_FRAMING_BYTES + record.length;
      if (records.length > 0 && bytes + cost > this.options.batchBytes) break;
      records.push(record);
      bytes += cost;
    }
    return { records, bytes };
  }

  /**
   * Whether standbys should be stored to on every append: one has waited a flush period, or a
   * quorum member is failing or lags behind the committed tail (standbys made up for it, and go on
   * doing so until it has caught up).
   */
  standbysNeeded(): boolean {
    const oldest = this.appendWaiters[0];
    if (oldest && performance.now() - oldest.since >= STANDBY_FLUSH_MS) return true;
    return this.peers.some((p) => !p.standby && (p.failing || p.ackedTail < this.committedTail));
  }

  /**
   * Makes the first members of `order` (node ids of the peers) the write quorum and the rest
   * standbys. Commits count stores wherever they came from, so this changes only who is stored to
   * on every append; a new quorum member is behind, and the standbys step in until it caught up.
   */
  reorderPeers(order: readonly number[]): void {
    const quorum = this.params.replication.node;
    const rank = (peer: PeerReplicator) => order.indexOf(peer.nodeId);
    this.peers.sort((a, b) => rank(a) - rank(b));
    this.peers.forEach((peer, i) => (peer.standby = i >= quorum));
    for (const peer of this.peers) peer.pump();
  }

  /** A quorum member's store failed: the standbys take what it lacks now, not at their next flush. */
  onPeerFailing(): void {
    for (const peer of this.peers) if (peer.standby) peer.pump();
  }

  noteBatch(records: number, bytes: number): void {
    this.largestBatchBytes = Math.max(this.largestBatchBytes, bytes);
    nodeMetrics().storeBatch(records, bytes);
  }

  /** A log-server that holds `offset` (for catching up a peer), preferring this node's own. */
  sourceFor(offset: number, excluding: number): LogServerClient | undefined {
    const candidates = this.peers.filter((p) => p.nodeId !== excluding && p.ackedTail > offset);
    const local = candidates.find((p) => this.logServers(p.nodeId).local);
    const peer = local ?? candidates.sort((a, b) => b.ackedTail - a.ackedTail)[0];
    return peer ? this.logServers(peer.nodeId) : undefined;
  }

  onAck(): void {
    const quorum = this.params.replication.node;
    const tails = this.peers.map((p) => p.ackedTail).sort((a, b) => b - a);
    const committed = tails[quorum - 1] ?? 1;
    if (committed > this.committedTail) {
      for (let offset = this.committedTail; offset < committed; offset++) this.uncommittedBytes -= this.buffer.get(offset)!.length;
      this.committedTail = committed;
      const done = this.appendWaiters.filter((w) => w.last < committed);
      this.appendWaiters = this.appendWaiters.filter((w) => w.last >= committed);
      for (const waiter of done) waiter.resolve();
      this.wake('tail');
      this.wake('capacity');
      for (const peer of this.peers) peer.releaseTail();
    }
    // Keep what some peer still needs, unless memory is short: then only what is uncommitted.
    const slowest = Math.min(...this.peers.map((p) => p.ackedTail));
    this.buffer.dropBelow(this.buffer.bytes > this.options.bufferBytes ? this.committedTail : Math.min(slowest, this.committedTail));
  }

  onPeerSealed(nodeId: number): void {
    if (this.sealed) return;
    this.logger.info({ loglet: formatLogletId(this.logletId), by: formatPlainId(nodeId) }, 'loglet was sealed; sequencer stops');
    this.seal();
  }

  /** Stops: pending appends fail with SEALED (the appender retries them on the next segment). */
  seal(): void {
    if (this.sealed) return;
    this.sealed = true;
    const pending = this.appendWaiters;
    this.appendWaiters = [];
    for (const waiter of pending) waiter.reject(sealedError(this.logletId));
    for (const peer of this.peers) peer.stop();
    this.wake('tail');
    this.wake('capacity');
  }

  /**
   * The committed tail, confirmed to still be the log's. A sequencer that was paused (or cut off)
   * may have been replaced meanwhile without knowing it; a read served from its committed tail
   * would miss writes acknowledged on the new segment. A seal completes on an f-majority of the
   * nodeset, which intersects every write quorum: once a write quorum of log-servers answers that
   * the loglet is open, no reconfiguration finished before the caller arrived, so every write
   * acknowledged before then is below the tail returned. Callers that arrive while a round is out
   * join the next one (which starts after they arrived); many reads share one round.
   */
  confirmedTail(): Promise<number> {
    if (!this.confirming) {
      this.confirming = this.confirmOpen().finally(() => {
        this.confirming = undefined;
      });
      return this.confirming;
    }
    this.nextConfirmation ??= this.confirming
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.nextConfirmation = undefined;
        return this.confirmedTail();
      });
    return this.nextConfirmation;
  }

  private async confirmOpen(): Promise<number> {
    const tail = this.committedTail;
    if (this.sealed) throw sealedError(this.logletId);
    const needed = this.params.replication.node;
    if (this.peers.length < needed) {
      throw new ApiError('UNAVAILABLE', `cannot confirm the tail of loglet ${formatLogletId(this.logletId)}: only ${this.peers.length} writeable log-server(s), ${needed} needed`);
    }
    await new Promise<void>((resolve, reject) => {
      let open = 0;
      let settled = 0;
      const failures: string[] = [];
      for (const peer of this.peers) {
        this.logServers(peer.nodeId)
          .state(this.logletId)
          .then(
            (state) => {
              if (state.sealed) {
                this.onPeerSealed(peer.nodeId);
                reject(sealedError(this.logletId));
              } else if (++open >= needed) resolve();
            },
            (err: Error) => failures.push(`${formatPlainId(peer.nodeId)}: ${err.message}`),
          )
          .finally(() => {
            if (++settled < this.peers.length) return;
            reject(
              new ApiError(
                'UNAVAILABLE',
                `cannot confirm the tail of loglet ${formatLogletId(this.logletId)}: ${open} of the ${needed} log-servers needed answered${failures.length ? ` (${failures.join('; ')})` : ''}`,
                'retry shortly',
              ),
            );
          });
      }
    });
    return tail;
  }

  /** Resolves once the committed tail passes `after`, the loglet is sealed, or `waitMs` passes. */
  async waitForTail(after: number, waitMs: number): Promise<number> {
    if (this.committedTail > after || this.sealed || waitMs <= 0) return this.committedTail;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs);
      this.tailWaiters.push(done);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
    return this.committedTail;
  }

  private wake(which: 'tail' | 'capacity'): void {
    const waiters = which === 'tail' ? this.tailWaiters : this.capacityWaiters;
    if (which === 'tail') this.tailWaiters = [];
    else this.capacityWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** How long an idle peer waits for a store that would carry a new committed tail anyway. */
const TAIL_RELEASE_DELAY_MS = 5;

/**
 * Stores in flight from this node to each log-server, across all of its sequencers: a log-server
 * receives at most `limit` batches from a node at a time, however many loglets it holds.
 */
export class PeerWindows {
  private readonly inflight = new Map<number, number>();
  private readonly waiting = new Map<number, Set<() => void>>();

  constructor(private readonly limit: number) {}

  tryAcquire(peer: number): boolean {
    const count = this.inflight.get(peer) ?? 0;
    if (count >= this.limit) return false;
    this.inflight.set(peer, count + 1);
    return true;
  }

  release(peer: number): void {
    this.inflight.set(peer, (this.inflight.get(peer) ?? 1) - 1);
    const waiting = this.waiting.get(peer);
    if (!waiting?.size) return;
    this.waiting.set(peer, new Set());
    for (const wake of waiting) wake();
  }

  wait(peer: number, wake: () => void): void {
    let waiting = this.waiting.get(peer);
    if (!waiting) this.waiting.set(peer, (waiting = new Set()));
    waiting.add(wake);
  }
}

/** The ordered stream of stores from a sequencer to one log-server of its nodeset. */
export class PeerReplicator {
  ackedTail = 1;
  next = 1;
  inflight = 0;
  lastError: string | null = null;
  private backoffMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The committed tail this peer was last told of, and the pending idle release of a newer one. */
  private toldGlobalTail = 1;
  private releaseTimer: NodeJS.Timeout | undefined;
  /** A standby's next batch (see the top of the file). */
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sequencer: Sequencer,
    readonly nodeId: number,
    private readonly client: () => LogServerClient,
    private readonly windows: PeerWindows,
    /** Stored to in batches (see the top of the file); the sequencer may change it (reorderPeers). */
    public standby: boolean,
  ) {}

  /** Its last store failed, and it waits to try again. */
  get failing(): boolean {
    return this.retryTimer !== undefined;
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }

  /**
   * Sends what this peer lacks, as far as the bounds allow. A standby sends only on its flush timer
   * (`flush`) or while standbys are needed; otherwise the timer is set.
   */
  pump(flush = false): void {
    const { sequencer } = this;
    if (this.standby && !flush && !this.stopped && this.next < sequencer.nextOffset && !sequencer.standbysNeeded()) {
      this.flushTimer ??= setTimeout(() => {
        this.flushTimer = undefined;
        this.pump(true);
      }, STANDBY_FLUSH_MS);
      return;
    }
    while (!this.stopped && !this.retryTimer && this.inflight < sequencer.options.inflightBatches && this.next < sequencer.nextOffset) {
      const from = this.next;
      // What is there goes while the window has room, partial or not; under load the window fills
      // and what comes meanwhile goes together in the next store. Holding partial batches back made
      // each log's appenders wait on each other's round trips (9-11% more CPU per append at 8
      // clients, side by side in test/bench/tools/paired.mjs).
      const batch = sequencer.cut(from);
      // Records that left memory are fetched from a log-server that has them.
      const source = batch ? undefined : sequencer.sourceFor(from, this.nodeId);
      if (!batch && !source) return this.failed(new Error(`no log-server holds offset ${from} to catch ${formatPlainId(this.nodeId)} up`));
      if (!this.windows.tryAcquire(this.nodeId)) {
        this.windows.wait(this.nodeId, () => this.pump());
        return;
      }
      this.inflight++;
      if (batch) {
        this.next += batch.records.length;
        sequencer.noteBatch(batch.records.length, batch.bytes);
        void this.send(from, batch.records);
      } else {
        this.next = Number.MAX_SAFE_INTEGER; // nothing else goes until this batch is read
        void this.relay(source!, from);
        return;
      }
    }
  }

  /**
   * Tells an idle peer the committed tail: the stores carry the tail as it was when they left, so
   * without a next record a log-server would stay one commit behind (and `info` and `digest` with
   * it). A short wait lets a store that is coming anyway carry it instead.
   */
  releaseTail(): void {
    if (this.releaseTimer || this.stopped || this.toldGlobalTail >= this.sequencer.committedTail) return;
    this.releaseTimer = setTimeout(() => {
      this.releaseTimer = undefined;
      const { sequencer } = this;
      const idle = !this.stopped && !this.retryTimer && this.inflight === 0 && this.next >= sequencer.nextOffset;
      if (!idle || this.toldGlobalTail >= sequencer.committedTail) return;
      this.toldGlobalTail = sequencer.committedTail;
      this.client().releaseTail(sequencer.logletId, sequencer.committedTail);
    }, TAIL_RELEASE_DELAY_MS);
  }

  /** One store of this peer ended (either way). */
  private finished(): void {
    this.inflight--;
    this.windows.release(this.nodeId);
  }

  private async relay(source: LogServerClient, from: number): Promise<void> {
    let batch: { first: number; records: Buffer[]; trimPoint: number | undefined };
    try {
      const { options } = this.sequencer;
      batch = await readForCopy(source, this.sequencer.logletId, from, options);
    } catch (err) {
      this.finished();
      this.next = from;
      this.failed(err as Error);
      return;
    }
    this.next = batch.first + batch.records.length;
    this.sequencer.relayedRecords += batch.records.length;
    await this.send(batch.first, batch.records, batch.trimPoint);
  }

  private async send(from: number, records: Buffer[], trimPoint?: number): Promise<void> {
    const { sequencer } = this;
    let result;
    this.toldGlobalTail = Math.max(this.toldGlobalTail, sequencer.committedTail);
    const started = performance.now();
    try {
      result = await this.client().store(
        {
          loglet_id: sequencer.logletId,
          first_offset: from,
          known_global_tail: sequencer.committedTail,
          sequencer: sequencer.params.sequencer,
          ...(trimPoint !== undefined ? { trim_point: trimPoint } : {}),
        },
        records,
      );
    } catch (err) {
      this.finished();
      this.failed(err as Error);
      return;
    }
    this.finished();
    nodeMetrics().storeAnswered(this.nodeId, started);
    if (this.stopped) return;
    this.ackedTail = Math.max(this.ackedTail, result.local_tail);
    if (result.status === 'sealed') {
      sequencer.onPeerSealed(this.nodeId);
      return;
    }
    if (result.status === 'out-of-order') this.next = Math.min(this.next, result.local_tail);
    else {
      this.backoffMs = 0;
      this.lastError = null;
    }
    sequencer.onAck();
    this.pump();
    this.releaseTail();
  }

  /** Resend everything after what the peer acknowledged, after a growing pause. */
  private failed(err: Error): void {
    this.lastError = err.message;
    this.next = this.ackedTail;
    if (this.stopped || this.retryTimer) return;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs ? this.backoffMs * 2 : 50);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, this.backoffMs);
    if (!this.standby) this.sequencer.onPeerFailing();
  }
}

/**
 * Reads records from a log-server to copy them to another (catch-up relay, seal repair). A source
 * that has trimmed below `from` answers from after its trim point: the copy must start there and
 * carry the trim point, never land at the offset that was asked for.
 */
export async function readForCopy(
  source: LogServerClient,
  logletId: number,
  from: number,
  limits: { batchRecords: number; batchBytes: number },
): Promise<{ first: number; records: Buffer[]; trimPoint: number | undefined }> {
  const result = await source.read(logletId, from, limits.batchRecords, limits.batchBytes);
  const trimmed = result.from > from;
  if (result.records.length === 0 && !trimmed) {
    throw new Error(`log-server ${formatPlainId(source.nodeId)} returned no records from offset ${from}`);
  }
  return { first: result.from, records: result.records, trimPoint: trimmed ? result.from - 1 : undefined };
}
