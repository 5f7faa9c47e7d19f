// The partition store's applies do not checkpoint on the thread that commits them: SQLite's own
// checkpoint, due every 1000 WAL pages by default, copied the WAL on the node's event loop (10-17 ms
// every half second under load, the p99 of writes). Checkpoints belong to the store's checkpoint
// thread; the committing connection checkpoints only past a much larger bound.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/server/storage/sqlite';
import { PartitionStore } from '../../src/server/worker/partition-store';

const PAGE_BYTES = 4096;
/** SQLite's default automatic checkpoint, in WAL pages. */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

describe('partition store applies', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("leave a WAL past SQLite's default checkpoint size alone, so that no apply copies it on the main thread", () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cairn-partition-store-'));
    const file = path.join(dir, 'partition-store.db');
    const db = openDatabase(file, { durable: false });
    try {
      const store = new PartitionStore(db);
      const value = Buffer.alloc(1024, 7);
      store.apply(0, [{ key: 'first', value, writeId: Buffer.from('first-write!') }], 1);
      const databaseBytes = statSync(file).size;
      // One record per transaction, as at one client: a few pages of WAL each, past twice the default.
      const last = 800;
      for (let lsn = 2; lsn <= last; lsn++) {
        const writeId = Buffer.alloc(12);
        writeId.writeUInt32BE(lsn, 8);
        store.apply(0, [{ key: `key-${lsn}`, value, writeId }], lsn);
      }
      expect(statSync(`${file}-wal`).size, 'the WAL').toBeGreaterThan(2 * SQLITE_DEFAULT_AUTOCHECKPOINT * PAGE_BYTES);
      expect(statSync(file).size, 'the database file (a checkpoint would have copied pages into it)').toBe(databaseBytes);
      expect(store.appliedLsn(0)).toBe(last);
      expect(store.get(0, `key-${last}`)).toEqual(value);
    } finally {
      db.close();
    }
  });
});
