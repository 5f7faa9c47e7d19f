// The node's handle on its log store: the store runs on the node's event loop, and the stores that
// arrive in one turn of it are committed together, in one transaction, in the next (group commit).
// A commit only writes to the page cache; what makes it durable is an fdatasync of the WAL in
// libuv's thread pool, and the answers wait for the first one that starts after their commit (up to
// SYNC_SLOTS run at once; what commits while they all run goes with the next). One that would run
// alone is made on the event loop instead, while recent ones were quick (see INLINE_SYNC_MAX_MS):
// a flush slowed by other writes (a snapshot's data file, a checkpoint) would otherwise hold up
// every request of the node, probes included (a 256 MiB publication stalled it for 100-170 ms when
// every fdatasync ran there), so one slow flush sends them back to the pool. A store
// costs no hand-off to another thread (a worker thread did the commits before, and its messages
// cost about 19% of the CPU per append; see README, "Log-server"). Copying the WAL into the database
// (a checkpoint) and dropping trimmed records, which can take long, never run here in one piece:
// checkpoints have a thread of their own, and a trim's records go a bounded batch per turn.
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import { decodeFrame, encodeFrame } from '../bifrost/wire';
import type { LogletDigest } from '../../api/schemas';
import { failpointHit, failpointMessage } from '../failpoints';
import type { StorageHealth } from '../health';
import type { Logger } from '../logger';
import { nodeMetrics } from '../metrics';
import { PeriodicTask } from '../periodic';
import { Checkpointer } from '../storage/checkpointer';
import { openDatabase } from '../storage/sqlite';
import { preallocateWal } from '../storage/wal-space';
import { LogStore, type LogletState, type LogStoreStats, type StoreRequest, type StoreResult } from './log-store';
import type { MarkerStore, StorageMarker } from './provision';
import { RecordCache } from './record-cache';

/** How much of what this log-server stored lately stays in memory for readers on this node. */
const RECORD_CACHE_BYTES = 16 * 1024 * 1024;
/** How often the log store's WAL is copied into its database file, in the checkpoint thread. */
const CHECKPOINT_INTERVAL_MS = 250;
/** Trimmed records deleted per turn of the event loop, and records a digest reads per turn. */
const SWEEP_ROWS = 2_000;
const DIGEST_ROWS = 10_000;

/**
 * How many fdatasyncs of the WAL may run at once. With one, a store committed just after an
 * fdatasync started waited for it and then for its own; on this disk two overlapping fdatasyncs of
 * one file take about as long as one (0.22 against 0.17 ms each, alone), and at 8 clients two gave
 * more appends/s and a lower p99 (README, "Log-server"). Three did no better.
 */
const SYNC_SLOTS = 2;
/**
 * An fdatasync that would run alone is made on the event loop while the recent ones were quick:
 * handing it to the thread pool and back costs two thread wake-ups on an append's path, and on this
 * VM waiting for a core is most of the 1-client tail (paired tool: 5-7% less CPU per append at 1
 * and 8 clients; p99 at 1 client 4.25 against 4.61 ms in six alternating pairs). One slower than
 * this sends them to the pool until QUICK_SYNCS_BEFORE_INLINE in a row there were quick again, so
 * that a disk slowed by other writes holds the node up once, not on every store. A log store
 * starts on the pool.
 */
const INLINE_SYNC_MAX_MS = 10;
const QUICK_SYNCS_BEFORE_INLINE = 20;
/**
 * What the failpoint `log-store-fdatasync-stall` adds to one fdatasync: a slow disk, on demand
 * (how long a real one takes depends on the machine, and a test needs it slow for sure).
 */
const FAILPOINT_STALL_MS = 100;
const stallCell = new Int32Array(new SharedArrayBuffer(4));

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The records read, from offset `from` on (past the log-server's trim point if `from` was below it). */
export interface LogRead {
  from: number;
  records: Buffer[];
}

interface PendingStore {
  request: StoreRequest;
  records: Buffer[];
  resolve: (result: StoreResult) => void;
  reject: (err: Error) => void;
}

export class LogStoreHandle implements MarkerStore {
  private readonly db;
  private readonly engine: LogStore;
  private readonly checkpointer: Checkpointer;
  private readonly checkpoints: PeriodicTask;
  /** Stores waiting for the next group commit. */
  private pending: PendingStore[] = [];
  /** What waits for the next fdatasync of the WAL, and the fdatasyncs running. */
  private syncWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private syncsRunning = 0;
  /**
   * The WAL's descriptors, one per slot, all opened at the first fdatasync, and those not in use:
   * Linux reports a write-back that failed after a descriptor was opened once to each of them, so
   * an fdatasync that overlaps a failing one fails too, rather than answering for records that may
   * be lost.
   */
  private readonly walFds: number[] = [];
  private idleWalFds: number[] = [];
  /** fdatasyncs in a row that took at most INLINE_SYNC_MAX_MS (see there). */
  private quickSyncs = 0;
  /** Called when the last running fdatasync ends (close waits for it). */
  private syncsEnded: (() => void) | undefined;
  /** An fdatasync failed: what the WAL holds is in doubt, so nothing more is written or answered. */
  private broken: Error | undefined;
  /** Loglets whose trimmed records are still to be deleted. */
  private readonly toSweep = new Set<number>();
  private sweeping = false;
  private closed = false;
  /** Loglets sealed on this log-server (kept here, so that reporting them costs nothing). */
  private readonly sealed = new Set<number>();
  /**
   * The highest global tail each loglet's sequencer has told this log-server (with a store or an idle
   * release), and the readers on this node waiting for it to move: a follower learns what is
   * committed here instead of asking the sequencer. A release is kept in memory only (it is
   * advisory; stores persist the tail they carry, so a restart forgets at most the last release).
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
    private readonly health: StorageHealth,
    private readonly superseded: (sequencer: string) => boolean,
    logger: Logger,
  ) {
    // Not durable by itself (NORMAL): every write is followed by `synced()`.
    this.db = openDatabase(file, { durable: false });
    this.engine = new LogStore(this.db);
    this.checkpointer = new Checkpointer(this.db);
    // Before the checkpoint thread opens the file, and before any store.
    preallocateWal(this.db, logger);
    this.checkpoints = new PeriodicTask(
      async () => void (await this.checkpointer.checkpoint()),
      (err) => logger.warn({ err: err.message }, 'log store checkpoint failed'),
    );
    this.checkpoints.start(CHECKPOINT_INTERVAL_MS);
    for (const state of this.engine.states()) if (state.sealed) this.sealed.add(state.loglet_id);
    // A sweep cut short by a restart goes on.
    for (const loglet of this.engine.unswept()) this.sweepLater(loglet);
  }

  get sealedCount(): number {
    return this.sealed.size;
  }

  isSealed(loglet: number): boolean {
    return this.sealed.has(loglet);
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

  /** Stores an encoded store frame as received from the network (the records stay views into it). */
  storeFrame(frame: Buffer): Promise<StoreResult> {
    const { header, records } = decodeFrame<StoreRequest>(frame);
    return this.store(header, records);
  }

  /** Resolves once the records are durable here (or the store was refused), with the loglet's state. */
  store(request: StoreRequest, records: Buffer[]): Promise<StoreResult> {
    const refusal = this.refusal();
    if (refusal) return Promise.reject(refusal);
    if (request.sequencer && this.superseded(request.sequencer)) return Promise.resolve({ status: 'sealed', local_tail: 1, sealed: true });
    this.noteGlobalTail(request.loglet_id, request.known_global_tail);
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.commitPending());
      this.pending.push({ request, records, resolve, reject });
    });
  }

  /** One transaction for every store that came since the last one; answered once it is durable. */
  private commitPending(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let results: StoreResult[];
    const started = performance.now();
    try {
      results = this.write(() => this.engine.storeAll(batch));
    } catch (err) {
      for (const store of batch) store.reject(err as Error);
      return;
    }
    this.synced().then(
      () => {
        nodeMetrics().logStoreCommitted((performance.now() - started) / 1000);
        batch.forEach(({ request, records, resolve }, i) => {
          const result = results[i]!;
          if (request.trim_point !== undefined) {
            this.recent.trim(request.loglet_id, request.trim_point);
            this.sweepLater(request.loglet_id);
          }
          if (result.status === 'ok') this.recent.add(request.loglet_id, request.first_offset, records);
          resolve(result);
        });
      },
      (err: Error) => batch.forEach((store) => store.reject(err)),
    );
  }

  /** Resolves once everything committed so far is durable: after an fdatasync of the WAL that starts after it. */
  private synced(): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.syncWaiters.push({ resolve, reject });
      if (this.syncsRunning < SYNC_SLOTS) this.sync();
    });
  }

  private sync(): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    const wal = `${this.db.name}-wal`;
    try {
      if (this.walFds.length === 0) {
        for (let slot = 0; slot < SYNC_SLOTS; slot++) this.walFds.push(openSync(wal, 'r+'));
        this.idleWalFds = [...this.walFds];
      }
    } catch (err) {
      this.syncFailed(wal, err as Error, waiters);
      return;
    }
    const fd = this.idleWalFds.pop()!;
    const inline = this.syncsRunning === 0 && this.quickSyncs >= QUICK_SYNCS_BEFORE_INLINE;
    this.syncsRunning++;
    const started = performance.now();
    const stallMs = failpointHit('log-store-fdatasync-stall') ? FAILPOINT_STALL_MS : 0;
    const ended = (err: Error | null) => {
      this.syncsRunning--;
      this.idleWalFds.push(fd);
      this.quickSyncs = performance.now() - started <= INLINE_SYNC_MAX_MS ? this.quickSyncs + 1 : 0;
      nodeMetrics().logStoreSynced(inline ? 'event-loop' : 'thread-pool');
      if (!err && failpointHit('log-store-fdatasync')) err = Object.assign(new Error(failpointMessage('log-store-fdatasync')), { code: 'EIO' });
      if (err) this.syncFailed(wal, err, waiters);
      // The other slot's fdatasync failed meanwhile: this one's records are in doubt as well.
      else if (this.broken) for (const waiter of waiters) waiter.reject(this.broken);
      else for (const waiter of waiters) waiter.resolve();
      if (this.syncWaiters.length) this.sync();
      else if (this.syncsRunning === 0) this.syncsEnded?.();
    };
    if (!inline) return fdatasync(fd, stallMs ? (err) => setTimeout(ended, stallMs, err) : ended);
    let failure: Error | null = null;
    try {
      fdatasyncSync(fd);
      if (stallMs) Atomics.wait(stallCell, 0, 0, stallMs);
    } catch (err) {
      failure = err as Error;
    }
    ended(failure);
  }

  /**
   * An fdatasync that fails may have lost what it was to write, and a later one would not say so:
   * the store refuses everything from now on (the sequencers turn to the other log-servers), and
   * the node's health says why and what to do.
   */
  private syncFailed(wal: string, err: Error, waiters: Array<{ reject: (err: Error) => void }>): void {
    this.broken = new Error(`log store: cannot make ${wal} durable (${err.message}); this log-server takes no more writes: check the disk, then restart the node`);
    this.health.failed('log-store', this.broken);
    for (const waiter of [...waiters, ...this.syncWaiters]) waiter.reject(this.broken);
    this.syncWaiters = [];
  }

  private refusal(): Error | undefined {
    if (this.closed) return new Error('log store: closed');
    return this.broken;
  }

  /** Runs a write; its outcome tells the node's storage health (a full disk shows here, not only in the log). */
  private write<T>(operation: () => T): T {
    const refusal = this.refusal();
    if (refusal) throw refusal;
    try {
      const value = operation();
      this.health.ok('log-store');
      return value;
    } catch (err) {
      const failure = new Error(`log store: ${(err as Error).message}`);
      this.health.failed('log-store', failure);
      throw failure;
    }
  }

  /** The state as stored, with the newest global tail heard of (a release is not stored). */
  private withKnownTail(state: LogletState): LogletState {
    const known = this.globalTails.get(state.loglet_id);
    return known !== undefined && known > state.known_global_tail ? { ...state, known_global_tail: known } : state;
  }

  /** Stores waiting for their group commit go first: the store sees operations in order. */
  private inOrder<T>(operation: () => T): Promise<T> {
    try {
      if (this.pending.length) this.commitPending();
      return Promise.resolve(operation());
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** As `inOrder`, answered once what it wrote (and everything before it) is durable. */
  private async durablyInOrder<T>(operation: () => T): Promise<T> {
    const value = await this.inOrder(operation);
    await this.synced();
    return value;
  }

  async seal(loglet: number): Promise<LogletState> {
    const state = await this.durablyInOrder(() => this.write(() => this.engine.seal(loglet)));
    this.sealed.add(loglet);
    this.wakeTailWaiters(loglet);
    return this.withKnownTail(state);
  }

  /** The state as durable here: its answer waits for the stores committed before it. */
  async state(loglet: number): Promise<LogletState> {
    return this.withKnownTail(await this.durablyInOrder(() => this.engine.state(loglet)));
  }

  async trim(loglet: number, offset: number): Promise<LogletState> {
    const state = await this.durablyInOrder(() => this.write(() => this.engine.trim(loglet, offset)));
    this.recent.trim(loglet, offset);
    this.sweepLater(loglet);
    return this.withKnownTail(state);
  }

  /** Reads from memory what was stored lately, from the store otherwise. */
  read(loglet: number, from: number, maxRecords: number, maxBytes: number): Promise<LogRead> {
    const cached = this.recent.read(loglet, from, maxRecords, maxBytes);
    if (cached) return Promise.resolve({ from, records: cached });
    return this.inOrder(() => {
      const result = this.engine.read(loglet, from, maxRecords, maxBytes);
      return { from: result.from, records: result.records };
    });
  }

  /** The read as the frame it travels in (for peers and the HTTP records endpoint). */
  readFrame(loglet: number, from: number, maxRecords: number, maxBytes: number): Promise<Buffer> {
    return this.inOrder(() => {
      const result = this.engine.read(loglet, from, maxRecords, maxBytes);
      return encodeFrame({ state: this.withKnownTail(result.state), from: result.from }, result.records);
    });
  }

  /** Offsets present in [from, to) as runs, with their checksums; read a bounded batch per turn. */
  async digest(loglet: number, from: number, to: number): Promise<LogletDigest> {
    const state = await this.state(loglet);
    const runs: Array<[number, number]> = [];
    const checksums: Array<number | null> = [];
    for (let next = from; next < to; await nextTurn()) {
      const rows = this.engine.offsets(loglet, next, to, DIGEST_ROWS);
      for (const { offset, crc } of rows) {
        const last = runs[runs.length - 1];
        if (last && last[1] === offset) last[1] = offset + 1;
        else runs.push([offset, offset + 1]);
        checksums.push(crc);
      }
      if (rows.length < DIGEST_ROWS) break;
      next = rows[rows.length - 1]!.offset + 1;
    }
    return { state, runs, checksums };
  }

  /** Deletes the loglet's trimmed records, a bounded batch per turn of the event loop. */
  private sweepLater(loglet: number): void {
    this.toSweep.add(loglet);
    if (this.sweeping) return;
    this.sweeping = true;
    void (async () => {
      try {
        while (this.toSweep.size && !this.closed) {
          await nextTurn();
          const [next] = this.toSweep;
          if (next === undefined || this.closed) break;
          if (this.write(() => this.engine.sweep(next, SWEEP_ROWS)) < SWEEP_ROWS) this.toSweep.delete(next);
        }
      } catch {
        // A failing store is in the node's health; the next trim or restart sweeps again.
      } finally {
        this.sweeping = false;
      }
    })();
  }

  async readMarker(): Promise<StorageMarker | undefined> {
    return this.engine.readMarker();
  }

  async writeMarker(marker: StorageMarker): Promise<void> {
    await this.durablyInOrder(() => this.write(() => this.engine.writeMarker(marker)));
  }

  stats(): Promise<LogStoreStats> {
    return Promise.resolve({ ...this.engine.stats });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.pending.length) this.commitPending();
    await this.synced().catch(() => undefined);
    if (this.syncsRunning > 0) await new Promise<void>((resolve) => (this.syncsEnded = resolve));
    this.closed = true;
    this.checkpoints.stop();
    await this.checkpointer.close();
    for (const fd of this.walFds) closeSync(fd);
    this.db.close();
  }
}
