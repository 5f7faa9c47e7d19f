// Metadata store client for nodes without the metadata-server role: the store's HTTP API on the
// addresses in `metadata-client.addresses`, trying each in turn.
import { ApiError } from '../../api/errors';
import { HttpClient, HttpStatusError, TransportError } from '../../api/http-client';
import type { Precondition, VersionedValue } from '../../api/schemas';
import { versionConflict, type MetadataStore } from './store';

const REQUEST_TIMEOUT_MS = 5_000;

export class RemoteMetadataStore implements MetadataStore {
  private preferred = 0;

  constructor(
    private readonly addresses: string[],
    private readonly http: HttpClient,
  ) {}

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
      try {
        const result = await this.http.call(address, 'storePut', {
          params: { key },
          body: { precondition, value },
          timeoutMs: REQUEST_TIMEOUT_MS,
        });
        return result.version;
      } catch (err) {
        if (err instanceof HttpStatusError && err.code === 'VERSION_CONFLICT') {
          const current = (err.body as { current_version?: number | null } | undefined)?.current_version ?? null;
          throw versionConflict(key, precondition, current);
        }
        throw err;
      }
    });
  }

  versions(): Promise<Record<string, number>> {
    return this.attempt(async (address) => (await this.http.call(address, 'storeVersions', { timeoutMs: REQUEST_TIMEOUT_MS })).versions);
  }
}
