// The log store on the node's event loop: stores that arrive in one turn commit together, other
// operations see them in the order they came, and a trim drops its records a bounded batch per turn
// (the trim point moves at once; nothing below it is read or digested meanwhile), going on after a
// restart that cut it short. A store whose fdatasync overlapped a failed one is refused as well. An
// fdatasync that runs alone moves to the event loop once the recent ones were quick, and back to
// the thread pool after a slow one. Its WAL is written into room made ahead, at open, to the size it
// reaches under load, and what a crash leaves there (frames, then zeros) reopens with every record.
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { armFailpoint } from '../../src/server/failpoints';
import { StorageHealth } from '../../src/server/health';
import { LogStore } from '../../src/server/log-server/log-store';
import { LogStoreHandle } from '../../src/server/log-server/log-store-handle';
import { nodeMetrics } from '../../src/server/metrics';
import { openDatabase } from '../../src/server/storage/sqlite';
import { walBytesAtBound } from '../../src/server/storage/wal-space';

const LOGLET = 7;
const record = (offset: number) => Buffer.from(`record ${offset}`);
const records = (first: number, count: number) => Array.from({ length: count }, (_, i) => record(first + i));

/** Rows of the loglet left in the file, read through a connection of the test's own. */
function rowsAtOrBelow(file: string, offset: number): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare<[number, number], { n: number }>('SELECT count(*) AS n FROM records WHERE loglet_id = ? AND offset <= ?').get(LOGLET, offset)!.n;
  } finally {
    db.close();
  }
}

/** The files of a store that is open, as a kill -9 of its process would leave them. */
function copyOpenStore(from: string, to: string): string {
  for (const suffix of ['', '-wal', '-shm']) copyFileSync(`${from}${suffix}`, `${to}${suffix}`);
  return to;
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the log store handle', () => {
  let dir: string;
  let file: string;
  let handle: LogStoreHandle | undefined;
  const open = () => (handle = new LogStoreHandle(file, new StorageHealth(() => undefined), () => false, pino({ level: 'silent' })));

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cairn-log-store-'));
    file = path.join(dir, 'log-store.db');
  });
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits the stores of one turn in one transaction, and a seal after them sees them', async () => {
    const store = open();
    const stores = [1, 2, 3].map((first) => store.store({ loglet_id: LOGLET, first_offset: first, known_global_tail: 1 }, [record(first)]));
    const sealed = store.seal(LOGLET);
    const late = store.store({ loglet_id: LOGLET, first_offset: 4, known_global_tail: 1 }, [record(4)]);
    expect((await Promise.all(stores)).map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    expect(await sealed).toMatchObject({ local_tail: 4, sealed: true });
    expect(await late).toMatchObject({ status: 'sealed', local_tail: 4 });
    expect((await store.stats()).group_commits).toBe(2);
    expect((await store.read(LOGLET, 1, 10, 1 << 20)).records.map(String)).toEqual(['record 1', 'record 2', 'record 3']);
  });

  it('moves the trim point at once and deletes the records below it in batches, hiding them meanwhile', async () => {
    const store = open();
    const count = 5_000;
    for (let first = 1; first <= count; first += 500) await store.store({ loglet_id: LOGLET, first_offset: first, known_global_tail: first }, records(first, 500));
    const trimmed = await store.trim(LOGLET, 4_500);
    expect(trimmed).toMatchObject({ trim_point: 4_500, local_tail: count + 1 });
    // Not in the same turn as the trim: a large range would hold the event loop up.
    expect(rowsAtOrBelow(file, 4_500)).toBeGreaterThan(0);
    const digest = await store.digest(LOGLET, 1, count + 1);
    expect(digest.runs).toEqual([[4_501, count + 1]]);
    expect(digest.checksums).toHaveLength(500);
    const read = await store.read(LOGLET, 1, 3, 1 << 20);
    expect(read.from).toBe(4_501);
    expect(read.records.map(String)).toEqual(['record 4501', 'record 4502', 'record 4503']);
    await until('the trimmed records are deleted', () => rowsAtOrBelow(file, 4_500) === 0);
    expect((await store.digest(LOGLET, 1, count + 1)).runs).toEqual([[4_501, count + 1]]);
  });

  it('deletes the records a restart left below the trim point', async () => {
    // A store trimmed without its sweep, as a crash right after the trim leaves it.
    const db = openDatabase(file);
    const engine = new LogStore(db);
    engine.storeAll([{ request: { loglet_id: LOGLET, first_offset: 1, known_global_tail: 1 }, records: records(1, 3_000) }]);
    engine.trim(LOGLET, 2_999);
    db.close();
    expect(rowsAtOrBelow(file, 2_999)).toBe(2_999);
    const store = open();
    await until('the trimmed records are deleted', () => rowsAtOrBelow(file, 2_999) === 0);
    expect((await store.read(LOGLET, 1, 10, 1 << 20)).records.map(String)).toEqual(['record 3000']);
  });

  it('refuses a store whose fdatasync overlapped a failed one, and every store after it', async () => {
    // The failpoint fails the first fdatasync of a fresh process (module), as an I/O error would.
    process.env.CAIRN_FAILPOINTS = 'log-store-fdatasync=1';
    vi.resetModules();
    try {
      const fresh = await import('../../src/server/log-server/log-store-handle');
      const store = (handle = new fresh.LogStoreHandle(file, new StorageHealth(() => undefined), () => false, pino({ level: 'silent' })));
      // 8 MiB, so that its fdatasync runs for a while.
      const first = store.store({ loglet_id: LOGLET, first_offset: 1, known_global_tail: 1 }, Array.from({ length: 2_048 }, () => Buffer.alloc(4_096, 1)));
      // The first store has committed and its fdatasync runs: the second one's starts beside it. Both
      // wrote before the failure was seen, so neither may be answered as durable.
      await new Promise((resolve) => setImmediate(resolve));
      const second = store.store({ loglet_id: LOGLET, first_offset: 2_049, known_global_tail: 1 }, [record(2_049)]);
      const outcomes = await Promise.allSettled([first, second]);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
      for (const outcome of outcomes) expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/cannot make .*-wal durable \(failpoint log-store-fdatasync/);
      await expect(store.store({ loglet_id: LOGLET, first_offset: 2_050, known_global_tail: 1 }, [record(2_050)])).rejects.toThrow(/takes no more writes/);
    } finally {
      delete process.env.CAIRN_FAILPOINTS;
      vi.resetModules();
    }
  });

  it('makes an fdatasync that runs alone on the event loop while recent ones were quick, and goes back to the pool after a slow one', async () => {
    const syncs = async () => {
      const counts = { 'event-loop': 0, 'thread-pool': 0 };
      for (const value of (await nodeMetrics().registry.getSingleMetric('cairn_log_store_fdatasyncs_total')!.get()).values) counts[value.labels.on as keyof typeof counts] = value.value;
      return counts;
    };
    const store = (handle = open());
    const before = await syncs();
    let offset = 1;
    const storeOne = () => store.store({ loglet_id: LOGLET, first_offset: offset, known_global_tail: 1 }, [record(offset++)]);
    /** Stores one record at a time until one's fdatasync ran on the event loop; the counts then. */
    const storeUntilInline = async (from: Awaited<ReturnType<typeof syncs>>) => {
      let now = from;
      for (let i = 0; i < 500 && now['event-loop'] === from['event-loop']; i++) {
        await storeOne();
        now = await syncs();
      }
      return now;
    };
    // A new log store starts on the pool; after 20 quick fdatasyncs in a row there, one at a time, they run inline.
    let now = await storeUntilInline(before);
    expect(now['event-loop'] - before['event-loop'], 'fdatasyncs on the event loop').toBe(1);
    expect(now['thread-pool'] - before['thread-pool'], 'fdatasyncs in the pool before').toBeGreaterThanOrEqual(20);
    // The next one is slowed by 100 ms, as by a disk busy with other writes. It runs inline only if
    // the one before it was quick, which a busy machine does not always give: then it went to the
    // pool, and it is tried again once 20 more quick ones have brought them back to the event loop.
    let stalledInline = false;
    for (let attempt = 0; attempt < 5 && !stalledInline; attempt++) {
      if (attempt > 0) now = await storeUntilInline(now);
      armFailpoint('log-store-fdatasync-stall', 1);
      const stalledAt = performance.now();
      await storeOne();
      expect(performance.now() - stalledAt, 'the stalled store waited for its fdatasync').toBeGreaterThanOrEqual(95);
      const afterStall = await syncs();
      stalledInline = afterStall['event-loop'] - now['event-loop'] === 1;
      now = afterStall;
    }
    expect(stalledInline, 'the stalled fdatasync ran inline after quick ones').toBe(true);
    await storeOne();
    const afterSlow = await syncs();
    expect(afterSlow['thread-pool'] - now['thread-pool'], 'the store after the slow fdatasync went to the pool').toBe(1);
    expect(afterSlow['event-loop'] - now['event-loop'], 'nothing more ran inline').toBe(0);
  });

  it('writes its WAL into room made at open, and a crash leaves every stored record readable', async () => {
    const walBytes = (db: string) => statSync(`${db}-wal`).size;
    const bound = walBytesAtBound(4096);
    // A store that crashed with records in its WAL, before it made room for it.
    const db = openDatabase(file);
    new LogStore(db).storeAll([{ request: { loglet_id: LOGLET, first_offset: 1, known_global_tail: 1 }, records: records(1, 100) }]);
    const crashed = copyOpenStore(file, path.join(dir, 'crashed.db'));
    db.close();
    expect(walBytes(crashed)).toBeGreaterThan(0);
    expect(walBytes(crashed)).toBeLessThan(bound);

    // The room goes after the frames it holds; the stores that follow write into it.
    const store = (handle = new LogStoreHandle(crashed, new StorageHealth(() => undefined), () => false, pino({ level: 'silent' })));
    expect(walBytes(crashed)).toBe(bound);
    for (let first = 101; first <= 2_000; first += 100) await store.store({ loglet_id: LOGLET, first_offset: first, known_global_tail: first }, records(first, 100));
    expect(walBytes(crashed)).toBe(bound);

    // Crashed again: recovery reads the frames up to the zeros, and no further.
    const again = new LogStoreHandle(copyOpenStore(crashed, path.join(dir, 'again.db')), new StorageHealth(() => undefined), () => false, pino({ level: 'silent' }));
    try {
      const read = await again.read(LOGLET, 1, 5_000, 1 << 24);
      expect(read.records.map(String)).toEqual(records(1, 2_000).map(String));
      expect((await again.state(LOGLET)).local_tail).toBe(2_001);
    } finally {
      await again.close();
    }
  });

  it('makes room for a WAL that a clean close removed', async () => {
    await open().close();
    handle = undefined;
    expect(existsSync(`${file}-wal`), 'the WAL after a clean close').toBe(false);
    open();
    expect(statSync(`${file}-wal`).size).toBe(walBytesAtBound(4096));
  });

  it('digests a range longer than one batch without gaps', async () => {
    const store = open();
    const count = 25_000;
    for (let first = 1; first <= count; first += 5_000) await store.store({ loglet_id: LOGLET, first_offset: first, known_global_tail: first }, records(first, 5_000));
    const digest = await store.digest(LOGLET, 2, count + 1);
    expect(digest.runs).toEqual([[2, count + 1]]);
    expect(digest.checksums).toHaveLength(count - 1);
    expect(digest.state).toMatchObject({ local_tail: count + 1, trim_point: 0 });
  });
});
