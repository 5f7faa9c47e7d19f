// The partition store: the key/value state the ingress serves, per partition, with the LSN of the
// last record applied. Applying a batch of records and moving the applied LSN is one transaction.
// It is not fsynced per commit: whatever a crash loses is applied again from the log.
import type { Db } from '../storage/sqlite';

export class PartitionStore {
  private readonly q;

  constructor(readonly db: Db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS kv (partition_id INTEGER NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL);
      CREATE UNIQUE INDEX IF NOT EXISTS kv_key ON kv (partition_id, key);
      CREATE TABLE IF NOT EXISTS applied (partition_id INTEGER PRIMARY KEY, lsn INTEGER NOT NULL);
    `);
    this.q = {
      put: db.prepare('INSERT INTO kv (partition_id, key, value) VALUES (?, ?, ?) ON CONFLICT(partition_id, key) DO UPDATE SET value = excluded.value'),
      get: db.prepare<[number, string], { value: Buffer }>('SELECT value FROM kv WHERE partition_id = ? AND key = ?'),
      applied: db.prepare<[number], { lsn: number }>('SELECT lsn FROM applied WHERE partition_id = ?'),
      setApplied: db.prepare('INSERT INTO applied (partition_id, lsn) VALUES (?, ?) ON CONFLICT(partition_id) DO UPDATE SET lsn = excluded.lsn'),
    };
  }

  appliedLsn(partitionId: number): number {
    return this.q.applied.get(partitionId)?.lsn ?? 0;
  }

  get(partitionId: number, key: string): Buffer | undefined {
    return this.q.get.get(partitionId, key)?.value;
  }

  /**
   * Writes a consistent copy of one partition (its keys and applied LSN) to a new database file and
   * returns that LSN. Synchronous, so no apply can interleave.
   */
  exportPartition(partitionId: number, file: string): number {
    const lsn = this.appliedLsn(partitionId);
    this.db.prepare('ATTACH DATABASE ? AS snapshot').run(file);
    try {
      this.db.transaction(() => {
        this.db.exec(`
          CREATE TABLE snapshot.kv (key TEXT PRIMARY KEY, value BLOB NOT NULL);
          CREATE TABLE snapshot.meta (partition_id INTEGER NOT NULL, applied_lsn INTEGER NOT NULL);
        `);
        this.db.prepare('INSERT INTO snapshot.kv (key, value) SELECT key, value FROM kv WHERE partition_id = ?').run(partitionId);
        this.db.prepare('INSERT INTO snapshot.meta (partition_id, applied_lsn) VALUES (?, ?)').run(partitionId, lsn);
      })();
    } finally {
      this.db.exec('DETACH DATABASE snapshot');
    }
    return lsn;
  }

  /** Replaces a partition's state by a snapshot's; returns the snapshot's applied LSN. */
  importPartition(partitionId: number, file: string): number {
    this.db.prepare('ATTACH DATABASE ? AS snapshot').run(file);
    try {
      return this.db.transaction(() => {
        const meta = this.db.prepare<[], { partition_id: number; applied_lsn: number }>('SELECT partition_id, applied_lsn FROM snapshot.meta').get();
        if (!meta || meta.partition_id !== partitionId) {
          throw new Error(`the snapshot is of partition ${meta?.partition_id ?? '?'}, not ${partitionId}`);
        }
        this.db.prepare('DELETE FROM kv WHERE partition_id = ?').run(partitionId);
        this.db.prepare('INSERT INTO kv (partition_id, key, value) SELECT ?, key, value FROM snapshot.kv').run(partitionId);
        this.q.setApplied.run(partitionId, meta.applied_lsn);
        return meta.applied_lsn;
      })();
    } finally {
      this.db.exec('DETACH DATABASE snapshot');
    }
  }

  /** Makes everything applied so far durable (a full WAL checkpoint fsyncs the database). */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(FULL)');
  }

  /** Applies puts and records `lastLsn` as applied, atomically. */
  apply(partitionId: number, puts: Array<{ key: string; value: Buffer }>, lastLsn: number): void {
    this.db.transaction(() => {
      for (const { key, value } of puts) this.q.put.run(partitionId, key, value);
      this.q.setApplied.run(partitionId, lastLsn);
    })();
  }
}
