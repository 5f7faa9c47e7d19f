// The embedded storage engine: SQLite through better-sqlite3 (see README, "Storage engine").
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export type Db = Database.Database;

/**
 * `durable`: every commit is fsynced (FULL). Otherwise commits are atomic and survive a process
 * crash but may be lost with the machine (NORMAL): for state that can be rebuilt from the log.
 */
export function openDatabase(file: string, { durable = true }: { durable?: boolean } = {}): Db {
  mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durable ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  return db;
}
