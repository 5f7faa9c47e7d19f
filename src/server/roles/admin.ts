// The admin role: the cluster controller (one acting at a time, by election), the log operations it
// and operators run, and the admin API. The election is the store's lease when it has leases (etcd),
// else the lowest alive admin node (the embedded store).
import type { GenerationalNodeId } from '../../api/ids';
import { ClusterController } from '../admin/controller';
import { LeaseElection, LowestAliveAdmin } from '../admin/election';
import { LogOperations } from '../admin/log-ops';
import { NodeOperations } from '../admin/node-ops';
import { PartitionOperations } from '../admin/partition-ops';
import { bindAdminRoutes } from '../admin/service';
import type { HttpServer } from '../http/server';
import { ready, replicationBatch, type NodeRole, type NodeServices, type RoleReport } from './role';

const CONTROLLER_INTERVAL_MS = 500;

export class AdminRole implements NodeRole {
  private controller: ClusterController | undefined;
  private ops: LogOperations | undefined;
  private started = false;

  constructor(private readonly node: NodeServices) {}

  bindRoutes(server: HttpServer): void {
    const { metadata, logger, http } = this.node;
    bindAdminRoutes(server, {
      ops: () => ready(this.ops, 'the cluster controller'),
      nodeOps: new NodeOperations(metadata, logger),
      partitionOps: new PartitionOperations(metadata, logger),
      controller: () => ready(this.controller, 'the cluster controller'),
      metadata,
      http,
    });
  }

  async start(me: GenerationalNodeId): Promise<void> {
    const { config, metadata, logger } = this.node;
    const controller = new ClusterController(me, metadata, this.node.http, () => this.node.ident(), config.logTrimDelayMs, logger);
    this.controller = controller;
    this.ops = new LogOperations(me, metadata, this.node.logServers, this.node.bifrost, controller.peers, replicationBatch(config), logger);
    const nodes = () => metadata.get('nodes_config')?.value;
    const leases = this.node.metadataStore.leases;
    const election = leases ? new LeaseElection(me, leases, nodes, controller.peers, logger) : new LowestAliveAdmin(me, nodes, controller.peers);
    controller.start(CONTROLLER_INTERVAL_MS, this.ops, election);
    this.started = true;
  }

  /** The controller stops acting and gives up its lease, so another admin node takes over at once. */
  async stop(): Promise<void> {
    await this.controller?.stop();
  }

  report(): RoleReport {
    return { admin: this.started ? 'ready' : 'starting-up', cluster_controller: this.controller?.controllerId() ?? null };
  }
}
