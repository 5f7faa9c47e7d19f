// The log-server's durable storage in the embedded database.
import type { Db } from '../storage/sqlite';
import type { MarkerStore, StorageMarker } from './provision';

export class LogStore implements MarkerStore {
  private readonly selectMarker;
  private readonly insertMarker;

  constructor(readonly db: Db) {
    db.exec('CREATE TABLE IF NOT EXISTS marker (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), node_id INTEGER NOT NULL, created_at TEXT NOT NULL)');
    this.selectMarker = db.prepare<[], StorageMarker>('SELECT node_id, created_at FROM marker WHERE singleton = 1');
    this.insertMarker = db.prepare('INSERT INTO marker (singleton, node_id, created_at) VALUES (1, ?, ?)');
  }

  readMarker(): StorageMarker | undefined {
    return this.selectMarker.get();
  }

  writeMarker(marker: StorageMarker): void {
    this.insertMarker.run(marker.node_id, marker.created_at);
  }
}
