// The node's handle on its log store, which runs in a worker thread (log-store-worker.ts).
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { decodeFrame, decodeFrameHeader, encodeFrame } from '../bifrost/wire';
import type { LogletDigest } from '../../api/schemas';
import type { StorageHealth } from '../health';
import { nodeMetrics } from '../metrics';
import type { LogletState, LogStoreStats, ReadResult, StoreRequest, StoreResult } from './log-store';
import type { MarkerStore, StorageMarker } from './provision';

export type LogStoreOp =
  | { id: number; op: 'store'; frame: Uint8Array }
  | { id: number; op: 'seal'; loglet: number }
  | { id: number; op: 'state'; loglet: number }
  | { id: number; op: 'trim'; loglet: number; offset: number }
  | { id: number; op: 'read'; loglet: number; from: number; maxRecords: number; maxBytes: number }
  | { id: number; op: 'digest'; loglet: number; from: number; to: number }
  | { id: number; op: 'readMarker' }
  | { id: number; op: 'writeMarker'; marker: StorageMarker }
  | { id: number; op: 'stats' }
  | { id: number; op: 'sealedLoglets' }
  | { id: number; op: 'close' };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A frame that owns its whole ArrayBuffer can be handed to the thread without a copy. */
function transferable(frame: Buffer): Buffer {
  if (frame.byteOffset === 0 && frame.buffer.byteLength === frame.length) return frame;
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
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ ...op, id }, transfer);
    });
  }

  /** Stores an encoded store frame as received from the network. */
  storeFrame(frame: Buffer): Promise<StoreResult> {
    const { sequencer } = decodeFrameHeader<StoreRequest>(frame);
    if (sequencer && this.superseded(sequencer)) return Promise.resolve({ status: 'sealed', local_tail: 1, sealed: true });
    const owned = transferable(frame);
    return this.write(this.call({ op: 'store', frame: owned }, [owned.buffer as ArrayBuffer]));
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

  store(request: StoreRequest, records: Buffer[]): Promise<StoreResult> {
    return this.storeFrame(encodeFrame(request, records));
  }

  async seal(loglet: number): Promise<LogletState> {
    const state = await this.write(this.call<LogletState>({ op: 'seal', loglet }));
    this.sealed.add(loglet);
    return state;
  }

  state(loglet: number): Promise<LogletState> {
    return this.call({ op: 'state', loglet });
  }

  trim(loglet: number, offset: number): Promise<LogletState> {
    return this.write(this.call({ op: 'trim', loglet, offset }));
  }

  async read(loglet: number, from: number, maxRecords: number, maxBytes: number): Promise<ReadResult> {
    const frame = await this.call<Uint8Array>({ op: 'read', loglet, from, maxRecords, maxBytes });
    const { header, records } = decodeFrame<{ state: LogletState; from: number }>(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
    return { state: header.state, from: header.from, records };
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
