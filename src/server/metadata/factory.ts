// Picks the metadata store from `metadata-client.type`: etcd, or the embedded store, served by this
// node if it has the metadata-server role and reached over HTTP otherwise.
import type { HttpClient } from '../../api/http-client';
import type { NodeConfig } from '../config';
import type { Db } from '../storage/sqlite';
import { EmbeddedMetadataStore } from './embedded';
import { connectEtcd, EtcdMetadataStore } from './etcd';
import { RemoteMetadataStore } from './remote';
import type { MetadataStore } from './store';

export async function createMetadataStore(config: NodeConfig, deps: { http: HttpClient; openEmbedded: () => Db }): Promise<MetadataStore> {
  const client = config.metadataClient;
  if (client.type === 'etcd') {
    const options = { addresses: client.addresses, prefix: client.keyPrefix, timeoutMs: client.timeoutMs };
    return new EtcdMetadataStore(await connectEtcd(options), options);
  }
  if (config.roles.includes('metadata-server')) return new EmbeddedMetadataStore(deps.openEmbedded());
  return new RemoteMetadataStore(client.addresses, deps.http);
}
