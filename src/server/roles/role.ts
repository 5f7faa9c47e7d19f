// The shape every role of a node has (metadata-server, log-server, worker, admin, http-ingress), and
// what the node lends its roles. node.ts builds the roles the configuration names, binds their
// routes before joining, starts them once joined and stops them; a role is handed what it uses and
// never checks which roles its node runs.
import { ApiError } from '../../api/errors';
import type { HttpClient } from '../../api/http-client';
import type { GenerationalNodeId } from '../../api/ids';
import type { Ident } from '../../api/schemas';
import type { Bifrost } from '../bifrost/bifrost';
import type { NodeConfig } from '../config';
import type { StorageHealth } from '../health';
import type { HttpServer } from '../http/server';
import type { Logger } from '../logger';
import type { LogServerRegistry } from '../log-server/registry';
import type { MetadataManager } from '../metadata/manager';
import type { MetadataStore } from '../metadata/store';
import type { PeerServer } from '../transport/peer-server';

/** A role's share of the node's ident: its status field and what only it knows. */
export type RoleReport = Partial<Pick<Ident, 'admin' | 'worker' | 'log_server' | 'metadata_server' | 'partitions' | 'sealed_tail_loglets' | 'cluster_controller'>>;

export interface NodeRole {
  /** Opens what the role cannot run without, before the node reaches the metadata store, so a bad setting ends the start early. */
  open?(): Promise<void>;
  /**
   * Binds the role's HTTP endpoints and its operations on the peer transport; they answer NOT_READY
   * until `start` has run (see `ready`).
   */
  bindRoutes(server: HttpServer, peer: PeerServer): void;
  /** Starts the role's work once the node has joined the cluster as `me`. */
  start(me: GenerationalNodeId): Promise<void>;
  /** Stops the role's work while the metadata store is still open. */
  stop(): Promise<void>;
  /** Releases the role's storage once the node's listener has closed (no request can reach it). */
  close?(): Promise<void>;
  report(): RoleReport;
}

/** What every node runs whatever its roles, lent to the roles. */
export interface NodeServices {
  readonly config: NodeConfig;
  readonly logger: Logger;
  readonly http: HttpClient;
  readonly storage: StorageHealth;
  readonly metadata: MetadataManager;
  readonly metadataStore: MetadataStore;
  readonly logServers: LogServerRegistry;
  readonly bifrost: Bifrost;
  ident(): Ident;
  /** Stops the node for a condition it cannot run on (exit code 1). */
  fail(err: Error): void;
}

/** Throws NOT_READY until a component exists (it is created once the node has joined). */
export function ready<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new ApiError('NOT_READY', `${what} is not running on this node yet`, 'retry in a moment');
  return value;
}

/** Replication batches: sequencers, catch-up reads and repairs are cut alike. */
export function replicationBatch(config: NodeConfig): { bytes: number; records: number } {
  return { bytes: config.replicationBatchBytes, records: config.replicationBatchRecords };
}
