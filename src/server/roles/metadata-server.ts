// The metadata-server role: serves the embedded metadata store to the other nodes. The store itself
// is opened by the metadata factory (every node has one); this role binds the endpoints the factory
// hands out for a store this node serves, from before the node joins, since joining needs the store.
import type { HttpServer } from '../http/server';
import type { OpenedMetadataStore } from '../metadata/factory';
import type { NodeRole, RoleReport } from './role';

export class MetadataServerRole implements NodeRole {
  constructor(private readonly opened: () => OpenedMetadataStore) {}

  bindRoutes(server: HttpServer): void {
    this.opened().bindServerRoutes?.(server);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  report(): RoleReport {
    return { metadata_server: 'member' };
  }
}
