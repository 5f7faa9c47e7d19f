// The partition store: the key/value state the ingress serves, per partition, with the LSN of the
// last record applied. Applying a batch of records and moving the applied LSN is one transaction.
// It remembers the write ids of the last DEDUP_WINDOW_LSNS records, so that a write appended twice
// (retried after its sequencer died or was sealed with it stored) is applied once: every replica
// decides alike, as the window is counted in LSNs.
// It is not fsynced per commit: whatever a crash loses is applied again from the log. A snapshot of
// a partition is a standalone SQLite file (its rows and applied LSN), written off the event loop
// and read back in chunks.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PutRecord } from '../bifrost/record';
import { Checkpointer } from '../storage/checkpointer';
import type { Db } from '../storage/sqlite';

/** Restores go in transactions of at most this many rows or bytes, with the event loop free between. */
const CHUNK_ROWS = 2_000;
const CHUNK_BYTES = 4 * 1024 * 1024;
const READ_BYTES = 1024 * 1024;
/**
 * How many LSNs back a repeated write id is recognised. An append is retried for at most 30 s
 * (bifrost's append deadline); this covers that at over 3,000 records/s into one partition.
 */
export const DEDUP_WINDOW_LSNS = 100_000;
const PRUNE_EVERY_LSNS = 10_000;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface ExportRequest {
  storeFile: string;
  partitionId: number;
  file: string;
}

export interface ExportedSnapshotFile {
  /** The partition's applied LSN that the copy includes. */
  lsn: number;
  size: number;
  sha256: string;
}

/**
 * Copies one partition (its rows and applied LSN) into a new SQLite file through a connection of
 * its own that only reads the store, inside one transaction: WAL gives it a consistent view at a
 * known applied LSN while the node's connection keeps applying. The rows go from file to file inside
 * SQLite (an attached database), never through JavaScript, so memory stays at SQLite's page caches.
 * Blocking and long for a large partition: it runs in the export thread
 * (snapshot-export-worker.ts), never on the node's event loop.
 */
export function exportPartitionCopy({ storeFile, partitionId, file }: ExportRequest): ExportedSnapshotFile {
  // Not fileMustExist: an attached database is opened with the main one's flags, and the copy is new.
  const db = new Database(storeFile);
  let lsn: number;
  try {
    db.prepare('ATTACH DATABASE ? AS copy').run(file);
    // The file is fsynced when it is published; a failed export is deleted, so no journal either.
    db.pragma('copy.journal_mode = OFF');
    db.pragma('copy.synchronous = OFF');
    db.exec(`
      CREATE TABLE copy.kv (key TEXT PRIMARY KEY, value BLOB NOT NULL);
      CREATE TABLE copy.meta (partition_id INTEGER NOT NULL, applied_lsn INTEGER NOT NULL);
      CREATE TABLE copy.applied_writes (write_id BLOB PRIMARY KEY, lsn INTEGER NOT NULL) WITHOUT ROWID;
    `);
    lsn = db.transaction(() => {
      const applied = db.prepare<[number], { lsn: number }>('SELECT lsn FROM main.applied WHERE partition_id = ?').get(partitionId)?.lsn ?? 0;
      // In key order, so that the copy's index is built by appending.
      db.prepare('INSERT INTO copy.kv (key, value) SELECT key, value FROM main.kv WHERE partition_id = ? ORDER BY key').run(partitionId);
      db.prepare('INSERT INTO copy.meta (partition_id, applied_lsn) VALUES (?, ?)').run(partitionId, applied);
      db.prepare('INSERT INTO copy.applied_writes (write_id, lsn) SELECT write_id, lsn FROM main.applied_writes WHERE partition_id = ?').run(partitionId);
      return applied;
    })();
    db.exec('DETACH DATABASE copy');
  } finally {
    db.close();
  }
  return { lsn, ...digestFile(file) };
}

function digestFile(file: string): { size: number; sha256: string } {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  const fd = openSync(file, 'r');
  let size = 0;
  try {
    for (let n; (n = readSync(fd, buffer, 0, READ_BYTES, null)) > 0; size += n) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return { size, sha256: hash.digest('hex') };
}

export class PartitionStore {
  private readonly checkpointer: Checkpointer;
  private readonly q;
  /** Built once: a transaction wrapper per apply costs as much as a row. */
  private readonly applyInTransaction;

  constructor(readonly db: Db) {
    // Checkpoints run in a thread of their own, often enough that the WAL stays short. SQLite's
    // own would copy the WAL on the main thread every 1000 pages (about every half second under
    // load, 10-17 ms each, the p99 of writes).
    this.checkpointer = new Checkpointer(db);
    db.exec(`
      CREATE TABLE IF NOT EXISTS kv (partition_id INTEGER NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL);
      CREATE UNIQUE INDEX IF NOT EXISTS kv_key ON kv (partition_id, key);
      CREATE TABLE IF NOT EXISTS applied (partition_id INTEGER PRIMARY KEY, lsn INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS applied_writes (partition_id INTEGER NOT NULL, write_id BLOB NOT NULL, lsn INTEGER NOT NULL, PRIMARY KEY (partition_id, write_id)) WITHOUT ROWID;
    `);
    this.q = {
      put: db.prepare('INSERT INTO kv (partition_id, key, value) VALUES (?, ?, ?) ON CONFLICT(partition_id, key) DO UPDATE SET value = excluded.value'),
      get: db.prepare<[number, string], { value: Buffer }>('SELECT value FROM kv WHERE partition_id = ? AND key = ?'),
      applied: db.prepare<[number], { lsn: number }>('SELECT lsn FROM applied WHERE partition_id = ?'),
      setApplied: db.prepare('INSERT INTO applied (partition_id, lsn) VALUES (?, ?) ON CONFLICT(partition_id) DO UPDATE SET lsn = excluded.lsn'),
      deleteChunk: db.prepare('DELETE FROM kv WHERE rowid IN (SELECT rowid FROM kv WHERE partition_id = ? LIMIT ?)'),
      // Changes a row (a write to apply) unless the id was applied within the window before this LSN.
      remember: db.prepare(
        `INSERT INTO applied_writes (partition_id, write_id, lsn) VALUES (?, ?, ?)
         ON CONFLICT (partition_id, write_id) DO UPDATE SET lsn = excluded.lsn WHERE applied_writes.lsn < excluded.lsn - ${DEDUP_WINDOW_LSNS}`,
      ),
      forget: db.prepare('DELETE FROM applied_writes WHERE partition_id = ? AND lsn < ?'),
      forgetAll: db.prepare('DELETE FROM applied_writes WHERE partition_id = ?'),
    };
    this.applyInTransaction = db.transaction((partitionId: number, puts: PutRecord[], firstLsn: number) => this.applyPuts(partitionId, puts, firstLsn));
  }

  appliedLsn(partitionId: number): number {
    return this.q.applied.get(partitionId)?.lsn ?? 0;
  }

  get(partitionId: number, key: string): Buffer | undefined {
    return this.q.get.get(partitionId, key)?.value;
  }

  /**
   * Writes a consistent copy of one partition to a new SQLite file (exportPartitionCopy) in a thread
   * of its own, so that the node keeps serving meanwhile, and returns the LSN the copy is at, its
   * size and SHA-256.
   */
  exportPartition(partitionId: number, file: string): Promise<ExportedSnapshotFile> {
    const worker = new Worker(path.join(__dirname, 'snapshot-export-worker.cjs'), {
      workerData: { storeFile: this.db.name, partitionId, file } satisfies ExportRequest,
    });
    return new Promise((resolve, reject) => {
      worker.once('message', (answer: { ok: true; value: ExportedSnapshotFile } | { ok: false; error: string }) => {
        if (answer.ok) resolve(answer.value);
        else reject(new Error(`exporting partition ${partitionId}: ${answer.error}`));
      });
      worker.once('error', (err) => reject(new Error(`exporting partition ${partitionId}: ${err.message}`)));
      worker.once('exit', (code) => reject(new Error(`exporting partition ${partitionId}: the export thread exited with code ${code}`)));
    });
  }

  /**
   * Replaces a partition's state by a snapshot's and returns the snapshot's applied LSN. It goes a
   * bounded chunk at a time, yielding to the event loop in between, so that restoring a large
   * partition does not stall the node; the applied LSN moves last, so a restore cut short by a crash
   * leaves the old (trimmed-away) LSN and is simply done again.
   */
  async importPartition(partitionId: number, file: string): Promise<number> {
    const snapshot = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const meta = snapshot.prepare<[], { partition_id: number; applied_lsn: number }>('SELECT partition_id, applied_lsn FROM meta').get();
      if (!meta || meta.partition_id !== partitionId) {
        throw new Error(`the snapshot is of partition ${meta?.partition_id ?? '?'}, not ${partitionId}`);
      }
      while (this.q.deleteChunk.run(partitionId, CHUNK_ROWS).changes > 0) await nextTurn();
      const read = snapshot.prepare<[number], { id: number; key: string; value: Buffer }>('SELECT rowid AS id, key, value FROM kv WHERE rowid > ? ORDER BY rowid');
      for (let last = 0; ; ) {
        const rows: Array<{ id: number; key: string; value: Buffer }> = [];
        let bytes = 0;
        for (const row of read.iterate(last)) {
          rows.push(row);
          bytes += row.key.length + row.value.length;
          if (bytes >= CHUNK_BYTES || rows.length >= CHUNK_ROWS) break;
        }
        if (rows.length === 0) break;
        this.db.transaction(() => {
          for (const row of rows) this.q.put.run(partitionId, row.key, row.value);
        })();
        last = rows[rows.length - 1]!.id;
        await nextTurn();
      }
      await this.importAppliedWrites(partitionId, snapshot);
      this.q.setApplied.run(partitionId, meta.applied_lsn);
      return meta.applied_lsn;
    } finally {
      snapshot.close();
    }
  }

  /** The snapshot's window of applied write ids (snapshots written before write ids have none). */
  private async importAppliedWrites(partitionId: number, snapshot: Database.Database): Promise<void> {
    this.q.forgetAll.run(partitionId);
    const hasTable = snapshot.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'applied_writes'").get();
    if (!hasTable) return;
    const page = snapshot.prepare<[Buffer, number], { write_id: Buffer; lsn: number }>('SELECT write_id, lsn FROM applied_writes WHERE write_id > ? ORDER BY write_id LIMIT ?');
    for (let after: Buffer = Buffer.alloc(0); ; ) {
      const rows = page.all(after, CHUNK_ROWS);
      if (rows.length === 0) return;
      this.db.transaction(() => {
        for (const row of rows) this.q.remember.run(partitionId, row.write_id, row.lsn);
      })();
      after = rows[rows.length - 1]!.write_id;
      await nextTurn();
    }
  }

  /** Makes what was applied durable; true once the whole WAL is in the database file (see Checkpointer). */
  checkpoint(): Promise<boolean> {
    return this.checkpointer.checkpoint();
  }

  /** Stops the checkpoint thread (the node is stopping); the database itself is closed by its owner. */
  close(): Promise<void> {
    return this.checkpointer.close();
  }

  /**
   * Applies the puts of LSNs `firstLsn`.. in order, each unless its write id was applied within the
   * window, and records the last as applied, atomically. Returns how many were repeats.
   */
  apply(partitionId: number, puts: PutRecord[], firstLsn: number): number {
    return this.applyInTransaction(partitionId, puts, firstLsn);
  }

  private applyPuts(partitionId: number, puts: PutRecord[], firstLsn: number): number {
    let repeats = 0;
    puts.forEach(({ key, value, writeId }, i) => {
      if (this.q.remember.run(partitionId, writeId, firstLsn + i).changes === 0) repeats++;
      else this.q.put.run(partitionId, key, value);
    });
    const lastLsn = firstLsn + puts.length - 1;
    // Ids older than the window no longer count (see `remember`); they are dropped now and then,
    // by a scan, rather than kept in an index by LSN that every apply would write to.
    if (Math.floor(lastLsn / PRUNE_EVERY_LSNS) > Math.floor((firstLsn - 1) / PRUNE_EVERY_LSNS)) {
      this.q.forget.run(partitionId, lastLsn - DEDUP_WINDOW_LSNS);
    }
    this.q.setApplied.run(partitionId, lastLsn);
    return repeats;
  }
}
