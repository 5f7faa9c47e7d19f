// Picks the metadata store from `metadata-client.type`: etcd, or the embedded store, served by this
// node if it has the metadata-server role (with the endpoints other nodes reach it by) and reached
// over HTTP otherwise.
import type { HttpClient } from '../../api/http-client';
import type { NodeConfig } from '../config';
import type { HttpServer } from '../http/server';
import type { Db } from '../storage/sqlite';
import { EmbeddedMetadataStore } from './embedded';
import { connectEtcd, EtcdMetadataStore } from './etcd';
import { RemoteMetadataStore } from './remote';
import { bindMetadataStoreRoutes } from './service';
import type { MetadataStore } from './store';

export interface OpenedMetadataStore {
  store: MetadataStore;
  /** Binds the endpoints other nodes reach the store by: only a store this node serves has them. */
  bindServerRoutes?: (server: HttpServer) => void;
}

export async function createMetadataStore(config: NodeConfig, deps: { http: HttpClient; openEmbedded: () => Db }): Promise<OpenedMetadataStore> {
  const client = config.metadataClient;
  if (client.type === 'etcd') {
    const options = { addresses: client.addresses, prefix: client.keyPrefix, timeoutMs: client.timeoutMs };
    return { store: new EtcdMetadataStore(await connectEtcd(options), options) };
  }
  if (config.roles.includes('metadata-server')) {
    const store = new EmbeddedMetadataStore(deps.openEmbedded());
    return { store, bindServerRoutes: (server) => bindMetadataStoreRoutes(server, store) };
  }
  return { store: new RemoteMetadataStore(client.addresses, deps.http) };
}
