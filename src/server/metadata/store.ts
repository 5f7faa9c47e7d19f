// The metadata store contract: a versioned key/value with compare-and-set. The embedded backend is
// SQLite on the metadata-server node; every other node reaches it over HTTP (remote.ts).
import { ApiError } from '../../api/errors';
import type { Precondition, VersionedValue } from '../../api/schemas';
import type { Db } from '../storage/sqlite';

export interface MetadataStore {
  get(key: string): Promise<VersionedValue | null>;
  /** Writes `value` if `precondition` holds and returns the new version; VERSION_CONFLICT otherwise. */
  put(key: string, value: unknown, precondition: Precondition): Promise<number>;
  versions(): Promise<Record<string, number>>;
}

export function versionConflict(key: string, precondition: Precondition, current: number | null): ApiError {
  const expected = precondition.kind === 'does-not-exist' ? 'no value' : `v${(precondition as { version: number }).version}`;
  const found = current === null ? 'no value' : `v${current}`;
  return new ApiError(
    'VERSION_CONFLICT',
    `metadata key ${key} changed concurrently: expected ${expected}, found ${found}`,
    'read the key again and retry',
    { current_version: current },
  );
}

export class SqliteMetadataStore implements MetadataStore {
  private readonly selectOne;
  private readonly selectVersions;
  private readonly upsert;

  constructor(private readonly db: Db) {
    db.exec('CREATE TABLE IF NOT EXISTS metadata (key TEXT PRIMARY KEY, version INTEGER NOT NULL, value TEXT NOT NULL)');
    this.selectOne = db.prepare<[string], { version: number; value: string }>('SELECT version, value FROM metadata WHERE key = ?');
    this.selectVersions = db.prepare<[], { key: string; version: number }>('SELECT key, version FROM metadata');
    this.upsert = db.prepare('INSERT INTO metadata (key, version, value) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET version = excluded.version, value = excluded.value');
  }

  async get(key: string): Promise<VersionedValue | null> {
    const row = this.selectOne.get(key);
    return row ? { key, version: row.version, value: JSON.parse(row.value) } : null;
  }

  async put(key: string, value: unknown, precondition: Precondition): Promise<number> {
    const write = this.db.transaction(() => {
      const current = this.selectOne.get(key)?.version ?? null;
      if (precondition.kind === 'does-not-exist' && current !== null) throw versionConflict(key, precondition, current);
      if (precondition.kind === 'matches-version' && current !== precondition.version) throw versionConflict(key, precondition, current);
      const next = (current ?? 0) + 1;
      this.upsert.run(key, next, JSON.stringify(value));
      return next;
    });
    return write.immediate();
  }

  async versions(): Promise<Record<string, number>> {
    return Object.fromEntries(this.selectVersions.all().map((row) => [row.key, row.version]));
  }
}
