// Which client reaches a given log-server: this node's own store in process, others over the peer
// transport at the address the nodes configuration gives.
import { ApiError } from '../../api/errors';
import { formatPlainId } from '../../api/ids';
import type { MetadataManager } from '../metadata/manager';
import type { PeerClients } from '../transport/peer-client';
import { LocalLogServer, RemoteLogServer, type LogServerClient } from './client';
import type { LogStoreHandle } from './log-store-handle';

const REQUEST_TIMEOUT_MS = 10_000;

export class LogServerRegistry {
  private readonly remote = new Map<string, LogServerClient>();
  private local: LocalLogServer | undefined;

  constructor(
    private readonly metadata: MetadataManager,
    private readonly peers: PeerClients,
  ) {}

  attachLocal(nodeId: number, store: LogStoreHandle): void {
    this.local = new LocalLogServer(nodeId, store);
  }

  /** This node's log store, if this node is one of `nodeset`. */
  localMember(nodeset: readonly number[]): LogStoreHandle | undefined {
    return this.local && nodeset.includes(this.local.nodeId) ? this.local.logStore : undefined;
  }

  isLocal(nodeId: number): boolean {
    return this.local?.nodeId === nodeId;
  }

  client(nodeId: number): LogServerClient {
    if (this.local?.nodeId === nodeId) return this.local;
    const node = this.metadata.get('nodes_config')?.value.nodes.find((n) => n.id === nodeId);
    if (!node) throw new ApiError('NOT_FOUND', `log-server ${formatPlainId(nodeId)} is not in the nodes configuration`);
    const key = `${nodeId}@${node.address}`;
    let client = this.remote.get(key);
    if (!client) {
      client = new RemoteLogServer(nodeId, node.address, this.peers, REQUEST_TIMEOUT_MS);
      this.remote.set(key, client);
    }
    return client;
  }
}
