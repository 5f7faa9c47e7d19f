// The metadata store contract: a versioned key/value with compare-and-set and a change feed, behind
// which sit the backends `metadata-client.type` picks (factory.ts): the embedded store (SQLite on
// the metadata-server node, embedded.ts; other nodes reach it over HTTP, remote.ts) and etcd
// (etcd.ts). A key's version grows with every write and never goes backwards, not even across a
// delete and re-create; a write whose precondition does not hold fails with VERSION_CONFLICT.
import { ApiError } from '../../api/errors';
import type { Precondition, VersionedValue } from '../../api/schemas';

export interface MetadataChange {
  key: string;
  version: number;
  /** The new value when the backend delivers it with the change (etcd); otherwise read it. */
  value?: unknown;
}

export interface MetadataWatch {
  /**
   * `onChange` gets keys written since the watch began; `onResync` says changes may have been
   * missed (the watch started or broke and resumed), so the whole store must be read again. A
   * delete comes either as a change without a value (reading the key finds nothing) or as a resync.
   */
  onChange(changes: MetadataChange[]): void;
  onResync(): void;
}

export interface MetadataStore {
  /** Where the store is, for messages: the etcd endpoints, or the metadata-server's address. */
  readonly description: string;
  get(key: string): Promise<VersionedValue | null>;
  /** Writes `value` if `precondition` holds and returns the new version; VERSION_CONFLICT otherwise. */
  put(key: string, value: unknown, precondition: Precondition): Promise<number>;
  /** Deletes a key if `precondition` holds (its version is kept: a re-created key goes on from it). */
  delete(key: string, precondition: Precondition): Promise<void>;
  versions(): Promise<Record<string, number>>;
  /** Follows changes until the returned function is called. */
  watch(watcher: MetadataWatch): () => void;
  /** Keys held by leases, for electing one controller (backends that have them: etcd). */
  readonly leases?: LeaseKeeper;
  close(): Promise<void>;
}

/**
 * Leases as etcd has them: granted for a TTL, kept alive by the holder, and expired by the store
 * when the holder stops; a key claimed under a lease goes with it.
 */
export interface LeaseKeeper {
  /** A new lease; `ttlMs` is what the store granted (it may raise a TTL below its minimum). */
  grant(ttlMs: number): Promise<{ id: string; ttlMs: number }>;
  /** Renews a lease; false if the store no longer has it (it expired or was revoked). */
  keepAlive(id: string): Promise<boolean>;
  /** Creates `key` under lease `id` unless it exists; returns the holder's value either way. */
  claim(key: string, value: unknown, id: string): Promise<{ won: boolean; holder: unknown }>;
  /** Ends a lease at once (its keys are deleted). */
  revoke(id: string): Promise<void>;
}

export function versionConflict(key: string, precondition: Precondition, current: number | null): ApiError {
  const expected = precondition.kind === 'does-not-exist' ? 'no value' : precondition.kind === 'matches-version' ? `v${precondition.version}` : 'any value';
  const found = current === null ? 'no value' : `v${current}`;
  return new ApiError(
    'VERSION_CONFLICT',
    `metadata key ${key} changed concurrently: expected ${expected}, found ${found}`,
    'read the key again and retry',
    { current_version: current },
  );
}

/** Whether `precondition` holds for a key whose current version is `current` (null: absent). */
export function preconditionHolds(precondition: Precondition, current: number | null): boolean {
  if (precondition.kind === 'does-not-exist') return current === null;
  if (precondition.kind === 'matches-version') return current === precondition.version;
  return true;
}
