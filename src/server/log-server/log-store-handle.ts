// The node's handle on its log store, which runs in a worker thread (log-store-worker.ts).
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { decodeFrame, encodeFrame } from '../bifrost/wire';
import type { LogletDigest } from '../../api/schemas';
import type { StorageHealth } from '../health';
import { nodeMetrics } from '../metrics';
import type { LogletState, LogStoreStats, StoreRequest, StoreResult } from './log-store';
import type { MarkerStore, StorageMarker } from './provision';
import { RecordCache } from './record-cache';

/** Operations on one loglet carry the global tail this node has heard of for it, if any (see `globalTails`). */
type LogletOp = { loglet: number; globalTail?: number };

export type LogStoreOp =
  | { id: number; op: 'store'; frame: Uint8Array }
  | ({ id: number; op: 'seal' } & LogletOp)
  | ({ id: number; op: 'state' } & LogletOp)
  | ({ id: number; op: 'trim'; offset: number } & LogletOp)
  | ({ id: number; op: 'read'; from: number; maxRecords: number; maxBytes: number } & LogletOp)
  | ({ id: number; op: 'digest'; from: number; to: number } & LogletOp)
  | { id: number; op: 'readMarker' }
  | { id: number; op: 'writeMarker'; marker: StorageMarker }
  | { id: number; op: 'stats' }
  | { id: number; op: 'sealedLoglets' }
  | { id: number; op: 'close' };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** How much of what this log-server stored lately stays in memory for readers on this node. */
const RECORD_CACHE_BYTES = 16 * 1024 * 1024;

/** The records read, from offset `from` on (past the log-server's trim point if `from` was below it). */
export interface LogRead {
  from: number;
  records: Buffer[];
}

/** A copy of `frame` in an ArrayBuffer of its own, to hand to the thread (the original stays readable here). */
function ownedCopy(frame: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(frame.length);
  frame.copy(copy);
  return copy;
}

export class LogStoreHandle implements MarkerStore {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private broken: Error | undefined;
  /** Loglets sealed on this log-server (kept here, so that reporting them costs nothing). */
  private readonly sealed = new Set<number>();
  /**
   * The highest global tail each loglet's sequencer has told this log-server (with a store or an idle
   * release), and the readers on this node waiting for it to move: a follower learns what is
   * committed here instead of asking the sequencer. A release stays on this thread (it costs no
   * message to the store's thread and no transaction); the tail goes along with the next operation
   * on the loglet, whose answer reports it.
   */
  private readonly globalTails = new Map<number, number>();
  private readonly tailWaiters = new Map<number, Set<() => void>>();
  private readonly recent = new RecordCache(RECORD_CACHE_BYTES);

  /**
   * `superseded(sequencer)` says whether a sequencer's generation has been replaced by a newer one
   * of its node: such a fenced sequencer's stores are refused as if the loglet were sealed.
   */
  constructor(
    file: string,
    onFailure: (err: Error) => void,
    private readonly health: StorageHealth,
    private readonly superseded: (sequencer: string) => boolean,
  ) {
    // The worker bundle sits next to the server bundle in dist/.
    this.worker = new Worker(path.join(__dirname, 'log-store-worker.cjs'), { workerData: { file } });
    const metrics = nodeMetrics();
    this.worker.on('message', (message: { id: number; ok: boolean; value?: unknown; error?: string; commitSeconds?: number }) => {
      if (message.commitSeconds !== undefined) metrics.logStoreCommitted(message.commitSeconds);
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new Error(`log store: ${message.error}`));
    });
    const broken = (err: Error) => {
      this.broken = err;
      for (const waiter of this.pending.values()) waiter.reject(err);
      this.pending.clear();
      onFailure(err);
    };
    this.worker.on('error', (err) => broken(new Error(`the log store failed: ${err.message}`)));
    this.worker.on('exit', (code) => {
      if (code !== 0 && !this.broken) broken(new Error(`the log store thread exited with code ${code}`));
    });
    void this.call<number[]>({ op: 'sealedLoglets' }).then(
      (ids) => ids.forEach((id) => this.sealed.add(id)),
      () => undefined, // a broken store is reported by onFailure
    );
  }

  get sealedCount(): number {
    return this.sealed.size;
  }

  isSealed(loglet: number): boolean {
    return this.sealed.has(loglet);
  }

  private call<T>(op: DistributiveOmit<LogStoreOp, 'id'>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    const globalTail = 'loglet' in op ? this.globalTails.get(op.loglet) : undefined;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage(globalTail === undefined ? { ...op, id } : { ...op, id, globalTail }, transfer);
    });
  }

  /** A sequencer tells the committed tail of a loglet that went idle (see `globalTails`). */
  release(loglet: number, globalTail: number): void {
    this.noteGlobalTail(loglet, globalTail);
  }

  private noteGlobalTail(loglet: number, globalTail: number): void {
    if (globalTail <= (this.globalTails.get(loglet) ?? 0)) return;
    this.globalTails.set(loglet, globalTail);
    this.wakeTailWaiters(loglet);
  }

  private wakeTailWaiters(loglet: number): void {
    const waiters = this.tailWaiters.get(loglet);
    if (!waiters) return;
    this.tailWaiters.delete(loglet);
    for (const wake of waiters) wake();
  }

  knownGlobalTail(loglet: number): number | undefined {
    return this.globalTails.get(loglet);
  }

  /**
   * The loglet's global tail as this log-server knows it, once it passes `after`, the loglet is
   * sealed here, or `waitMs` passed (undefined while no sequencer has told it one).
   */
  async waitGlobalTail(loglet: number, after: number, waitMs: number): Promise<number | undefined> {
    if ((this.knownGlobalTail(loglet) ?? 0) > after || this.sealed.has(loglet) || waitMs <= 0) return this.knownGlobalTail(loglet);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs);
      let waiters = this.tailWaiters.get(loglet);
      if (!waiters) this.tailWaiters.set(loglet, (waiters = new Set()));
      waiters.add(done);
      function done() {
        clearTimeout(timer);
        waiters!.delete(done);
        resolve();
      }
    });
    return this.knownGlobalTail(loglet);
  }

  /** Stores an encoded store frame as received from the network. */
  storeFrame(frame: Buffer): Promise<StoreResult> {
    const { header, records } = decodeFrame<StoreRequest>(frame);
    return this.storeEncoded(header, records, ownedCopy(frame));
  }

  store(request: StoreRequest, records: Buffer[]): Promise<StoreResult> {
    return this.storeEncoded(request, records, encodeFrame(request, records));
  }

  /** `frame` (the request and records encoded, in a buffer of its own) goes to the thread. */
  private async storeEncoded(request: StoreRequest, records: Buffer[], frame: Buffer): Promise<StoreResult> {
    if (request.sequencer && this.superseded(request.sequencer)) return { status: 'sealed', local_tail: 1, sealed: true };
    this.noteGlobalTail(request.loglet_id, request.known_global_tail);
    const result = await this.write(this.call<StoreResult>({ op: 'store', frame }, [frame.buffer as ArrayBuffer]));
    if (request.trim_point !== undefined) this.recent.trim(request.loglet_id, request.trim_point);
    if (result.status === 'ok') this.recent.add(request.loglet_id, request.first_offset, records);
    return result;
  }

  /** A write's outcome tells the node's storage health (a full disk shows here, not only in the log). */
  private write<T>(done: Promise<T>): Promise<T> {
    return done.then(
      (value) => {
        this.health.ok('log-store');
        return value;
      },
      (err: Error) => {
        this.health.failed('log-store', err);
        throw err;
      },
    );
  }

  async seal(loglet: number): Promise<LogletState> {
    const state = await this.write(this.call<LogletState>({ op: 'seal', loglet }));
    this.sealed.add(loglet);
    this.wakeTailWaiters(loglet);
    return state;
  }

  state(loglet: number): Promise<LogletState> {
    return this.call({ op: 'state', loglet });
  }

  async trim(loglet: number, offset: number): Promise<LogletState> {
    const state = await this.write(this.call<LogletState>({ op: 'trim', loglet, offset }));
    this.recent.trim(loglet, offset);
    return state;
  }

  /** Reads from memory what was stored lately, from the store otherwise. */
  async read(loglet: number, from: number, maxRecords: number, maxBytes: number): Promise<LogRead> {
    const cached = this.recent.read(loglet, from, maxRecords, maxBytes);
    if (cached) return { from, records: cached };
    const { header, records } = decodeFrame<{ from: number }>(await this.readFrame(loglet, from, maxRecords, maxBytes));
    return { from: header.from, records };
  }

  /** The read as the frame it travels in (for the HTTP records endpoint). */
  async readFrame(loglet: number, from: number, maxRecords: number, maxBytes: number): Promise<Buffer> {
    const frame = await this.call<Uint8Array>({ op: 'read', loglet, from, maxRecords, maxBytes });
    return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  }

  digest(loglet: number, from: number, to: number): Promise<LogletDigest> {
    return this.call({ op: 'digest', loglet, from, to });
  }

  async readMarker(): Promise<StorageMarker | undefined> {
    return (await this.call<StorageMarker | null>({ op: 'readMarker' })) ?? undefined;
  }

  async writeMarker(marker: StorageMarker): Promise<void> {
    await this.call({ op: 'writeMarker', marker });
  }

  stats(): Promise<LogStoreStats> {
    return this.call({ op: 'stats' });
  }

  async close(): Promise<void> {
    if (!this.broken) await this.call({ op: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }
}
