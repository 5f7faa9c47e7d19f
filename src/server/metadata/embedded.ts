// The embedded metadata store: SQLite on the node with the metadata-server role (one node, a single
// point of failure: fine for one machine, see README). Deleted keys leave a tombstone with their
// version, so that a re-created key's versions go on growing. Changes are announced in process; the
// metadata-server role serves them to other nodes as a long poll (remote.ts).
import { EventEmitter } from 'node:events';
import type { Precondition, VersionedValue } from '../../api/schemas';
import type { Db } from '../storage/sqlite';
import { preconditionHolds, versionConflict, type MetadataChange, type MetadataStore, type MetadataWatch } from './store';

interface Row {
  version: number;
  value: string | null;
}

export class EmbeddedMetadataStore implements MetadataStore {
  readonly description = 'the embedded metadata store on this node';
  /** Counts writes since this process started; with `epoch`, lets a remote watcher ask "anything new?". */
  revision = 0;
  readonly epoch = `${process.pid}-${Date.now()}`;
  private readonly changes = new EventEmitter<{ change: [MetadataChange] }>();
  private readonly q;

  constructor(private readonly db: Db) {
    db.exec('CREATE TABLE IF NOT EXISTS metadata (key TEXT PRIMARY KEY, version INTEGER NOT NULL, value TEXT)');
    // Stores made before deletes had a NOT NULL value column; tombstones need it nullable.
    const columns = db.prepare<[], { name: string; notnull: number }>('PRAGMA table_info(metadata)').all();
    if (columns.some((c) => c.name === 'value' && c.notnull === 1)) {
      db.transaction(() => {
        db.exec(`
          ALTER TABLE metadata RENAME TO metadata_before_tombstones;
          CREATE TABLE metadata (key TEXT PRIMARY KEY, version INTEGER NOT NULL, value TEXT);
          INSERT INTO metadata SELECT key, version, value FROM metadata_before_tombstones;
          DROP TABLE metadata_before_tombstones;
        `);
      })();
    }
    this.q = {
      one: db.prepare<[string], Row>('SELECT version, value FROM metadata WHERE key = ?'),
      versions: db.prepare<[], { key: string; version: number }>('SELECT key, version FROM metadata WHERE value IS NOT NULL'),
      upsert: db.prepare('INSERT INTO metadata (key, version, value) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET version = excluded.version, value = excluded.value'),
    };
    this.changes.setMaxListeners(0);
  }

  private current(key: string): { version: number; live: boolean } | undefined {
    const row = this.q.one.get(key);
    return row ? { version: row.version, live: row.value !== null } : undefined;
  }

  async get(key: string): Promise<VersionedValue | null> {
    const row = this.q.one.get(key);
    return row && row.value !== null ? { key, version: row.version, value: JSON.parse(row.value) } : null;
  }

  async put(key: string, value: unknown, precondition: Precondition): Promise<number> {
    const version = this.db
      .transaction(() => {
        const current = this.current(key);
        const live = current?.live ? current.version : null;
        if (!preconditionHolds(precondition, live)) throw versionConflict(key, precondition, live);
        const next = (current?.version ?? 0) + 1;
        this.q.upsert.run(key, next, JSON.stringify(value));
        return next;
      })
      .immediate();
    this.announce({ key, version, value });
    return version;
  }

  async delete(key: string, precondition: Precondition): Promise<void> {
    const version = this.db
      .transaction(() => {
        const current = this.current(key);
        const live = current?.live ? current.version : null;
        if (!preconditionHolds(precondition, live)) throw versionConflict(key, precondition, live);
        if (live === null) return undefined;
        this.q.upsert.run(key, live + 1, null);
        return live + 1;
      })
      .immediate();
    if (version !== undefined) this.announce({ key, version });
  }

  async versions(): Promise<Record<string, number>> {
    return Object.fromEntries(this.q.versions.all().map((row) => [row.key, row.version]));
  }

  watch(watcher: MetadataWatch): () => void {
    let stopped = false;
    const listener = (change: MetadataChange) => watcher.onChange([change]);
    this.changes.on('change', listener);
    // Like every backend, a new watch starts with a resync: the watcher has read nothing yet.
    queueMicrotask(() => {
      if (!stopped) watcher.onResync();
    });
    return () => {
      stopped = true;
      this.changes.off('change', listener);
    };
  }

  /** Resolves once a write after `revision` of `epoch` happened (at once if one did), or after `waitMs`. */
  async changedSince(epoch: string, revision: number, waitMs: number): Promise<void> {
    if (epoch !== this.epoch || revision < this.revision || waitMs <= 0) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.changes.off('change', done);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      this.changes.on('change', done);
    });
  }

  async close(): Promise<void> {
    this.changes.removeAllListeners();
  }

  private announce(change: MetadataChange): void {
    this.revision++;
    this.changes.emit('change', change);
  }
}
