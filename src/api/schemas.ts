// The admin API contract: request and response bodies and the metadata documents, as zod schemas
// used by both the server and the CLI. JSON field names are snake_case; times are ISO 8601.
import { z } from 'zod';

export const ROLES = ['admin', 'http-ingress', 'log-server', 'metadata-server', 'worker'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const STORAGE_STATES = ['provisioning', 'disabled', 'read-only', 'gone', 'read-write', 'data-loss'] as const;
export const StorageState = z.enum(STORAGE_STATES);
export type StorageState = z.infer<typeof StorageState>;

export const WORKER_STATES = ['provisioning', 'active', 'draining', 'disabled'] as const;
export const WorkerState = z.enum(WORKER_STATES);
export type WorkerState = z.infer<typeof WorkerState>;

export const ReplicationProperty = z
  .object({
    region: z.int().min(1).optional(),
    zone: z.int().min(1).optional(),
    node: z.int().min(1),
  })
  .meta({ id: 'ReplicationProperty', description: 'Copies per scope, e.g. {"node": 2}' });
export type ReplicationProperty = z.infer<typeof ReplicationProperty>;

const Timestamp = z.string().meta({ description: 'ISO 8601 time' });
const GenIdText = z.string().regex(/^N\d+:\d+$/).meta({ description: 'generational node id such as N1:2' });

// ---- metadata documents -------------------------------------------------------------------------

export const METADATA_KEYS = ['nodes_config', 'bifrost_config', 'partition_table'] as const;
export type WellKnownKey = (typeof METADATA_KEYS)[number];
/** Per-partition leadership and placement: `pp_epoch_<partition id>`. */
export type EpochKey = `pp_epoch_${number}`;
export type MetadataKey = WellKnownKey | EpochKey;
/** A key of the metadata store: a well-known document or a partition's epoch. */
export const isMetadataKey = (key: string): key is MetadataKey => (METADATA_KEYS as readonly string[]).includes(key) || isEpochKey(key);
export const epochKey = (partitionId: number): EpochKey => `pp_epoch_${partitionId}`;
export const isEpochKey = (key: string): key is EpochKey => /^pp_epoch_\d+$/.test(key);
/** Keys the store accepts: the well-known ones plus per-partition epochs. */
export const MetadataKeyText = z.string().regex(/^(nodes_config|bifrost_config|partition_table|pp_epoch_\d+)$/);

export const StorageStateChange = z
  .object({
    from: StorageState,
    to: StorageState,
    at: Timestamp,
    by: z.string(),
    reason: z.string().optional(),
  })
  .meta({ id: 'StorageStateChange' });

export const NodeConfig = z
  .object({
    id: z.int().min(1),
    name: z.string().min(1),
    generation: z.int().min(1),
    address: z.string(),
    roles: z.array(Role),
    location: z.string(),
    log_server: z.object({
      storage_state: StorageState,
      last_change: StorageStateChange.optional(),
    }),
    worker: z.object({ worker_state: WorkerState }),
    joined_at: Timestamp,
  })
  .meta({ id: 'NodeConfig' });
export type NodeConfig = z.infer<typeof NodeConfig>;

export const Tombstone = z
  .object({ id: z.int().min(1), name: z.string(), removed_at: Timestamp })
  .meta({ id: 'Tombstone', description: 'A removed node; its id is never reused' });
export type Tombstone = z.infer<typeof Tombstone>;

export const NodesConfiguration = z
  .object({
    cluster_name: z.string(),
    cluster_fingerprint: z.string(),
    nodes: z.array(NodeConfig),
    tombstones: z.array(Tombstone),
  })
  .meta({ id: 'NodesConfiguration' });
export type NodesConfiguration = z.infer<typeof NodesConfiguration>;

export const ReplicatedLogletParams = z
  .object({
    loglet_id: z.int().min(0),
    sequencer: GenIdText,
    replication: ReplicationProperty,
    nodeset: z.array(z.int().min(1)),
  })
  .meta({ id: 'ReplicatedLogletParams' });
export type ReplicatedLogletParams = z.infer<typeof ReplicatedLogletParams>;

export const SealMetadata = z
  .object({
    sealed_at: Timestamp,
    permanent: z.boolean(),
    context: z.record(z.string(), z.string()),
  })
  .meta({ id: 'SealMetadata' });

export const Segment = z
  .object({
    index: z.int().min(0),
    base_lsn: z.int().min(1),
    kind: z.enum(['replicated', 'sealed']),
    created_at: Timestamp.optional(),
    params: ReplicatedLogletParams.optional(),
    seal: SealMetadata.optional(),
  })
  .meta({ id: 'Segment', description: 'One segment of a log chain; a sealed segment is a marker with no records' });
export type Segment = z.infer<typeof Segment>;

export const LogChain = z
  .object({
    log_id: z.int().min(0),
    segments: z.array(Segment).min(1),
    trim_point: z.int().min(0).optional().meta({ description: 'records up to this LSN are trimmed away' }),
  })
  .meta({ id: 'LogChain' });
export type LogChain = z.infer<typeof LogChain>;

export const Logs = z
  .object({
    default_provider: z.object({
      kind: z.literal('replicated'),
      replication: ReplicationProperty,
      target_nodeset_size: z.int().min(0),
    }),
    logs: z.array(LogChain),
  })
  .meta({ id: 'Logs', description: 'The bifrost_config document: the chain of segments of every log' });
export type Logs = z.infer<typeof Logs>;

export const PartitionReplication = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('everywhere') }),
  z.object({ kind: z.literal('limit'), property: ReplicationProperty }),
]);
export type PartitionReplication = z.infer<typeof PartitionReplication>;

export const Partition = z
  .object({
    id: z.int().min(0),
    log_id: z.int().min(0),
    key_range: z.object({ start: z.int().min(0), end: z.int().min(0) }),
  })
  .meta({ id: 'Partition' });

export const PartitionTable = z
  .object({ partitions: z.array(Partition), replication: PartitionReplication })
  .meta({ id: 'PartitionTable' });
export type PartitionTable = z.infer<typeof PartitionTable>;

export const Freeze = z
  .object({ reason: z.string().min(1).max(500), frozen_at: Timestamp })
  .meta({ id: 'Freeze', description: 'An operator froze this: the cluster controller leaves it as it is until unfrozen' });
export type Freeze = z.infer<typeof Freeze>;

export const EpochMetadata = z
  .object({
    epoch: z.int().min(0),
    leader: z.int().min(1).nullable(),
    replica_set: z.array(z.int().min(1)),
    leadership_policy: z
      .object({
        affinity: z.int().min(1).optional().meta({ description: 'the node pinned to lead: it leads whenever it is an alive, caught-up replica' }),
        freeze: Freeze.optional().meta({ description: 'no leader is chosen or moved, even when the leader is gone' }),
      })
      .optional(),
    placement_policy: z
      .object({ freeze: Freeze.optional().meta({ description: 'the replica set is not changed, even when a replica is gone' }) })
      .optional(),
  })
  .meta({ id: 'EpochMetadata', description: "A partition's leadership epoch, its leader, the workers that run it, and the operator's policies for both" });
export type EpochMetadata = z.infer<typeof EpochMetadata>;

export const METADATA_DOCUMENTS = {
  nodes_config: NodesConfiguration,
  bifrost_config: Logs,
  partition_table: PartitionTable,
} as const;
export type MetadataDocument<K extends MetadataKey> = K extends EpochKey ? EpochMetadata : z.infer<(typeof METADATA_DOCUMENTS)[K & WellKnownKey]>;

export function metadataSchema<K extends MetadataKey>(key: K): z.ZodType<MetadataDocument<K>> {
  return (isEpochKey(key) ? EpochMetadata : METADATA_DOCUMENTS[key as WellKnownKey]) as unknown as z.ZodType<MetadataDocument<K>>;
}

/** A metadata value as stored: every successful write bumps the version by one. */
export const VersionedValue = z
  .object({ key: z.string(), version: z.int().min(1), value: z.unknown() })
  .meta({ id: 'VersionedValue' });
export type VersionedValue = z.infer<typeof VersionedValue>;

export const MetadataWriteRequest = z
  .object({
    value: z.unknown(),
    version: z.int().min(1).optional().meta({ description: 'write only if the stored version is this one' }),
    dry_run: z.boolean().optional(),
    force: z.boolean().optional().meta({ description: "write even if the value does not match the key's schema" }),
  })
  .meta({ id: 'MetadataWriteRequest' });
export type MetadataWriteRequest = z.infer<typeof MetadataWriteRequest>;

export const MetadataWriteOutcome = z
  .object({
    key: z.string(),
    previous_version: z.int().min(1).nullable(),
    version: z.int().min(1).nullable().meta({ description: 'the new version (null for a dry run)' }),
    value: z.unknown(),
    dry_run: z.boolean(),
  })
  .meta({ id: 'MetadataWriteOutcome' });
export type MetadataWriteOutcome = z.infer<typeof MetadataWriteOutcome>;

// ---- metadata store (node-to-node) ----------------------------------------------------------------

export const Precondition = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('none') }),
    z.object({ kind: z.literal('does-not-exist') }),
    z.object({ kind: z.literal('matches-version'), version: z.int().min(1) }),
  ])
  .meta({ id: 'Precondition' });
export type Precondition = z.infer<typeof Precondition>;

export const MetadataPutRequest = z
  .object({ precondition: Precondition, value: z.unknown() })
  .meta({ id: 'MetadataPutRequest' });

export const MetadataPutResponse = z
  .object({ key: z.string(), version: z.int().min(1) })
  .meta({ id: 'MetadataPutResponse' });

export const MetadataDeleteRequest = z.object({ precondition: Precondition }).meta({ id: 'MetadataDeleteRequest' });
export const MetadataDeleteResponse = z.object({ key: z.string() }).meta({ id: 'MetadataDeleteResponse' });

export const MetadataStoreChanges = z
  .object({
    epoch: z.string().meta({ description: 'identifies the store process; a new one means everything may have changed' }),
    revision: z.int().min(0).meta({ description: 'writes since that process started' }),
    versions: z.record(z.string(), z.int().min(1)),
  })
  .meta({ id: 'MetadataStoreChanges', description: 'The versions of every key, once something changed after the revision asked about' });

export const MetadataVersions = z
  .object({ versions: z.record(z.string(), z.int().min(1)) })
  .meta({ id: 'MetadataVersions' });

export const MetadataServer = z
  .object({
    name: z.string().nullable().meta({ description: "the member's name (a node's name in a local cluster); null if it never answered" }),
    address: z.string(),
    status: z.enum(['member', 'unreachable']),
    version: z.string().nullable().meta({ description: "the server's software version (etcd's), or `embedded`" }),
    leader: z.string().nullable().meta({ description: 'name of the member it follows as leader' }),
    members: z.array(z.string()),
    applied: z.int().min(0).nullable(),
    committed: z.int().min(0).nullable(),
    term: z.int().min(0).nullable(),
    log_length: z.int().min(0).nullable(),
    snapshot_index: z.int().min(0).nullable(),
    snapshot_size: z.int().min(0).nullable().meta({ description: "bytes of the server's database" }),
    error: z.string().nullable(),
  })
  .meta({ id: 'MetadataServer' });
export type MetadataServer = z.infer<typeof MetadataServer>;

export const MetadataServers = z
  .object({ kind: z.enum(['embedded', 'etcd']), servers: z.array(MetadataServer) })
  .meta({ id: 'MetadataServers', description: 'The servers of the metadata store, each as it reports itself' });
export type MetadataServers = z.infer<typeof MetadataServers>;

export const NodeSettings = z
  .record(z.string(), z.unknown())
  .meta({ id: 'NodeSettings', description: "A node's effective configuration, secrets redacted" });

// ---- node ident ---------------------------------------------------------------------------------

export const NodeStatus = z.enum(['starting-up', 'awaiting-provisioning', 'alive', 'shutting-down']);
export const RoleStatus = z.enum(['starting-up', 'ready', 'failsafe', 'stopped']);
export const MetadataServerStatus = z.enum(['starting-up', 'member', 'unavailable']);

export const ProcessorStatus = z
  .object({
    partition_id: z.int().min(0),
    log_id: z.int().min(0),
    mode: z.enum(['leader', 'follower']),
    status: z.enum(['starting', 'active', 'catching-up', 'stopped']),
    epoch: z.int().min(0).nullable(),
    applied_lsn: z.int().min(0).nullable(),
    durable_lsn: z.int().min(0).nullable(),
    archived_lsn: z.int().min(0).nullable().meta({ description: 'LSN of the oldest snapshot retained in the repository' }),
    target_tail_lsn: z.int().min(1).nullable(),
    stopped_reason: z.string().nullable(),
    updated_at: Timestamp,
  })
  .meta({ id: 'ProcessorStatus', description: 'A partition processor on a node' });
export type ProcessorStatus = z.infer<typeof ProcessorStatus>;

export const NodeProblem = z
  .object({
    component: z.enum(['log-store', 'partition-store']),
    message: z.string(),
    since: Timestamp,
  })
  .meta({ id: 'NodeProblem', description: "A store on this node whose writes fail (a full disk, say), since when" });
export type NodeProblem = z.infer<typeof NodeProblem>;

export const Ident = z
  .object({
    status: NodeStatus,
    name: z.string(),
    cluster_name: z.string(),
    node_id: z.int().min(1).nullable(),
    generation: z.int().min(1).nullable(),
    address: z.string(),
    roles: z.array(Role),
    started_at: Timestamp,
    uptime_ms: z.number().min(0),
    admin: RoleStatus.nullable(),
    worker: RoleStatus.nullable(),
    log_server: RoleStatus.nullable(),
    metadata_server: MetadataServerStatus.nullable(),
    metadata_versions: z.record(z.string(), z.int().min(0)),
    partitions: z.array(ProcessorStatus),
    sealed_tail_loglets: z
      .array(z.int().min(0))
      .default([])
      .meta({ description: "tail loglets (in this node's view of the logs) that its log-server has sealed: a reconfiguration that did not finish" }),
    problems: z.array(NodeProblem).default([]),
    cluster_controller: z
      .int()
      .min(1)
      .nullable()
      .default(null)
      .meta({ description: 'the node acting as cluster controller, as this admin node knows it (null: no admin role, or none known)' }),
  })
  .meta({ id: 'Ident', description: 'What a node says about itself' });
export type Ident = z.infer<typeof Ident>;

export const Health = z
  .object({ status: z.enum(['ok', 'starting']), node: z.string() })
  .meta({ id: 'Health' });

// ---- provisioning -------------------------------------------------------------------------------

export const ProvisionRequest = z
  .object({
    num_partitions: z.int().min(1).max(65535).optional(),
    partition_replication: PartitionReplication.optional(),
    log_replication: ReplicationProperty.optional(),
    nodeset_size: z.int().min(0).max(128).optional(),
    dry_run: z.boolean().optional(),
  })
  .meta({ id: 'ProvisionRequest' });
export type ProvisionRequest = z.infer<typeof ProvisionRequest>;

export const ProvisionResponse = z
  .object({
    dry_run: z.boolean(),
    cluster_name: z.string(),
    cluster_fingerprint: z.string(),
    num_partitions: z.int(),
    partition_replication: PartitionReplication,
    log_replication: ReplicationProperty,
    nodeset_size: z.int(),
  })
  .meta({ id: 'ProvisionResponse' });
export type ProvisionResponse = z.infer<typeof ProvisionResponse>;

// ---- errors -------------------------------------------------------------------------------------

export const ErrorBody = z
  .looseObject({ code: z.string(), message: z.string(), hint: z.string().optional() })
  .meta({ id: 'ErrorBody' });
export type ErrorBody = z.infer<typeof ErrorBody>;

// ---- data path: log-servers, sequencers, bifrost -------------------------------------------------

export const LogletState = z
  .object({
    loglet_id: z.int().min(0),
    local_tail: z.int().min(1),
    sealed: z.boolean(),
    trim_point: z.int().min(0),
    known_global_tail: z.int().min(1),
  })
  .meta({ id: 'LogletState', description: "A log-server's view of one loglet; tails are exclusive offsets" });
export type LogletState = z.infer<typeof LogletState>;

export const StoreResult = z
  .object({ status: z.enum(['ok', 'sealed', 'out-of-order']), local_tail: z.int().min(1), sealed: z.boolean() })
  .meta({ id: 'StoreResult' });

export const LogletRef = z.object({ loglet_id: z.int().min(0) }).meta({ id: 'LogletRef' });

export const LogletTrim = z
  .object({ loglet_id: z.int().min(0), trim_point: z.int().min(0).meta({ description: 'offset; records up to it are dropped' }) })
  .meta({ id: 'LogletTrim' });

export const LogletDigest = z
  .object({
    state: LogletState,
    runs: z.array(z.tuple([z.int(), z.int()])).meta({ description: 'offsets present, as [start, end) runs' }),
    checksums: z
      .array(z.int().nullable())
      .meta({ description: 'CRC-32 of each present record, in offset order (null: stored before records carried one)' }),
  })
  .meta({ id: 'LogletDigest' });
export type LogletDigest = z.infer<typeof LogletDigest>;

export const AppendResult = z
  .object({
    loglet_id: z.int().min(0),
    first_offset: z.int().min(1),
    last_offset: z.int().min(1),
    first_lsn: z.int().min(1),
    last_lsn: z.int().min(1),
  })
  .meta({ id: 'AppendResult' });
export type AppendResult = z.infer<typeof AppendResult>;

export const SequencerTail = z
  .object({
    loglet_id: z.int().min(0),
    committed_tail: z.int().min(1).meta({ description: 'offsets below it are committed (on a write quorum)' }),
    sealed: z.boolean(),
  })
  .meta({ id: 'SequencerTail' });
export type SequencerTail = z.infer<typeof SequencerTail>;

export const PeerStats = z.object({
  node_id: z.int(),
  acked_tail: z.int(),
  next_offset: z.int(),
  inflight_batches: z.int(),
  last_error: z.string().nullable(),
  standby: z.boolean().meta({ description: 'stored to in batches, and on every append only while a quorum member is slow or failing' }),
});

export const NodeStats = z
  .object({
    log_store: z
      .object({
        store_requests: z.int(),
        stored_records: z.int(),
        stored_bytes: z.int(),
        largest_store_bytes: z.int(),
        group_commits: z.int(),
      })
      .nullable(),
    sequencers: z.array(
      z.object({
        loglet_id: z.int(),
        next_offset: z.int(),
        committed_tail: z.int(),
        buffered_bytes: z.int(),
        largest_batch_bytes: z.int(),
        relayed_records: z.int(),
        sealed: z.boolean(),
        peers: z.array(PeerStats),
      }),
    ),
    memory: z.object({ rss_bytes: z.int(), max_rss_bytes: z.int() }),
    event_loop: z
      .object({ max_delay_ms: z.number(), p99_delay_ms: z.number(), since: Timestamp })
      .meta({ description: "how late the node's event loop ran (its longest stall), since the previous stats read: each read starts a new window" }),
  })
  .meta({ id: 'NodeStats', description: 'Counters of the data path on this node' });
export type NodeStats = z.infer<typeof NodeStats>;

// ---- log operations (admin) ---------------------------------------------------------------------

export const SealLogRequest = z
  .object({ reason: z.string().max(500).optional(), segment_index: z.int().min(0).optional() })
  .meta({ id: 'SealLogRequest' });

export const ReconfigureLogRequest = z
  .object({
    segment_index: z.int().min(0).optional(),
    sequencer: z.int().min(1).optional(),
    nodeset: z.array(z.int().min(1)).min(1).optional(),
    replication: ReplicationProperty.optional(),
    reason: z.string().max(500).optional(),
    dry_run: z.boolean().optional(),
  })
  .meta({ id: 'ReconfigureLogRequest' });
export type ReconfigureLogRequest = z.infer<typeof ReconfigureLogRequest>;

export const SealOutcome = z
  .object({
    log_id: z.int().min(0),
    sealed_segment: Segment,
    tail_lsn: z.int().min(1),
    repaired_records: z.int().min(0),
    new_segment: Segment.nullable(),
    dry_run: z.boolean(),
    logs_version: z.int().min(0),
  })
  .meta({ id: 'SealOutcome' });
export type SealOutcome = z.infer<typeof SealOutcome>;

export const LogTail = z
  .object({
    log_id: z.int().min(0),
    segment_index: z.int().min(0),
    state: z.enum(['OPEN', 'SEALED']),
    tail_lsn: z.int().min(1),
  })
  .meta({ id: 'LogTail', description: 'tail_lsn is exclusive: the LSN the next record will get' });
export type LogTail = z.infer<typeof LogTail>;

export const LogRecordsHeader = z
  .object({ log_id: z.int().min(0), from: z.int().min(1), tail_lsn: z.int().min(1) })
  .meta({ id: 'LogRecordsHeader', description: 'Header of a records frame: the LSN of the first record and the log tail' });

export const LogDescription = z
  .object({
    log_id: z.int().min(0),
    trim_point_lsn: z.int().min(0).meta({ description: 'records up to this LSN are trimmed (0: none)' }),
  })
  .meta({ id: 'LogDescription' });

// ---- node operations (admin) --------------------------------------------------------------------

/** A node as the client read it, so that a change is refused if the node restarted meanwhile. */
export const NodeRef = z
  .object({ id: z.int().min(1), generation: z.int().min(1).optional() })
  .meta({ id: 'NodeRef', description: 'generation: the one the client saw; the change is refused if the node has a newer one' });

export const SetStorageStateRequest = z
  .object({
    nodes: z.array(NodeRef).min(1),
    storage_state: StorageState,
    force: z.boolean().optional(),
    dry_run: z.boolean().optional(),
    reason: z.string().max(500).optional(),
    requested_by: z.string().max(200).optional(),
  })
  .meta({ id: 'SetStorageStateRequest' });
export type SetStorageStateRequest = z.infer<typeof SetStorageStateRequest>;

export const SetWorkerStateRequest = z
  .object({
    nodes: z.array(NodeRef).min(1),
    worker_state: WorkerState,
    force: z.boolean().optional(),
    dry_run: z.boolean().optional(),
  })
  .meta({ id: 'SetWorkerStateRequest' });
export type SetWorkerStateRequest = z.infer<typeof SetWorkerStateRequest>;

export const StateChange = z
  .object({ node_id: z.int(), generational_id: z.string(), from: z.string(), to: z.string() })
  .meta({ id: 'StateChange' });

export const StateChangeOutcome = z
  .object({ dry_run: z.boolean(), nodes_config_version: z.int(), changes: z.array(StateChange) })
  .meta({ id: 'StateChangeOutcome' });
export type StateChangeOutcome = z.infer<typeof StateChangeOutcome>;

export const RemoveNodesRequest = z
  .object({ nodes: z.array(NodeRef).min(1), force: z.boolean().optional(), dry_run: z.boolean().optional() })
  .meta({ id: 'RemoveNodesRequest' });
export type RemoveNodesRequest = z.infer<typeof RemoveNodesRequest>;

export const RemoveNodesOutcome = z
  .object({ dry_run: z.boolean(), nodes_config_version: z.int(), removed: z.array(Tombstone) })
  .meta({ id: 'RemoveNodesOutcome' });
export type RemoveNodesOutcome = z.infer<typeof RemoveNodesOutcome>;

export const TrimLogRequest = z
  .object({ trim_point: z.int().min(0), force: z.boolean().optional(), dry_run: z.boolean().optional() })
  .meta({ id: 'TrimLogRequest', description: 'trim_point is inclusive: records up to it are removed' });
export type TrimLogRequest = z.infer<typeof TrimLogRequest>;

export const TrimOutcome = z
  .object({
    log_id: z.int().min(0),
    requested_trim_point: z.int().min(0),
    trim_point: z.int().min(0).meta({ description: 'what was trimmed to: the request clamped to the committed tail' }),
    archived_lsn: z.int().min(0).nullable(),
    segments_removed: z.int().min(0),
    dry_run: z.boolean(),
  })
  .meta({ id: 'TrimOutcome' });
export type TrimOutcome = z.infer<typeof TrimOutcome>;

// ---- partitions and snapshots -------------------------------------------------------------------

const FreezeReason = z.string().min(1).max(500);

export const EpochChangeRequest = z
  .discriminatedUnion('change', [
    z.object({
      change: z.literal('set-replicas'),
      replicas: z.array(z.int().min(1)).meta({ description: 'the new replica set (may be empty); ids must be unique nodes of the cluster with the worker role' }),
      freeze_reason: FreezeReason.optional().meta({ description: 'also freeze the placement, with this reason' }),
    }),
    z.object({ change: z.literal('freeze-placement'), reason: FreezeReason }),
    z.object({ change: z.literal('unfreeze-placement') }),
    z.object({ change: z.literal('pin-leader'), node: z.int().min(1) }),
    z.object({ change: z.literal('unpin-leader') }),
    z.object({ change: z.literal('freeze-leadership'), reason: FreezeReason }),
    z.object({ change: z.literal('unfreeze-leadership') }),
  ])
  .meta({ id: 'EpochChangeRequest', description: "An operator's change to a partition's placement or leadership (pp_epoch_<pid>)" });
export type EpochChangeRequest = z.infer<typeof EpochChangeRequest>;

export const EpochChangeOutcome = z
  .object({
    partition_id: z.int().min(0),
    changed: z.boolean().meta({ description: 'false when the document already was so (nothing was written)' }),
    version: z.int().min(1).meta({ description: "the version of pp_epoch_<pid> after the change" }),
    epoch: EpochMetadata,
  })
  .meta({ id: 'EpochChangeOutcome' });
export type EpochChangeOutcome = z.infer<typeof EpochChangeOutcome>;

export const CreateSnapshotRequest = z
  .object({
    min_lsn: z.int().min(0).optional(),
    trim_log: z.boolean().optional(),
    timeout_ms: z.int().min(1).optional().meta({ description: 'how long to wait for min_lsn to be applied (default 30000); then 504 TIMEOUT' }),
  })
  .meta({ id: 'CreateSnapshotRequest' });
export type CreateSnapshotRequest = z.infer<typeof CreateSnapshotRequest>;

export const SnapshotInfo = z
  .object({
    partition_id: z.int().min(0),
    log_id: z.int().min(0),
    snapshot_id: z.string(),
    min_applied_lsn: z.int().min(0),
    repository: z.string().meta({ description: "the repository's URL (s3://bucket/prefix or file:///...)" }),
    path: z.string().meta({ description: 'the snapshot folder, relative to <repository>/<partition_id>/' }),
    node: z.string().meta({ description: 'the node that created it' }),
    created_at: Timestamp,
    trimmed_to: z.int().min(0).nullable().meta({ description: 'with trim_log: what the log was trimmed to' }),
  })
  .meta({ id: 'SnapshotInfo' });
export type SnapshotInfo = z.infer<typeof SnapshotInfo>;

export const RetainedSnapshotInfo = z.object({
  snapshot_id: z.string(),
  min_applied_lsn: z.int().min(0),
  created_at: Timestamp,
  path: z.string().meta({ description: 'the snapshot folder, relative to <repository>/<partition_id>/' }),
});

export const PartitionSnapshots = z
  .object({
    partition_id: z.int().min(0),
    repository: z
      .string()
      .nullable()
      .meta({ description: "the URL of the answering node's repository (s3://bucket/prefix or file:///...); null without one" }),
    node: z.string(),
    archived_lsn: z.int().min(0).nullable(),
    snapshots: z.array(RetainedSnapshotInfo).meta({ description: 'newest first' }),
  })
  .meta({ id: 'PartitionSnapshots' });
export type PartitionSnapshots = z.infer<typeof PartitionSnapshots>;

export const ClusterState = z
  .object({
    nodes: z.array(
      z.object({
        node_id: z.int().min(1),
        generation: z.int().min(1),
        alive: z.boolean(),
        last_seen_alive: Timestamp.nullable(),
      }),
    ),
  })
  .meta({ id: 'ClusterState', description: "The cluster controller's view of which nodes are alive" });
export type ClusterState = z.infer<typeof ClusterState>;
