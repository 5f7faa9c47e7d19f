// Metadata endpoints. Every node: a key as this node sees it, and the servers of its store. The
// node with the metadata-server role also serves the embedded store to the other nodes (remote.ts):
// versions, a change long poll, and compare-and-set reads and writes.
import type { HttpClient } from '../../api/http-client';
import { ApiError } from '../../api/errors';
import { isMetadataKey, METADATA_KEYS, MetadataKeyText, type MetadataKey, type Precondition } from '../../api/schemas';
import type { NodeConfig } from '../config';
import type { HttpServer } from '../http/server';
import type { EmbeddedMetadataStore } from './embedded';
import type { MetadataManager } from './manager';
import { metadataServers } from './servers';
import type { MetadataStore } from './store';

const MAX_CHANGES_WAIT_MS = 30_000;

function checkKey(key: string): string {
  if (!MetadataKeyText.safeParse(key).success) throw new ApiError('BAD_REQUEST', `invalid metadata key '${key}'`);
  return key;
}

export function bindMetadataRoutes(s: HttpServer, deps: { config: NodeConfig; store: MetadataStore; metadata: MetadataManager; http: HttpClient }): void {
  s.route('metadataServers', () => metadataServers(deps.config, deps.store, deps.http));
  s.route('metadataGet', ({ params }) => {
    const key = knownKey(params.key!);
    const entry = deps.metadata.get(key);
    if (!entry) throw new ApiError('NOT_FOUND', `no ${key} yet: the cluster is not provisioned`, 'provision it with `cairnctl provision`');
    return { key, version: entry.version, value: entry.value };
  });
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

/** A metadata key from a request path, or NOT_FOUND listing the keys there are. */
export function knownKey(key: string): MetadataKey {
  if (!isMetadataKey(key)) throw new ApiError('NOT_FOUND', `unknown metadata key '${key}'`, `known keys: ${METADATA_KEYS.join(', ')}, pp_epoch_<partition>`);
  return key;
}
