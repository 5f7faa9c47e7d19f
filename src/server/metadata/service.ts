// The embedded metadata store's HTTP endpoints, served by the node with the metadata-server role to
// the other nodes (remote.ts): versions, a change long poll, and compare-and-set reads and writes.
import { ApiError } from '../../api/errors';
import { MetadataKeyText, type Precondition } from '../../api/schemas';
import type { HttpServer } from '../http/server';
import type { EmbeddedMetadataStore } from './embedded';

const MAX_CHANGES_WAIT_MS = 30_000;

function checkKey(key: string): string {
  if (!MetadataKeyText.safeParse(key).success) throw new ApiError('BAD_REQUEST', `invalid metadata key '${key}'`);
  return key;
}

export function bindMetadataStoreRoutes(s: HttpServer, store: EmbeddedMetadataStore): void {
  s.route('storeVersions', async () => ({ versions: await store.versions() }));
  s.route('storeChanges', async ({ query }) => {
    const waitMs = Math.min(Math.max(0, Number(query.get('wait_ms') ?? 0) || 0), MAX_CHANGES_WAIT_MS);
    await store.changedSince(query.get('epoch') ?? '', Number(query.get('revision') ?? 0) || 0, waitMs);
    return { epoch: store.epoch, revision: store.revision, versions: await store.versions() };
  });
  s.route('storeGet', async ({ params }) => {
    const entry = await store.get(checkKey(params.key!));
    if (!entry) throw new ApiError('NOT_FOUND', `metadata key ${params.key} does not exist`);
    return entry;
  });
  s.route('storePut', async ({ params, json }) => {
    const { precondition, value } = json as { precondition: Precondition; value: unknown };
    return { key: params.key!, version: await store.put(checkKey(params.key!), value, precondition) };
  });
  s.route('storeDelete', async ({ params, json }) => {
    await store.delete(checkKey(params.key!), (json as { precondition: Precondition }).precondition);
    return { key: params.key! };
  });
}
