// Bifrost on every node: append to a log (through its tail segment's sequencer, in process when it
// runs here, over the peer transport otherwise), retrying on the next segment after a seal; and
// read committed records from the log-servers that hold them.
import { ApiError } from '../../api/errors';
import { formatLogletId, parseGenId, splitLogletId, type GenerationalNodeId } from '../../api/ids';
import { findChain, tailSegment } from '../../api/logs';
import type { AppendResult, LogChain, SequencerTail, Segment } from '../../api/schemas';
import type { LogServerRegistry } from '../log-server/registry';
import type { MetadataManager } from '../metadata/manager';
import { failpoint } from '../failpoints';
import { sleep } from '../sleep';
import type { PeerClients } from '../transport/peer-client';
import { enforceRecordSize } from './record';
import { sealedError } from './sequencer';
import type { SequencerManager } from './sequencers';
import type { TailQuestion } from './service';

const APPEND_DEADLINE_MS = 30_000;
const REMOTE_APPEND_TIMEOUT_MS = 15_000;
const TAIL_TIMEOUT_MS = 2_000;
const RETRY_PAUSE_MS = 100;
/**
 * An appender whose segment failed waits for a new tail segment this long at most (doubling from
 * RETRY_PAUSE_MS) before it tries the same one again: a sequencer whose node has not yet learned
 * that it is the sequencer refuses an append as a sealed one does, and no new segment ever comes.
 */
const SAME_SEGMENT_RETRY_MAX_MS = 1_000;

type ReplicatedSegment = Segment & { params: NonNullable<Segment['params']> };

export interface ReadResult {
  /** LSN of the first record returned. */
  from: number;
  records: Buffer[];
}

/** The log was trimmed past the LSN a reader asked for. */
export class TrimGapError extends Error {
  constructor(
    readonly logId: number,
    readonly from: number,
    readonly to: number,
  ) {
    super(`log ${logId} is trimmed: records [${from}..${to}] are gone`);
    this.name = 'TrimGapError';
  }
}

const nonRetryable = (err: unknown) => err instanceof ApiError && ['RECORD_TOO_LARGE', 'BAD_REQUEST', 'PAYLOAD_TOO_LARGE'].includes(err.code);

interface QueuedAppend {
  records: Buffer[];
  bytes: number;
  resolve: (offsets: { first: number; last: number }) => void;
  reject: (err: Error) => void;
}

/**
 * Appends bound for one remote sequencer. Each goes at once while fewer than `inflight` requests
 * are out (the sequencer batches them into its stores anyway); once that many are, the appends that
 * come in wait and go together in the next request. Holding a partial batch back while any request
 * was out made an append wait a whole commit before it even left this node: with it sent at once,
 * 32 clients got 7-23% more appends/s in each of 8 windows, side by side with the code before
 * (`test/bench/tools/paired.mjs`; two clusters of one build differ by up to 7% per window).
 * Once the loglet stops being the tail, what is queued or in flight fails at once with SEALED, so
 * that the appenders retry on the new tail instead of waiting on a sequencer that was replaced
 * (a paused node's requests would otherwise time out only after REMOTE_APPEND_TIMEOUT_MS).
 */
class RemoteAppendQueue {
  private queue: QueuedAppend[] = [];
  /** The batches whose request is out. */
  private readonly inflight = new Set<QueuedAppend[]>();
  private abandoned: ApiError | undefined;

  constructor(
    private readonly send: (records: Buffer[]) => Promise<{ first: number; last: number }>,
    private readonly limits: { bytes: number; records: number; inflight: number },
  ) {}

  append(records: Buffer[]): Promise<{ first: number; last: number }> {
    if (this.abandoned) return Promise.reject(this.abandoned);
    return new Promise((resolve, reject) => {
      this.queue.push({ records, bytes: records.reduce((sum, r) => sum + r.length, 0), resolve, reject });
      this.pump();
    });
  }

  /**
   * The loglet is no longer the tail: everything queued or in flight fails with `reason` now (an
   * answer that comes later settles nothing: each append's promise is settled already).
   */
  abandon(reason: ApiError): void {
    this.abandoned = reason;
    const queued = this.queue;
    this.queue = [];
    for (const append of queued) append.reject(reason);
    for (const batch of this.inflight) for (const append of batch) append.reject(reason);
  }

  private pump(): void {
    while (this.queue.length && this.inflight.size < this.limits.inflight) {
      const batch: QueuedAppend[] = [];
      let bytes = 0;
      let count = 0;
      while (this.queue.length) {
        const next = this.queue[0]!;
        if (batch.length && (bytes + next.bytes > this.limits.bytes || count + next.records.length > this.limits.records)) break;
        batch.push(this.queue.shift()!);
        bytes += next.bytes;
        count += next.records.length;
      }
      this.inflight.add(batch);
      this.send(batch.flatMap((a) => a.records)).then(
        ({ first }) => {
          let offset = first;
          for (const append of batch) {
            append.resolve({ first: offset, last: offset + append.records.length - 1 });
            offset += append.records.length;
          }
        },
        (err: Error) => batch.forEach((append) => append.reject(err)),
      ).finally(() => {
        this.inflight.delete(batch);
        this.pump();
      });
    }
  }
}

export class Bifrost {
  private readonly remoteQueues = new Map<number, RemoteAppendQueue>();
  /** Loglets whose committed tail this node's log-server was found not to know, with that tail. */
  private readonly localTailBehind = new Map<number, number>();
  private closed = false;

  constructor(
    private readonly me: () => GenerationalNodeId | undefined,
    private readonly metadata: MetadataManager,
    private readonly sequencers: () => SequencerManager | undefined,
    private readonly logServers: LogServerRegistry,
    private readonly peers: PeerClients,
    private readonly recordSizeLimit: number,
    private readonly batch: { bytes: number; records: number; inflight: number },
  ) {
    // Queues of loglets that are no longer a tail are abandoned: their appends retry on the new tail.
    metadata.on('change', (key) => {
      if (key !== 'bifrost_config') return;
      const tails = new Set(metadata.get('bifrost_config')?.value.logs.map((chain) => tailSegment(chain).params?.loglet_id));
      for (const [loglet, queue] of this.remoteQueues) {
        if (tails.has(loglet)) continue;
        queue.abandon(sealedError(loglet));
        this.remoteQueues.delete(loglet);
      }
    });
  }

  /** Stops retrying: appends still waiting for a segment fail instead of holding the node up. */
  close(): void {
    this.closed = true;
  }

  private chain(logId: number): LogChain {
    const chain = findChain(this.metadata.require('bifrost_config').value, logId);
    if (!chain) throw new ApiError('NOT_READY', `log ${logId} does not exist yet`, 'the cluster controller creates logs once enough log-servers are read-write');
    return chain;
  }

  private isMe(sequencer: string): boolean {
    const me = this.me();
    const id = parseGenId(sequencer);
    return !!me && id.id === me.id && id.generation === me.generation;
  }

  private nodeAddress(id: number): string {
    const node = this.metadata.require('nodes_config').value.nodes.find((n) => n.id === id);
    if (!node) throw new ApiError('UNAVAILABLE', `node N${id} is not in the nodes configuration`);
    return node.address;
  }

  /** Appends records to a log; resolves once they are committed, with their LSNs. */
  async append(logId: number, records: Buffer[]): Promise<AppendResult> {
    for (const record of records) enforceRecordSize(record.length, this.recordSizeLimit);
    const deadline = Date.now() + APPEND_DEADLINE_MS;
    let lastError: unknown;
    let sameSegmentRetryMs = RETRY_PAUSE_MS;
    for (;;) {
      let chain: LogChain;
      try {
        chain = this.chain(logId);
      } catch (err) {
        // This node's metadata may lag the controller that just created the log.
        if (Date.now() > deadline || this.closed) throw err;
        await sleep(RETRY_PAUSE_MS);
        await this.metadata.refresh().catch(() => undefined);
        continue;
      }
      const tail = tailSegment(chain);
      if (tail.kind === 'replicated' && tail.params) {
        try {
          return await this.appendToSegment(tail as ReplicatedSegment, records);
        } catch (err) {
          if (nonRetryable(err)) throw err;
          lastError = err;
        }
      }
      if (this.closed) throw new ApiError('UNAVAILABLE', 'this node is shutting down', 'retry on another node');
      if (Date.now() > deadline) {
        throw new ApiError(
          'UNAVAILABLE',
          `log ${logId}: no writeable segment within ${APPEND_DEADLINE_MS / 1000}s (${lastError instanceof Error ? lastError.message : `tail segment ${tail.index} is ${tail.kind}`})`,
          'check `cairnctl logs list` and that enough log-servers are up',
        );
      }
      await this.waitForNewTail(logId, tail, Math.min(deadline, Date.now() + sameSegmentRetryMs));
      sameSegmentRetryMs = Math.min(2 * sameSegmentRetryMs, SAME_SEGMENT_RETRY_MAX_MS);
    }
  }

  private async appendToSegment(tail: ReplicatedSegment, records: Buffer[]): Promise<AppendResult> {
    const logletId = tail.params.loglet_id;
    let first: number;
    let last: number;
    if (this.isMe(tail.params.sequencer)) {
      const sequencer = this.sequencers()?.find(logletId);
      if (!sequencer) throw sealedError(logletId);
      ({ first, last } = await sequencer.append(records));
    } else {
      let queue = this.remoteQueues.get(logletId);
      if (!queue) {
        const address = this.nodeAddress(parseGenId(tail.params.sequencer).id);
        queue = new RemoteAppendQueue((batch) => this.sendAppend(address, logletId, batch), this.batch);
        this.remoteQueues.set(logletId, queue);
      }
      ({ first, last } = await queue.append(records));
    }
    // A test stands here for an answer lost after the commit: the append is retried on the next segment.
    failpoint('append-answer-lost');
    return { loglet_id: logletId, first_offset: first, last_offset: last, first_lsn: tail.base_lsn + first - 1, last_lsn: tail.base_lsn + last - 1 };
  }

  private async sendAppend(address: string, logletId: number, records: Buffer[]): Promise<{ first: number; last: number }> {
    const result = await this.peers.request<AppendResult>(address, 'append', { loglet_id: logletId }, { timeoutMs: REMOTE_APPEND_TIMEOUT_MS }, records);
    return { first: result.first_offset, last: result.last_offset };
  }

  /** Waits until the log's tail segment is no longer `tail` (sealed and extended), or until `until`. */
  private async waitForNewTail(logId: number, tail: Segment, until: number): Promise<void> {
    while (Date.now() < until && !this.closed) {
      await sleep(RETRY_PAUSE_MS);
      await this.metadata.refresh().catch(() => undefined);
      const current = tailSegment(this.chain(logId));
      if (current.index !== tail.index || current.kind !== tail.kind) return;
    }
  }

  /**
   * Committed tail (exclusive offset) of a replicated tail segment. A wait for it to pass `after` is
   * spent on this node's log-server when it is in the nodeset: the stores and releases it receives
   * carry the committed tail, so a follower learns of commits without a message of its own. When
   * that wait ends with nothing new, the sequencer is asked; if it knew more, this log-server misses
   * news of the loglet (it takes no writes, or a release was lost), and the sequencer is asked
   * instead until this log-server has caught up with what it said.
   */
  private async segmentTail(segment: ReplicatedSegment, after = 0, waitMs = 0): Promise<number> {
    const loglet = segment.params.loglet_id;
    if (this.isMe(segment.params.sequencer)) {
      const sequencer = this.sequencers()?.find(loglet);
      if (!sequencer) throw sealedError(loglet);
      return sequencer.waitForTail(after, waitMs);
    }
    const local = waitMs > 0 ? this.logServers.localMember(segment.params.nodeset) : undefined;
    const behind = this.localTailBehind.get(loglet);
    if (local && behind !== undefined && (local.knownGlobalTail(loglet) ?? 0) >= behind) this.localTailBehind.delete(loglet);
    if (local && !this.localTailBehind.has(loglet)) {
      // A loglet's tail offset is at least 1 (nothing committed yet).
      const known = (await local.waitGlobalTail(loglet, after, waitMs)) ?? 1;
      if (known > after) return known;
      // Sealed here: what more was committed comes to light when the chain is extended (the next
      // segment's base), so wait for that rather than ask the sequencer again and again. A seal
      // that did not get through leaves the sequencer committing: it is asked after the wait.
      const stillTail = () => tailSegment(this.chain(splitLogletId(loglet).logId)).params?.loglet_id === loglet;
      if (local.isSealed(loglet) && stillTail()) await this.metadata.changed('bifrost_config', waitMs);
      if (!stillTail()) return known;
      const tail = (await this.askSequencer(segment, { after, wait_ms: 0 }, TAIL_TIMEOUT_MS)).committed_tail;
      if (tail > (local.knownGlobalTail(loglet) ?? 1)) this.localTailBehind.set(loglet, tail);
      return tail;
    }
    return (await this.askSequencer(segment, { after, wait_ms: waitMs }, TAIL_TIMEOUT_MS + waitMs)).committed_tail;
  }

  /**
   * The committed tail LSN of a log, confirmed to be current (see Sequencer.confirmedTail): every
   * write acknowledged before the call is below it. This node's view of the logs may be stale (it
   * was paused, say): a sealed tail sends it to the metadata store for the current chain.
   */
  async confirmedTailLsn(logId: number, deadline: number): Promise<number> {
    for (;;) {
      const tail = tailSegment(this.chain(logId));
      try {
        if (tail.kind !== 'replicated' || !tail.params) {
          // A seal marker ends the chain only if the store still says so, read now: a refresh already
          // under way may have read the store before the chain was extended (a stale read in chaos).
          await this.metadata.readFromStore('bifrost_config');
          const current = tailSegment(this.chain(logId));
          if (current.index === tail.index && current.kind === tail.kind) return tail.base_lsn;
          continue;
        }
        const segment = tail as ReplicatedSegment;
        return segment.base_lsn + (await this.confirmedSegmentTail(segment)) - 1;
      } catch (err) {
        if (nonRetryable(err)) throw err;
        if (Date.now() > deadline || this.closed) {
          throw new ApiError('UNAVAILABLE', `log ${logId}: cannot confirm its tail (${(err as Error).message})`, 'retry shortly');
        }
        await sleep(RETRY_PAUSE_MS);
        await this.metadata.refresh().catch(() => undefined);
      }
    }
  }

  private async confirmedSegmentTail(segment: ReplicatedSegment): Promise<number> {
    if (this.isMe(segment.params.sequencer)) {
      const sequencer = this.sequencers()?.find(segment.params.loglet_id);
      if (!sequencer) throw sealedError(segment.params.loglet_id);
      return sequencer.confirmedTail();
    }
    return (await this.askSequencer(segment, { confirm: true }, TAIL_TIMEOUT_MS)).committed_tail;
  }

  /** The committed tail from a segment's sequencer on another node (see bifrost/service.ts). */
  private askSequencer(segment: ReplicatedSegment, question: Omit<TailQuestion, 'loglet_id'>, timeoutMs: number): Promise<SequencerTail> {
    const address = this.nodeAddress(parseGenId(segment.params.sequencer).id);
    return this.peers.request(address, 'tail', { loglet_id: segment.params.loglet_id, ...question }, { timeoutMs });
  }

  /**
   * The LSN the next record of the log will get (its committed tail). With `afterLsn` and `waitMs`,
   * waits up to `waitMs` for the tail to pass `afterLsn`.
   */
  async tailLsn(logId: number, afterLsn = 0, waitMs = 0): Promise<number> {
    const tail = tailSegment(this.chain(logId));
    if (tail.kind !== 'replicated' || !tail.params) {
      // A sealed chain grows only once it is extended: wait for the metadata to change.
      if (afterLsn >= tail.base_lsn && waitMs > 0) await this.metadata.changed('bifrost_config', waitMs);
      return tail.base_lsn;
    }
    const afterOffset = Math.max(0, afterLsn - tail.base_lsn + 1);
    return tail.base_lsn + (await this.segmentTail(tail as ReplicatedSegment, afterOffset, waitMs)) - 1;
  }

  /**
   * Committed records from `from` on (possibly none yet), cut by count and bytes. `knownTail`, a
   * committed tail LSN the caller already has, saves asking the sequencer.
   */
  async read(logId: number, from: number, maxRecords: number, maxBytes: number, knownTail?: number): Promise<ReadResult> {
    const chain = this.chain(logId);
    if (chain.trim_point !== undefined && from <= chain.trim_point) throw new TrimGapError(logId, from, chain.trim_point);
    const index = findSegmentIndex(chain, from);
    const segment = chain.segments[index]!;
    if (segment.kind !== 'replicated' || !segment.params) return { from, records: [] };
    const next = chain.segments[index + 1];
    const end = next
      ? next.base_lsn
      : knownTail !== undefined && knownTail > from
        ? knownTail
        : segment.base_lsn + (await this.segmentTail(segment as ReplicatedSegment)) - 1;
    if (from >= end) return { from, records: [] };
    const offset = from - segment.base_lsn + 1;
    const want = Math.min(maxRecords, end - from);
    const nodeset = [...segment.params.nodeset].sort((a, b) => Number(this.logServers.isLocal(b)) - Number(this.logServers.isLocal(a)));
    let lastError: unknown;
    for (const nodeId of nodeset) {
      try {
        const result = await this.logServers.client(nodeId).read(segment.params.loglet_id, offset, want, maxBytes);
        if (result.from > offset) throw new TrimGapError(logId, from, segment.base_lsn + result.from - 2);
        if (result.records.length) return { from, records: result.records.slice(0, want) };
      } catch (err) {
        if (err instanceof TrimGapError) throw err;
        lastError = err;
      }
    }
    throw new ApiError(
      'UNAVAILABLE',
      `log ${logId}: no log-server of loglet ${formatLogletId(segment.params.loglet_id)} could serve LSN ${from}${lastError instanceof Error ? ` (${lastError.message})` : ''}`,
    );
  }
}

/** The segment that holds `lsn`: the last one whose base is at or below it. */
export function findSegmentIndex(chain: LogChain, lsn: number): number {
  let index = 0;
  chain.segments.forEach((segment, i) => {
    if (segment.base_lsn <= lsn) index = i;
  });
  return index;
}
