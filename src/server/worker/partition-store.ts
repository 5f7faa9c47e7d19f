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

  /** Applies puts and records `lastLsn` as applied, atomically. */
  apply(partitionId: number, puts: Array<{ key: string; value: Buffer }>, lastLsn: number): void {
    this.db.transaction(() => {
      for (const { key, value } of puts) this.q.put.run(partitionId, key, value);
      this.q.setApplied.run(partitionId, lastLsn);
    })();
  }
}
