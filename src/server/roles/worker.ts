// The worker role: partition processors (leaders and followers) over this node's partition store,
// the snapshot repository they write to, and their endpoints.
import path from 'node:path';
import type { GenerationalNodeId } from '../../api/ids';
import type { HttpServer } from '../http/server';
import { FatalNodeError } from '../node-join';
import { openDatabase, type Db } from '../storage/sqlite';
import { PartitionManager } from '../worker/manager';
import { PartitionStore } from '../worker/partition-store';
import { bindWorkerRoutes, type WorkerDeps } from '../worker/service';
import { SnapshotRepository } from '../worker/snapshot-repository';
import { replicationBatch, type NodeRole, type NodeServices, type RoleReport } from './role';

export class WorkerRole implements NodeRole {
  private repository: SnapshotRepository | undefined;
  private db: Db | undefined;
  private store: PartitionStore | undefined;
  private partitions: PartitionManager | undefined;

  constructor(private readonly node: NodeServices) {}

  /** The partition processors, once the role has started (for the node's metrics). */
  get partitionManager(): PartitionManager | undefined {
    return this.partitions;
  }

  /** What the worker's routes and the ingress read from this role. */
  get deps(): WorkerDeps {
    return {
      manager: () => this.partitions,
      store: () => this.store,
      bifrost: this.node.bifrost,
      repository: this.repository,
      nodeName: this.node.config.nodeName,
    };
  }

  async open(): Promise<void> {
    const destination = this.node.config.snapshotDestination;
    if (!destination) return;
    try {
      this.repository = await SnapshotRepository.open(destination, path.join(this.node.config.baseDir, 'snapshot-staging'));
    } catch (err) {
      throw new FatalNodeError(`cannot open the snapshot repository ${destination.url} (worker.snapshots.destination): ${(err as Error).message}`);
    }
  }

  bindRoutes(server: HttpServer): void {
    bindWorkerRoutes(server, this.deps);
  }

  async start(me: GenerationalNodeId): Promise<void> {
    const { config, metadata } = this.node;
    this.db = openDatabase(path.join(config.baseDir, 'partition-store.db'), { durable: false });
    this.store = new PartitionStore(this.db);
    this.partitions = new PartitionManager(
      me,
      metadata,
      this.store,
      this.node.bifrost,
      this.node.storage,
      {
        repository: this.repository,
        retained: config.snapshotsRetained,
        identity: () => {
          const nodes = metadata.require('nodes_config').value;
          return { clusterName: nodes.cluster_name, clusterFingerprint: nodes.cluster_fingerprint, nodeName: config.nodeName };
        },
      },
      replicationBatch(config),
      this.node.logger,
    );
    this.partitions.start();
  }

  async stop(): Promise<void> {
    this.partitions?.stop();
  }

  async close(): Promise<void> {
    this.repository?.close();
    await this.store?.close();
    this.db?.close();
  }

  report(): RoleReport {
    return { worker: this.partitions ? 'ready' : 'starting-up', partitions: this.partitions?.statuses() ?? [] };
  }
}

/** What the ingress asks of this node's worker; a node without the role runs no processor. */
export function workerDeps(node: NodeServices, worker: WorkerRole | undefined): WorkerDeps {
  return worker?.deps ?? { manager: () => undefined, store: () => undefined, bifrost: node.bifrost, repository: undefined, nodeName: node.config.nodeName };
}
