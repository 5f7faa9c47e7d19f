// Every endpoint of the node HTTP API in one table: the server binds a handler to each entry, the
// OpenAPI document is generated from it, and the CLI uses it to build requests and validate answers.
import type { z } from 'zod';
import {
  ClusterState,
  CreateSnapshotRequest,
  EpochChangeOutcome,
  EpochChangeRequest,
  ErrorBody,
  Health,
  LogDescription,
  LogRecordsHeader,
  LogTail,
  LogletDigest,
  LogletState,
  MetadataServers,
  MetadataWriteOutcome,
  MetadataWriteRequest,
  NodeSettings,
  NodeStats,
  PartitionSnapshots,
  ReconfigureLogRequest,
  RemoveNodesOutcome,
  RemoveNodesRequest,
  SealLogRequest,
  SealOutcome,
  SequencerTail,
  SetStorageStateRequest,
  SetWorkerStateRequest,
  SnapshotInfo,
  StateChangeOutcome,
  TrimLogRequest,
  TrimOutcome,
  Ident,
  MetadataDeleteRequest,
  MetadataDeleteResponse,
  MetadataPutRequest,
  MetadataPutResponse,
  MetadataStoreChanges,
  MetadataVersions,
  ProvisionRequest,
  ProvisionResponse,
  VersionedValue,
} from './schemas';
import type { Role } from './schemas';

/** Names the kind of listener on every answer (`node` or `ingress`), so that a client pointed at the
 *  wrong port can say so. */
export const LISTENER_HEADER = 'x-cairn-listener';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * `admin`: operator endpoints (bearer token when `admin.token` is set);
 * `peer`: node-to-node endpoints (cluster secret when `cluster-secret` is set);
 * `none`: health and the API description.
 */
export type RouteAuth = 'none' | 'admin' | 'peer';

export interface RouteSpec {
  method: HttpMethod;
  path: string;
  summary: string;
  auth: RouteAuth;
  /** The role a node needs to serve this route; absent means every node serves it. */
  role?: Role;
  body?: z.ZodType;
  response: z.ZodType;
  /** `frame`: a binary data-path frame (src/server/bifrost/wire.ts) instead of JSON. */
  bodyKind?: 'json' | 'frame';
  /** `bytes` and `prometheus` answers carry no JSON: their `response` is only the error body. */
  responseKind?: 'json' | 'frame' | 'bytes' | 'prometheus';
}

export const routes = {
  health: {
    method: 'GET',
    path: '/health',
    summary: 'Liveness of this node process',
    auth: 'none',
    response: Health,
  },
  ident: {
    method: 'GET',
    path: '/v1/node',
    summary: 'Identity, role status and metadata versions seen by this node',
    auth: 'admin',
    response: Ident,
  },
  nodeSettings: {
    method: 'GET',
    path: '/v1/node/config',
    summary: "This node's effective configuration (secrets redacted)",
    auth: 'admin',
    response: NodeSettings,
  },
  metadataGet: {
    method: 'GET',
    path: '/v1/metadata/{key}',
    summary: "This node's latest copy of a metadata document",
    auth: 'admin',
    response: VersionedValue,
  },
  metadataPut: {
    method: 'PUT',
    path: '/v1/metadata/{key}',
    summary: "Write a metadata document (compare-and-set on its version, checked against the key's schema); a dry run checks and writes nothing",
    auth: 'admin',
    role: 'admin',
    body: MetadataWriteRequest,
    response: MetadataWriteOutcome,
  },
  provision: {
    method: 'POST',
    path: '/v1/cluster/provision',
    summary: 'Provision the cluster: nodes configuration, partition table and logs (dry_run previews)',
    auth: 'admin',
    body: ProvisionRequest,
    response: ProvisionResponse,
  },
  metadataServers: {
    method: 'GET',
    path: '/v1/metadata-servers',
    summary: "The metadata store's servers as they report themselves (etcd members, or the embedded server)",
    auth: 'admin',
    response: MetadataServers,
  },
  storeVersions: {
    method: 'GET',
    path: '/v1/metadata-store',
    summary: 'Versions of every key in the metadata store',
    auth: 'peer',
    role: 'metadata-server',
    response: MetadataVersions,
  },
  storeChanges: {
    method: 'GET',
    path: '/v1/metadata-store/changes',
    summary: 'Long poll: the versions of every key once a write after ?epoch=&revision= happened, or after ?wait_ms=',
    auth: 'peer',
    role: 'metadata-server',
    response: MetadataStoreChanges,
  },
  storeGet: {
    method: 'GET',
    path: '/v1/metadata-store/{key}',
    summary: 'Read a key from the metadata store',
    auth: 'peer',
    role: 'metadata-server',
    response: VersionedValue,
  },
  storePut: {
    method: 'PUT',
    path: '/v1/metadata-store/{key}',
    summary: 'Write a key with a precondition (does-not-exist or matches-version)',
    auth: 'peer',
    role: 'metadata-server',
    body: MetadataPutRequest,
    response: MetadataPutResponse,
  },
  storeDelete: {
    method: 'DELETE',
    path: '/v1/metadata-store/{key}',
    summary: 'Delete a key with a precondition; its version is kept, so a re-created key goes on from it',
    auth: 'peer',
    role: 'metadata-server',
    body: MetadataDeleteRequest,
    response: MetadataDeleteResponse,
  },
  metrics: {
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics of this node: append latency by stage, batch sizes, in-flight stores, processor lag, snapshot age, metadata latency, process CPU and memory',
    auth: 'admin',
    responseKind: 'prometheus',
    response: ErrorBody,
  },
  stats: {
    method: 'GET',
    path: '/v1/node/stats',
    summary: 'Data-path counters of this node: log store, sequencers and their peers, memory',
    auth: 'admin',
    response: NodeStats,
  },
  logServerState: {
    method: 'GET',
    path: '/v1/log-server/loglets/{loglet}',
    summary: "This log-server's local tail, global tail, trim point and seal flag for a loglet",
    auth: 'admin',
    role: 'log-server',
    response: LogletState,
  },
  logServerRecords: {
    method: 'GET',
    path: '/v1/log-server/loglets/{loglet}/records',
    summary: 'Records from ?from= on, cut by ?max_records= and ?max_bytes= (the first is always sent)',
    auth: 'peer',
    role: 'log-server',
    responseKind: 'frame',
    response: LogletState,
  },
  logServerDigest: {
    method: 'GET',
    path: '/v1/log-server/loglets/{loglet}/digest',
    summary: 'Which offsets of a loglet this log-server holds, between ?from= and ?to=',
    auth: 'admin',
    role: 'log-server',
    response: LogletDigest,
  },
  sequencerTail: {
    method: 'GET',
    path: '/v1/bifrost/loglets/{loglet}/tail',
    summary:
      'Committed tail of a loglet sequenced here; ?after=N&wait_ms=M waits until it passes N; ?confirm=1 first confirms with a write quorum of log-servers that the loglet is not sealed',
    auth: 'peer',
    response: SequencerTail,
  },
  logRecords: {
    method: 'GET',
    path: '/v1/logs/{log}/records',
    summary: 'Committed records of a log from ?from= (LSN) on, at most ?max_records= (for checks and tools)',
    auth: 'admin',
    responseKind: 'frame',
    response: LogRecordsHeader,
  },
  describeLog: {
    method: 'GET',
    path: '/v1/logs/{log}',
    summary: "A log's trim point, from the log-servers of its segments",
    auth: 'admin',
    role: 'admin',
    response: LogDescription,
  },
  trimLog: {
    method: 'POST',
    path: '/v1/logs/{log}/trim',
    summary: "Trim a log up to an LSN; refused past the partition's archived LSN unless forced",
    auth: 'admin',
    role: 'admin',
    body: TrimLogRequest,
    response: TrimOutcome,
  },
  findTail: {
    method: 'GET',
    path: '/v1/logs/{log}/tail',
    summary: 'Find the tail of a log: its tail segment, OPEN or SEALED, and the tail LSN',
    auth: 'admin',
    role: 'admin',
    response: LogTail,
  },
  sealLog: {
    method: 'POST',
    path: '/v1/logs/{log}/seal',
    summary: "Seal a log's tail segment on an f-majority of its nodeset and repair its tail",
    auth: 'admin',
    role: 'admin',
    body: SealLogRequest,
    response: SealOutcome,
  },
  reconfigureLog: {
    method: 'POST',
    path: '/v1/logs/{log}/reconfigure',
    summary: 'Seal the tail segment and extend the chain with a new one (sequencer, nodeset, replication)',
    auth: 'admin',
    role: 'admin',
    body: ReconfigureLogRequest,
    response: SealOutcome,
  },
  setStorageState: {
    method: 'POST',
    path: '/v1/nodes/storage-state',
    summary: "Change log-servers' storage state; unsafe changes need force (existence and generation are always checked)",
    auth: 'admin',
    role: 'admin',
    body: SetStorageStateRequest,
    response: StateChangeOutcome,
  },
  setWorkerState: {
    method: 'POST',
    path: '/v1/nodes/worker-state',
    summary: "Change workers' state; unsafe changes need force",
    auth: 'admin',
    role: 'admin',
    body: SetWorkerStateRequest,
    response: StateChangeOutcome,
  },
  removeNodes: {
    method: 'POST',
    path: '/v1/nodes/remove',
    summary: 'Remove nodes from the cluster; their ids become tombstones and are never reused',
    auth: 'admin',
    role: 'admin',
    body: RemoveNodesRequest,
    response: RemoveNodesOutcome,
  },
  clusterState: {
    method: 'GET',
    path: '/v1/cluster/state',
    summary: "Which nodes the cluster controller sees alive, and when it last saw the others",
    auth: 'admin',
    role: 'admin',
    response: ClusterState,
  },
  createSnapshot: {
    method: 'POST',
    path: '/v1/partitions/{partition}/snapshot',
    summary: "Have the partition's leader publish a snapshot (once min_lsn is applied); trim_log trims the log to it",
    auth: 'admin',
    role: 'admin',
    body: CreateSnapshotRequest,
    response: SnapshotInfo,
  },
  listSnapshots: {
    method: 'GET',
    path: '/v1/partitions/{partition}/snapshots',
    summary: "The snapshots of a partition in its leader's repository",
    auth: 'admin',
    role: 'admin',
    response: PartitionSnapshots,
  },
  changeEpoch: {
    method: 'POST',
    path: '/v1/partitions/{partition}/epoch',
    summary:
      "Change a partition's placement or leadership (pp_epoch_<pid>, compare-and-set): set its replica set, freeze or unfreeze its placement, pin or unpin its leader, freeze or unfreeze leader election",
    auth: 'admin',
    role: 'admin',
    body: EpochChangeRequest,
    response: EpochChangeOutcome,
  },
  workerSnapshot: {
    method: 'POST',
    path: '/v1/worker/partitions/{partition}/snapshot',
    summary: 'Publish a snapshot of a partition this node leads',
    auth: 'peer',
    role: 'worker',
    body: CreateSnapshotRequest,
    response: SnapshotInfo,
  },
  workerSnapshots: {
    method: 'GET',
    path: '/v1/worker/partitions/{partition}/snapshots',
    summary: "A partition's snapshots in this node's repository",
    auth: 'peer',
    role: 'worker',
    response: PartitionSnapshots,
  },
  workerRead: {
    method: 'GET',
    path: '/v1/worker/partitions/{partition}/kv/{key}',
    summary: "Read a key from this node's replica of a partition, once it has applied the log's confirmed tail (the ingress forwards reads to the leader)",
    auth: 'peer',
    role: 'worker',
    responseKind: 'bytes',
    response: ErrorBody,
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof routes;
export type RouteResponse<N extends RouteName> = z.infer<(typeof routes)[N]['response']>;

/** Fills `{param}` placeholders, encoding each value. */
export function routePath(name: RouteName, params: Record<string, string | number> = {}): string {
  return routes[name].path.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) throw new Error(`route ${name}: missing path parameter ${key}`);
    return encodeURIComponent(String(value));
  });
}
