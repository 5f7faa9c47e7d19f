// The log-server's durable storage in the embedded database: records per loglet, and per loglet its
// local tail (next offset; records are contiguous below it, above the trim point), seal flag, trim
// point and the highest global tail a sequencer has told it with a store. Every commit is fsynced;
// the node's handle (log-store-handle.ts) commits stores that arrive together in one transaction.
// A trim moves the trim point at once and leaves the records below it to `sweep`, a bounded batch
// at a time, so that dropping a large range never holds the node up; nothing reads below the trim
// point meanwhile.
import { crc32 } from 'node:zlib';
import type { Db } from '../storage/sqlite';
import type { StorageMarker } from './provision';

export interface LogletState {
  loglet_id: number;
  local_tail: number;
  sealed: boolean;
  trim_point: number;
  known_global_tail: number;
}

export interface StoreRequest {
  loglet_id: number;
  first_offset: number;
  known_global_tail: number;
  /** The sending sequencer (N1:2); stores of a generation that has been superseded are refused. */
  sequencer?: string;
  /** Repair stores complete a sealed loglet's records and are accepted after the seal. */
  repair?: boolean;
  /**
   * Offsets up to here are trimmed from the log (the sender's source had dropped them): the
   * log-server drops what it holds there and its local tail moves past them, so that records
   * relayed from after a trim are stored at their own offsets.
   */
  trim_point?: number;
}

export type StoreStatus = 'ok' | 'sealed' | 'out-of-order';

export interface StoreResult {
  status: StoreStatus;
  local_tail: number;
  sealed: boolean;
}

export interface ReadResult {
  state: LogletState;
  from: number;
  records: Buffer[];
}

export interface LogStoreStats {
  store_requests: number;
  stored_records: number;
  stored_bytes: number;
  largest_store_bytes: number;
  group_commits: number;
}

interface Row {
  loglet_id: number;
  local_tail: number;
  sealed: number;
  trim_point: number;
  known_global_tail: number;
}

const emptyState = (logletId: number): LogletState => ({
  loglet_id: logletId,
  local_tail: 1,
  sealed: false,
  trim_point: 0,
  known_global_tail: 1,
});

export class LogStore {
  readonly stats: LogStoreStats = { store_requests: 0, stored_records: 0, stored_bytes: 0, largest_store_bytes: 0, group_commits: 0 };
  private readonly q;
  /**
   * Each loglet's state as stored, read once: this store is the only writer, so a store needs no
   * query for it. A transaction that fails drops it (what it held may not have been committed).
   */
  private readonly cached = new Map<number, LogletState>();
  /** The transactions of the hot paths, built once (a wrapper per call costs as much as a row). */
  private readonly storeInTransaction;

  constructor(readonly db: Db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS marker (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), node_id INTEGER NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS loglets (
        loglet_id INTEGER PRIMARY KEY, local_tail INTEGER NOT NULL, sealed INTEGER NOT NULL,
        trim_point INTEGER NOT NULL, known_global_tail INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS records (loglet_id INTEGER NOT NULL, offset INTEGER NOT NULL, payload BLOB NOT NULL, crc INTEGER);
      CREATE UNIQUE INDEX IF NOT EXISTS records_position ON records (loglet_id, offset);
    `);
    // Stores made before records carried a checksum have none (their digest says so).
    if (!db.prepare<[], { name: string }>('PRAGMA table_info(records)').all().some((c) => c.name === 'crc')) db.exec('ALTER TABLE records ADD COLUMN crc INTEGER');
    this.q = {
      marker: db.prepare<[], StorageMarker>('SELECT node_id, created_at FROM marker WHERE singleton = 1'),
      insertMarker: db.prepare('INSERT INTO marker (singleton, node_id, created_at) VALUES (1, ?, ?)'),
      state: db.prepare<[number], Row>('SELECT * FROM loglets WHERE loglet_id = ?'),
      allStates: db.prepare<[], Row>('SELECT * FROM loglets ORDER BY loglet_id'),
      upsertState: db.prepare(
        'INSERT INTO loglets (loglet_id, local_tail, sealed, trim_point, known_global_tail) VALUES (@loglet_id, @local_tail, @sealed, @trim_point, @known_global_tail) ' +
          'ON CONFLICT(loglet_id) DO UPDATE SET local_tail = excluded.local_tail, sealed = excluded.sealed, trim_point = excluded.trim_point, known_global_tail = excluded.known_global_tail',
      ),
      insertRecord: db.prepare('INSERT OR IGNORE INTO records (loglet_id, offset, payload, crc) VALUES (?, ?, ?, ?)'),
      read: db.prepare<[number, number], { offset: number; payload: Buffer }>(
        'SELECT offset, payload FROM records WHERE loglet_id = ? AND offset >= ? ORDER BY offset',
      ),
      sweep: db.prepare('DELETE FROM records WHERE rowid IN (SELECT rowid FROM records WHERE loglet_id = ? AND offset <= ? LIMIT ?)'),
      unswept: db.prepare<[], { loglet_id: number }>(
        'SELECT loglet_id FROM loglets WHERE EXISTS (SELECT 1 FROM records WHERE records.loglet_id = loglets.loglet_id AND records.offset <= loglets.trim_point)',
      ),
      offsets: db.prepare<[number, number, number, number], { offset: number; crc: number | null }>(
        'SELECT offset, crc FROM records WHERE loglet_id = ? AND offset >= ? AND offset < ? ORDER BY offset LIMIT ?',
      ),
    };
    this.storeInTransaction = db.transaction((batch: Array<{ request: StoreRequest; records: Buffer[] }>) => batch.map((op) => this.applyStore(op.request, op.records)));
  }

  readMarker(): StorageMarker | undefined {
    return this.q.marker.get();
  }

  writeMarker(marker: StorageMarker): void {
    this.q.insertMarker.run(marker.node_id, marker.created_at);
  }

  state(logletId: number): LogletState {
    let state = this.cached.get(logletId);
    if (!state) {
      const row = this.q.state.get(logletId);
      state = row ? toState(row) : emptyState(logletId);
      this.cached.set(logletId, state);
    }
    return state;
  }

  private saveState(state: LogletState): void {
    this.q.upsertState.run(fromState(state));
    this.cached.set(state.loglet_id, state);
  }

  states(): LogletState[] {
    return this.q.allStates.all().map(toState);
  }

  /** Stores batches of records in one transaction: one fsync for all of them (group commit). */
  storeAll(batch: Array<{ request: StoreRequest; records: Buffer[] }>): StoreResult[] {
    let results: StoreResult[];
    try {
      results = this.storeInTransaction(batch);
    } catch (err) {
      this.cached.clear();
      throw err;
    }
    this.stats.group_commits++;
    return results;
  }

  private applyStore(request: StoreRequest, records: Buffer[]): StoreResult {
    let state = this.state(request.loglet_id);
    this.stats.store_requests++;
    if (state.sealed && !request.repair) return { status: 'sealed', local_tail: state.local_tail, sealed: true };
    if (request.trim_point !== undefined && request.trim_point > state.trim_point) state = this.applyTrim(state, request.trim_point);
    const start = Math.max(request.first_offset, state.trim_point + 1);
    if (start > state.local_tail) return { status: 'out-of-order', local_tail: state.local_tail, sealed: state.sealed };
    let bytes = 0;
    for (let i = start - request.first_offset; i < records.length; i++) {
      const offset = request.first_offset + i;
      if (offset < state.local_tail) continue;
      this.q.insertRecord.run(request.loglet_id, offset, records[i]!, crc32(records[i]!));
      bytes += records[i]!.length;
      this.stats.stored_records++;
    }
    this.stats.stored_bytes += bytes;
    this.stats.largest_store_bytes = Math.max(this.stats.largest_store_bytes, bytes);
    const next: LogletState = {
      ...state,
      local_tail: Math.max(state.local_tail, request.first_offset + records.length),
      known_global_tail: Math.max(state.known_global_tail, request.known_global_tail),
    };
    this.saveState(next);
    return { status: 'ok', local_tail: next.local_tail, sealed: next.sealed };
  }

  /**
   * Trims records up to `offset` (inclusive); the trim point only moves forward. Callers trim only
   * below the committed tail, so a log-server that lags (it was down during the trim) moves its
   * local tail past the trimmed range: it never needs those records again. The records themselves
   * go with `sweep`.
   */
  trim(logletId: number, offset: number): LogletState {
    const state = this.state(logletId);
    if (offset <= state.trim_point) return state;
    return this.applyTrim(state, offset);
  }

  private applyTrim(state: LogletState, offset: number): LogletState {
    const next = { ...state, trim_point: offset, local_tail: Math.max(state.local_tail, offset + 1) };
    this.saveState(next);
    return next;
  }

  /** Deletes up to `maxRows` records at or below the loglet's trim point; the number deleted. */
  sweep(logletId: number, maxRows: number): number {
    return this.q.sweep.run(logletId, this.state(logletId).trim_point, maxRows).changes;
  }

  /** Loglets that still hold records at or below their trim point (a sweep cut short by a restart). */
  unswept(): number[] {
    return this.q.unswept.all().map((row) => row.loglet_id);
  }

  /** Seals a loglet: from now on only repair stores are accepted. Idempotent. */
  seal(logletId: number): LogletState {
    const next = { ...this.state(logletId), sealed: true };
    this.saveState(next);
    return next;
  }

  /** Records from `from` on, at most `maxRecords` and about `maxBytes` (the first is always read). */
  read(logletId: number, from: number, maxRecords: number, maxBytes: number): ReadResult {
    const state = this.state(logletId);
    const start = Math.max(from, state.trim_point + 1);
    const records: Buffer[] = [];
    let bytes = 0;
    if (start < state.local_tail) {
      for (const row of this.q.read.iterate(logletId, start)) {
        if (row.offset !== start + records.length) break; // never hand out a gap
        if (records.length > 0 && (records.length >= maxRecords || bytes + row.payload.length > maxBytes)) break;
        records.push(row.payload);
        bytes += row.payload.length;
      }
    }
    return { state, from: start, records };
  }

  /**
   * Up to `maxRows` records present in [from, to) above the trim point, in offset order, with the
   * CRC-32 of each (null for a record stored before checksums), so copies can be compared by content.
   */
  offsets(logletId: number, from: number, to: number, maxRows: number): Array<{ offset: number; crc: number | null }> {
    return this.q.offsets.all(logletId, Math.max(from, this.state(logletId).trim_point + 1), to, maxRows);
  }
}

function toState(row: Row): LogletState {
  return {
    loglet_id: row.loglet_id,
    local_tail: row.local_tail,
    sealed: row.sealed === 1,
    trim_point: row.trim_point,
    known_global_tail: row.known_global_tail,
  };
}

function fromState(state: LogletState): Row {
  return { ...state, sealed: state.sealed ? 1 : 0 };
}
