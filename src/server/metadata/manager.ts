// Each node's view of the cluster metadata: a cache of the latest documents it has seen, kept
// current by the store's change feed (a full read when the feed starts or breaks, and now and then
// in case it missed something), plus read-modify-write with compare-and-set for updates.
import { EventEmitter } from 'node:events';
import { ApiError } from '../../api/errors';
import { isEpochKey, METADATA_KEYS, metadataSchema, type MetadataDocument, type MetadataKey, type MetadataWriteOutcome, type WellKnownKey } from '../../api/schemas';
import type { Logger } from '../logger';
import { nodeMetrics, type MetadataOperation } from '../metrics';
import { PeriodicTask } from '../periodic';
import type { MetadataChange, MetadataStore } from './store';

export interface Versioned<T> {
  version: number;
  value: T;
}

const MAX_CAS_ATTEMPTS = 50;

export class MetadataManager extends EventEmitter<{ change: [MetadataKey] }> {
  private readonly cache = new Map<MetadataKey, Versioned<unknown>>();
  // refresh() logs its own failures.
  private readonly resync = new PeriodicTask(() => this.refresh(), () => undefined);
  private unwatch: (() => void) | undefined;
  private refreshing: Promise<void> | undefined;
  private lastError: string | undefined;
  /** The store, its requests timed (cairn_metadata_request_duration_seconds). */
  readonly store: MetadataStore;

  constructor(
    store: MetadataStore,
    private readonly logger: Logger,
  ) {
    super();
    this.store = timedStore(store);
  }

  get<K extends MetadataKey>(key: K): Versioned<MetadataDocument<K>> | undefined {
    return this.cache.get(key) as Versioned<MetadataDocument<K>> | undefined;
  }

  /** The latest document, or NOT_PROVISIONED if the cluster has none yet. */
  require<K extends MetadataKey>(key: K): Versioned<MetadataDocument<K>> {
    const entry = this.get(key);
    if (!entry) {
      throw new ApiError('NOT_PROVISIONED', `the cluster has no ${key} yet`, 'provision it with `cairnctl provision`');
    }
    return entry;
  }

  versions(): Record<WellKnownKey, number> {
    const out = {} as Record<WellKnownKey, number>;
    for (const key of METADATA_KEYS) out[key] = this.cache.get(key)?.version ?? 0;
    return out;
  }

  isProvisioned(): boolean {
    return METADATA_KEYS.every((key) => this.cache.has(key));
  }

  /** Follows the store's changes; reads it all every `resyncIntervalMs` as a safety net. */
  start(resyncIntervalMs: number): void {
    this.unwatch = this.store.watch({
      onChange: (changes) => void this.applyChanges(changes),
      onResync: () => void this.refresh().catch(() => undefined),
    });
    this.resync.start(resyncIntervalMs);
  }

  stop(): void {
    this.unwatch?.();
    this.resync.stop();
  }

  private async applyChanges(changes: MetadataChange[]): Promise<void> {
    for (const { key, version, value } of changes) {
      if (!isKnownKey(key) || version <= (this.cache.get(key)?.version ?? 0)) continue;
      try {
        if (value !== undefined) this.accept(key, version, value);
        else {
          const entry = await this.store.get(key);
          if (entry) this.accept(key, entry.version, entry.value);
        }
      } catch (err) {
        // A read that failed, or a document this version cannot parse: the next resync retries.
        this.logger.warn({ key, version, err: (err as Error).message }, 'cannot take a metadata change');
      }
    }
  }

  /** Fetches every document whose version in the store is newer than the cached one. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    try {
      const versions = await this.store.versions();
      for (const [key, latest] of Object.entries(versions)) {
        if (!isKnownKey(key)) continue;
        if (latest > (this.cache.get(key)?.version ?? 0)) {
          const entry = await this.store.get(key);
          if (entry) this.accept(key, entry.version, entry.value);
        }
      }
      if (this.lastError) this.logger.info('metadata store reachable again');
      this.lastError = undefined;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastError) this.logger.warn({ err: message }, 'cannot refresh metadata');
      this.lastError = message;
      throw err;
    }
  }

  private accept(key: MetadataKey, version: number, raw: unknown): void {
    const current = this.cache.get(key);
    if (current && current.version >= version) return;
    const value = metadataSchema(key).parse(raw);
    this.cache.set(key, { version, value });
    this.emit('change', key);
  }

  /**
   * Read-modify-write with compare-and-set, retried on conflict. `mutate` gets the freshest stored
   * value and returns the new one, or undefined to leave it unchanged.
   */
  async update<K extends MetadataKey>(
    key: K,
    mutate: (current: MetadataDocument<K> | undefined) => MetadataDocument<K> | undefined,
  ): Promise<Versioned<MetadataDocument<K>> | undefined> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const stored = await this.store.get(key);
      const current = stored ? metadataSchema(key).parse(stored.value) : undefined;
      if (stored) this.accept(key, stored.version, stored.value);
      const next = mutate(current);
      if (next === undefined) return stored ? { version: stored.version, value: current! } : undefined;
      const checked = metadataSchema(key).parse(next);
      try {
        const version = await this.store.put(
          key,
          checked,
          stored ? { kind: 'matches-version', version: stored.version } : { kind: 'does-not-exist' },
        );
        this.accept(key, version, checked);
        return { version, value: checked as MetadataDocument<K> };
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'VERSION_CONFLICT')) throw err;
        await new Promise((r) => setTimeout(r, Math.min(5 * (attempt + 1), 100) * Math.random()));
      }
    }
    throw new ApiError('VERSION_CONFLICT', `gave up updating ${key} after ${MAX_CAS_ATTEMPTS} concurrent modifications`);
  }

  /**
   * An operator's write of a whole document: against the stored version (`expected`, if given, must
   * be it), checked against the key's schema unless forced. A dry run checks and writes nothing.
   */
  async write(key: MetadataKey, value: unknown, options: { expected?: number; dryRun?: boolean; force?: boolean }): Promise<MetadataWriteOutcome> {
    const stored = await this.store.get(key);
    const previous = stored?.version ?? null;
    if (options.expected !== undefined && options.expected !== previous) {
      throw new ApiError('VERSION_CONFLICT', `${key} is at ${previous === null ? 'no version (absent)' : `v${previous}`}, not v${options.expected}`, 'read it again (cairnctl metadata get) and retry with its version');
    }
    const checked = metadataSchema(key).safeParse(value);
    if (!checked.success && !options.force) {
      const problems = checked.error.issues.map((issue) => `${issue.path.join('.') || '(document)'}: ${issue.message}`).join('; ');
      throw new ApiError('BAD_REQUEST', `the value is not a valid ${key} document: ${problems}`, 'fix the document, or pass --force to write it anyway (nodes that cannot read it keep their last good copy)');
    }
    if (options.dryRun) return { key, previous_version: previous, version: null, value, dry_run: true };
    const version = await this.store.put(key, checked.success ? checked.data : value, previous === null ? { kind: 'does-not-exist' } : { kind: 'matches-version', version: previous });
    if (checked.success) this.accept(key, version, checked.data);
    this.logger.warn({ key, previous_version: previous, version, forced: !checked.success }, 'metadata document written by an operator');
    return { key, previous_version: previous, version, value, dry_run: false };
  }

  /**
   * Reads `key` from the store itself (a quorum read on etcd) and caches it: fails, as UNAVAILABLE,
   * when the store could not take a write either. A change with a step that cannot be undone (a
   * seal) checks this first rather than leaving that step done and its record unwritten.
   */
  async readFromStore<K extends MetadataKey>(key: K): Promise<void> {
    const stored = await this.store.get(key);
    if (stored) this.accept(key, stored.version, stored.value);
  }

  /** Resolves when `key` changes next, or after `timeoutMs`. */
  changed(key: MetadataKey, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('change', onChange);
        resolve();
      };
      const onChange = (changed: MetadataKey) => {
        if (changed === key) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.on('change', onChange);
    });
  }

  /** Writes a document only if the key does not exist yet; returns false if it did. */
  async create<K extends MetadataKey>(key: K, value: MetadataDocument<K>): Promise<boolean> {
    const checked = metadataSchema(key).parse(value);
    try {
      const version = await this.store.put(key, checked, { kind: 'does-not-exist' });
      this.accept(key, version, checked);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.code === 'VERSION_CONFLICT') return false;
      throw err;
    }
  }
}

function isKnownKey(key: string): key is MetadataKey {
  return (METADATA_KEYS as readonly string[]).includes(key) || isEpochKey(key);
}

/** `store` with each request's latency and outcome recorded; everything else passes through. */
function timedStore(store: MetadataStore): MetadataStore {
  const metrics = nodeMetrics();
  const timed = <T>(operation: MetadataOperation, request: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    return request().then(
      (value) => {
        metrics.metadataAnswered(operation, 'ok', started);
        return value;
      },
      (err: unknown) => {
        metrics.metadataAnswered(operation, err instanceof ApiError && err.code === 'VERSION_CONFLICT' ? 'conflict' : 'error', started);
        throw err;
      },
    );
  };
  return {
    get description() {
      return store.description;
    },
    leases: store.leases,
    get: (key) => timed('get', () => store.get(key)),
    put: (key, value, precondition) => timed('put', () => store.put(key, value, precondition)),
    delete: (key, precondition) => timed('delete', () => store.delete(key, precondition)),
    versions: () => timed('versions', () => store.versions()),
    watch: (watcher) => store.watch(watcher),
    close: () => store.close(),
  };
}
