// The embedded metadata store as the other nodes reach it: the metadata-server node's HTTP API on
// `metadata-client.addresses`, trying each in turn. Changes arrive by long poll: the server answers
// as soon as a write happened after the revision this node last saw.
import { ApiError } from '../../api/errors';
import { HttpClient, HttpStatusError, TransportError } from '../../api/http-client';
import type { Precondition, VersionedValue } from '../../api/schemas';
import { sleep } from '../sleep';
import { versionConflict, type MetadataStore, type MetadataWatch } from './store';

export const REQUEST_TIMEOUT_MS = 5_000;
/** How long the server holds a change poll open when nothing changes. */
const CHANGES_WAIT_MS = 20_000;
const CHANGES_RETRY_MS = 250;

export class RemoteMetadataStore implements MetadataStore {
  private preferred = 0;
  /** Stops each watch still running, for close(). */
  private readonly watches = new Set<() => void>();

  constructor(
    private readonly addresses: string[],
    private readonly http: HttpClient,
  ) {}

  get description(): string {
    return `the metadata-server at ${this.addresses.join(', ')}`;
  }

  private async attempt<T>(op: (address: string) => Promise<T>): Promise<T> {
    const failures: string[] = [];
    for (let i = 0; i < this.addresses.length; i++) {
      const index = (this.preferred + i) % this.addresses.length;
      try {
        const result = await op(this.addresses[index]!);
        this.preferred = index;
        return result;
      } catch (err) {
        if (!(err instanceof TransportError) && !(err instanceof HttpStatusError && err.status >= 500)) throw err;
        failures.push(err.message);
      }
    }
    throw new ApiError(
      'UNAVAILABLE',
      `metadata store unreachable: ${failures.join('; ')}`,
      'check that the metadata-server node is running and metadata-client.addresses points at it',
    );
  }

  /** A VERSION_CONFLICT answer becomes the same error the store itself raises. */
  private conflictOr(key: string, precondition: Precondition, err: unknown): never {
    if (err instanceof HttpStatusError && err.code === 'VERSION_CONFLICT') {
      const current = (err.body as { current_version?: number | null } | undefined)?.current_version ?? null;
      throw versionConflict(key, precondition, current);
    }
    throw err;
  }

  get(key: string): Promise<VersionedValue | null> {
    return this.attempt(async (address) => {
      try {
        return await this.http.call(address, 'storeGet', { params: { key }, timeoutMs: REQUEST_TIMEOUT_MS });
      } catch (err) {
        if (err instanceof HttpStatusError && err.status === 404 && err.code === 'NOT_FOUND') return null;
        throw err;
      }
    });
  }

  put(key: string, value: unknown, precondition: Precondition): Promise<number> {
    return this.attempt(async (address) => {
      const body = { precondition, value };
      const result = await this.http.call(address, 'storePut', { params: { key }, body, timeoutMs: REQUEST_TIMEOUT_MS }).catch((err) => this.conflictOr(key, precondition, err));
      return result.version;
    });
  }

  delete(key: string, precondition: Precondition): Promise<void> {
    return this.attempt(async (address) => {
      await this.http.call(address, 'storeDelete', { params: { key }, body: { precondition }, timeoutMs: REQUEST_TIMEOUT_MS }).catch((err) => this.conflictOr(key, precondition, err));
    });
  }

  versions(): Promise<Record<string, number>> {
    return this.attempt(async (address) => (await this.http.call(address, 'storeVersions', { timeoutMs: REQUEST_TIMEOUT_MS })).versions);
  }

  watch(watcher: MetadataWatch): () => void {
    let stopped = false;
    const abort = new AbortController();
    void (async () => {
      let since = { epoch: '', revision: 0 };
      // The versions of the last answer: the server sends every key's, the watcher wants the changed ones.
      let known: Record<string, number> = {};
      while (!stopped) {
        try {
          const changes = await this.attempt((address) =>
            this.http.call(address, 'storeChanges', {
              query: { epoch: since.epoch, revision: since.revision, wait_ms: CHANGES_WAIT_MS },
              timeoutMs: CHANGES_WAIT_MS + REQUEST_TIMEOUT_MS,
              signal: abort.signal,
            }),
          );
          if (stopped) return;
          // A new store process (or the first answer) may have changed anything.
          if (changes.epoch !== since.epoch) watcher.onResync();
          else if (changes.revision !== since.revision) reportChanges(known, changes.versions, watcher);
          since = { epoch: changes.epoch, revision: changes.revision };
          known = changes.versions;
        } catch {
          if (stopped) return;
          since = { epoch: '', revision: 0 };
          await sleep(CHANGES_RETRY_MS);
        }
      }
    })();
    const stop = () => {
      stopped = true;
      abort.abort();
      this.watches.delete(stop);
    };
    this.watches.add(stop);
    return stop;
  }

  /** Ends the watches, whose long polls would otherwise go on. */
  async close(): Promise<void> {
    for (const stop of [...this.watches]) stop();
  }
}

/** Tells `watcher` which keys changed between two answers; a key that is gone was deleted, which a resync shows. */
function reportChanges(before: Record<string, number>, after: Record<string, number>, watcher: MetadataWatch): void {
  if (Object.keys(before).some((key) => !(key in after))) return watcher.onResync();
  const changed = Object.entries(after).filter(([key, version]) => before[key] !== version);
  if (changed.length) watcher.onChange(changed.map(([key, version]) => ({ key, version })));
}
