// The embedded storage engine: SQLite through better-sqlite3 (see README, "Storage engine").
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export type Db = Database.Database;

/**
 * `durable`: every commit is fsynced (FULL). Otherwise commits are atomic and survive a process
 * crash but may be lost with the machine (NORMAL): for state that can be rebuilt from the log.
 * `exclusive`: this connection is the only one that will ever open the file, so it holds the lock
 * from the start and a transaction costs no file-lock system calls (nor a shared-memory index).
 */
export function openDatabase(file: string, { durable = true, exclusive = false }: { durable?: boolean; exclusive?: boolean } = {}): Db {
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  if (exclusive) db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durable ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  return db;
}
