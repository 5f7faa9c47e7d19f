// The log-server role: the log store that holds loglet records for the sequencers, and its
// endpoints and peer operations. Its store is served locally to this node's own sequencers and readers.
import path from 'node:path';
import { parseGenId, type GenerationalNodeId } from '../../api/ids';
import { tailLoglet } from '../../api/logs';
import type { HttpServer } from '../http/server';
import type { LogStoreStats } from '../log-server/log-store';
import { LogStoreHandle } from '../log-server/log-store-handle';
import { provisionLogServer } from '../log-server/provision';
import { bindLogServerOperations, bindLogServerRoutes } from '../log-server/service';
import type { PeerServer } from '../transport/peer-server';
import { ready, type NodeRole, type NodeServices, type RoleReport } from './role';

export class LogServerRole implements NodeRole {
  private store: LogStoreHandle | undefined;
  private started = false;

  constructor(private readonly node: NodeServices) {}

  /** The log store, once the role has started (for the node's metrics). */
  get logStore(): LogStoreHandle | undefined {
    return this.store;
  }

  bindRoutes(server: HttpServer, peer: PeerServer): void {
    const store = () => ready(this.store, 'the log-server');
    bindLogServerRoutes(server, store, this.node.config.replicationBatchBytes);
    bindLogServerOperations(peer, store, this.node.config.replicationBatchBytes);
  }

  async start(me: GenerationalNodeId): Promise<void> {
    const { config, metadata } = this.node;
    const store = new LogStoreHandle(
      path.join(config.baseDir, 'log-store.db'),
      this.node.storage,
      (sequencer) => {
        // Only what this node knows for sure: a newer generation, or a removed node (an unknown
        // one may just be newer than this node's copy of the nodes configuration).
        const id = parseGenId(sequencer);
        const nodes = metadata.get('nodes_config')?.value;
        const node = nodes?.nodes.find((n) => n.id === id.id);
        return node ? node.generation > id.generation : !!nodes?.tombstones.some((t) => t.id === id.id);
      },
      this.node.logger,
    );
    this.store = store;
    await provisionLogServer(store, metadata, me, this.node.logger);
    this.node.logServers.attachLocal(me.id, store);
    this.started = true;
  }

  async stop(): Promise<void> {}

  async close(): Promise<void> {
    await this.store?.close();
  }

  /** The log store's counters, for the node's stats. */
  async stats(): Promise<LogStoreStats | null> {
    return this.store ? await this.store.stats() : null;
  }

  report(): RoleReport {
    return { log_server: this.started ? 'ready' : 'starting-up', sealed_tail_loglets: this.sealedTailLoglets() };
  }

  /** Tail loglets this log-server has sealed: the controller finishes their reconfiguration. */
  private sealedTailLoglets(): number[] {
    const store = this.store;
    const logs = this.node.metadata.get('bifrost_config')?.value;
    if (!store || !logs) return [];
    return logs.logs.flatMap((chain) => {
      const loglet = tailLoglet(chain)?.params.loglet_id;
      return loglet !== undefined && store.isSealed(loglet) ? [loglet] : [];
    });
  }
}
