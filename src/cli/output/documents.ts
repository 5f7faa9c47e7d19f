// The JSON documents cairnctl prints with `-o json`, one zod schema each: the contract scripts rely
// on. Handlers type their `json` with these (type-only imports, so zod stays off the cold path for
// commands that do not otherwise need it); tests check every command's output against them.
//
// Naming rule: snake_case keys; a node is its plain id as a number (`node_id`, `*_node_id`, and
// lists of nodes such as `nodeset`); a node in one generation is the text `N3:6`
// (`generational_id`, `*_generational_id`); a node's name is `name` in a node's own entry and
// `node_name` elsewhere. Times are ISO 8601 texts, LSNs and versions plain numbers. An entry of a
// multi-item command that failed has the same keys as a good one (null where unknown) and `error`
// set to the message; good entries have `error: null`.
import { z } from 'zod';
import { MetadataServer, NodeProblem, STORAGE_STATES, WORKER_STATES } from '../../api/schemas';

const nodeId = z.int().min(1);
const generationalId = z.string().regex(/^N\d+:\d+$/);
const time = z.string().datetime({ offset: true });
const replication = z.looseObject({ node: z.int().min(1) });
const error = z.string().nullable();
const nullable = <T extends z.ZodType>(schema: T) => schema.nullable();
const freeze = z.strictObject({ reason: z.string(), frozen_at: time });

export const StatusDocument = z.strictObject({
  nodes_config_version: z.int(),
  logs_version: z.int(),
  nodes: z.array(
    z.strictObject({
      node_id: nodeId,
      generation: z.int(),
      generational_id: generationalId,
      name: z.string(),
      alive: z.boolean(),
      unreachable_reason: z.string().nullable(),
      started_at: nullable(time),
      uptime_ms: z.number().nullable(),
      metadata: z.string().nullable(),
      leader: z.int(),
      follower: z.int(),
      stopped_processors: z.int(),
      nodeset_member: z.int(),
      sequencer: z.int(),
      sequencer_placement_optimal: z.boolean(),
      roles: z.array(z.string()),
      problems: z.array(NodeProblem),
    }),
  ),
});

const nodeEntry = {
  node_id: nodeId,
  generation: z.int(),
  generational_id: generationalId,
  name: z.string(),
  address: z.string(),
  roles: z.array(z.string()),
  location: z.string(),
  storage_state: z.enum(STORAGE_STATES),
  storage_state_last_change: z.looseObject({ from: z.string(), to: z.string() }).nullable(),
  worker_state: z.enum(WORKER_STATES),
  joined_at: time,
};

export const NodesListDocument = z.strictObject({
  nodes_config_version: z.int(),
  nodes: z.array(
    z.union([
      z.strictObject(nodeEntry),
      z.strictObject({ ...nodeEntry, reachable: z.boolean(), alive: z.boolean(), ident: z.looseObject({ node_id: nodeId.nullable() }).nullable(), unreachable_reason: z.string().nullable() }),
    ]),
  ),
});

const sequencer = { sequencer_node_id: nodeId.nullable(), sequencer_generational_id: generationalId.nullable() };

export const LogsListDocument = z.strictObject({
  logs_version: z.int(),
  default_provider: z.strictObject({ kind: z.string(), replication, nodeset_size: z.int() }),
  logs: z.array(
    z.strictObject({
      log_id: z.int(),
      segments: z.int(),
      from_lsn: z.int(),
      kind: z.string(),
      loglet_id: z.string().nullable(),
      replication: replication.nullable(),
      ...sequencer,
      nodeset: z.array(nodeId).nullable(),
    }),
  ),
});

export const LogsDescribeDocument = z.strictObject({
  logs_version: z.int(),
  logs: z.array(
    z.strictObject({
      log_id: z.int(),
      trim_point_lsn: z.int().optional(),
      segments_total: z.int(),
      segments: z.array(
        z.strictObject({
          index: z.int(),
          from_lsn: z.int(),
          kind: z.string(),
          is_tail: z.boolean(),
          loglet_id: z.string().nullable(),
          replication: replication.nullable(),
          ...sequencer,
          sequencer_current: z.boolean().nullable(),
          nodeset: z.array(nodeId).nullable(),
          effective_nodeset: z.array(nodeId).nullable(),
          created_at: nullable(time),
          seal: z.looseObject({}).nullable(),
        }),
      ),
    }),
  ),
});

export const FindTailDocument = z.strictObject({
  logs: z.array(z.strictObject({ log_id: z.int(), segment_index: z.int().nullable(), state: z.enum(['OPEN', 'SEALED']).nullable(), tail_lsn: z.int().nullable(), error })),
});

export const SealDocument = z.strictObject({
  results: z.array(z.strictObject({ log_id: z.int(), ok: z.boolean(), tail_lsn: z.int().nullable(), error })),
});

const newSegment = z.strictObject({
  index: z.int(),
  from_lsn: z.int(),
  loglet_id: z.string().nullable(),
  replication: replication.nullable(),
  ...sequencer,
  nodeset: z.array(nodeId).nullable(),
});

export const ReconfigureDocument = z.strictObject({
  results: z.array(
    z.strictObject({
      log_id: z.int(),
      ok: z.boolean(),
      dry_run: z.boolean(),
      sealed_segment_index: z.int().nullable(),
      tail_lsn: z.int().nullable(),
      repaired_records: z.int().nullable(),
      new_segment: newSegment.nullable(),
      logs_version: z.int().nullable(),
      error,
    }),
  ),
});

export const TrimDocument = z.strictObject({
  logs: z.array(
    z.strictObject({
      log_id: z.int(),
      requested_trim_point: z.int(),
      trim_point: z.int().nullable(),
      archived_lsn: z.int().nullable(),
      segments_removed: z.int().nullable(),
      dry_run: z.boolean(),
      error,
    }),
  ),
});

export const MetadataServersDocument = z.strictObject({
  kind: z.enum(['embedded', 'etcd']),
  servers: z.array(MetadataServer.extend({ node_id: nodeId.nullable() }).strict()),
});

export const ServersDocument = z.strictObject({
  nodes_config_version: z.int(),
  logs_version: z.int(),
  servers: z.array(
    z.strictObject({ node_id: nodeId, generational_id: generationalId, storage_state: z.enum(STORAGE_STATES), historical_loglets: z.int(), active_loglets: z.int(), problems: z.array(NodeProblem) }),
  ),
});

const logletState = z.strictObject({ loglet_id: z.int(), local_tail: z.int(), known_global_tail: z.int(), trim_point: z.int(), sealed: z.boolean() });

export const LogletInfoDocument = z.strictObject({
  loglet_id: z.string(),
  loglet_id_raw: z.int(),
  log_id: z.int(),
  segment_index: z.int(),
  segment_sealed: z.boolean(),
  ...sequencer,
  sequencer_note: z.string().nullable(),
  replication,
  nodeset: z.array(nodeId),
  log_servers: z.array(z.strictObject({ node_id: nodeId, state: logletState.nullable(), error })),
});

export const DigestDocument = z.strictObject({
  loglet_id: z.string(),
  loglet_id_raw: z.int(),
  replication,
  observed_global_tail: z.int(),
  log_servers: z.array(z.strictObject({ node_id: nodeId, state: logletState.nullable(), error })),
  offsets: z.array(
    z.strictObject({
      offset: z.int(),
      nodes: z.array(z.strictObject({ node_id: nodeId, state: z.enum(['exists', 'trimmed', 'missing', 'unknown']) })),
      under_replicated: z.boolean(),
      copies_differ: z.boolean(),
    }),
  ),
});

export const NodeChangeDocument = z.strictObject({
  dry_run: z.boolean(),
  nodes_config_version: z.int(),
  changes: z.array(z.strictObject({ node_id: nodeId, generational_id: generationalId, from: z.string(), to: z.string() })),
});

export const NodesRemoveDocument = z.strictObject({
  dry_run: z.boolean(),
  nodes_config_version: z.int(),
  removed: z.array(z.strictObject({ node_id: nodeId, name: z.string(), removed_at: time })),
});

export const PartitionsListDocument = z.strictObject({
  nodes_config_version: z.int(),
  partition_table_version: z.int(),
  processors: z.array(
    z.strictObject({
      partition_id: z.int(),
      log_id: z.int(),
      node_id: nodeId,
      generational_id: generationalId,
      mode: z.string(),
      status: z.string(),
      epoch: z.int().nullable(),
      applied_lsn: z.int().nullable(),
      durable_lsn: z.int().nullable(),
      archived_lsn: z.int().nullable(),
      target_tail_lsn: z.int().nullable(),
      lsn_lag: z.int().nullable(),
      stopped_reason: z.string().nullable(),
      updated_at: time,
    }),
  ),
  dead_nodes: z.array(z.strictObject({ node_id: nodeId, last_seen_alive: nullable(time) })),
  held: z.array(
    z.strictObject({
      partition_id: z.int(),
      pinned_node_id: nodeId.nullable(),
      leadership_frozen: nullable(freeze),
      placement_frozen: nullable(freeze),
    }),
  ),
});

/** A partition's placement and leadership (pp_epoch_<pid>); every field but the id is null when it has none. */
const partitionPolicy = {
  partition_id: z.int(),
  version: z.int().nullable(),
  epoch: z.int().nullable(),
  leader_node_id: nodeId.nullable(),
  replica_set: z.array(nodeId).nullable(),
  pinned_node_id: nodeId.nullable(),
  pin_satisfied: z.boolean().nullable(),
  leadership_frozen: nullable(freeze),
  placement_frozen: nullable(freeze),
  error,
};

/** `partitions placement show` and `partitions leadership show`. */
export const PartitionPoliciesDocument = z.strictObject({ partitions: z.array(z.strictObject(partitionPolicy)) });

/** The placement and leadership changes: each partition as it is after the change. */
export const PartitionPolicyChangeDocument = z.strictObject({
  results: z.array(z.strictObject({ ...partitionPolicy, changed: z.boolean().nullable() })),
});

export const MetadataDocumentDocument = z.strictObject({ key: z.string(), version: z.int(), value: z.unknown() });

export const MetadataWriteDocument = z.strictObject({
  key: z.string(),
  previous_version: z.int().nullable(),
  version: z.int().nullable(),
  dry_run: z.boolean(),
  changed: z.boolean(),
  value: z.unknown(),
});

export const ConfigGetDocument = z.union([
  z.strictObject({
    partition_table_version: z.int(),
    logs_version: z.int(),
    num_partitions: z.int(),
    partition_replication: z.union([z.literal('*'), replication]),
    logs_provider: z.strictObject({ kind: z.string(), replication, nodeset_size: z.int() }),
  }),
  z.strictObject({ node_id: nodeId, settings: z.record(z.string(), z.unknown()) }),
]);

export const ConfigSetDocument = z.strictObject({
  dry_run: z.boolean(),
  changed: z.boolean(),
  partition_table_version: z.int().nullable(),
  logs_version: z.int().nullable(),
});

export const DoctorDocument = z.strictObject({
  healthy: z.boolean(),
  findings: z.array(
    z.strictObject({
      code: z.string(),
      severity: z.enum(['error', 'warning']),
      summary: z.string(),
      evidence: z.record(z.string(), z.unknown()),
      commands: z.array(z.string()),
    }),
  ),
});

/** `status --extra`: each view under its name, as its own command prints it. */
export const StatusExtraDocument = z.strictObject({
  status: StatusDocument,
  nodes: NodesListDocument,
  logs: LogsListDocument,
  partitions: PartitionsListDocument,
  metadata_servers: MetadataServersDocument,
});

export const CreateSnapshotDocument = z.strictObject({
  snapshots: z.array(
    z.strictObject({
      partition_id: z.int(),
      log_id: z.int().nullable(),
      snapshot_id: z.string().nullable(),
      min_applied_lsn: z.int().nullable(),
      repository: z.string().nullable(),
      path: z.string().nullable(),
      node_name: z.string().nullable(),
      created_at: nullable(time),
      trimmed_to: z.int().nullable(),
      error,
    }),
  ),
});

export const SnapshotsListDocument = z.strictObject({
  partitions: z.array(
    z.strictObject({
      partition_id: z.int(),
      repository: z.string().nullable(),
      node_name: z.string().nullable(),
      archived_lsn: z.int().nullable(),
      snapshots: z.array(z.strictObject({ snapshot_id: z.string(), min_applied_lsn: z.int(), created_at: time, path: z.string() })),
      error,
    }),
  ),
});

export const ProvisionDocument = z.strictObject({
  dry_run: z.boolean(),
  cluster_name: z.string(),
  cluster_fingerprint: z.string(),
  num_partitions: z.int(),
  partition_replication: z.looseObject({ kind: z.string() }),
  log_replication: replication,
  nodeset_size: z.int(),
});

interface CommandTree {
  path: string[];
  names: string[];
  description: string;
  arguments: Array<{ name: string; required: boolean; variadic: boolean; choices: string[] }>;
  options: Array<{ flags: string[]; takes_value: boolean; choices: string[]; description: string }>;
  children: CommandTree[];
}

export const CompletionsDocument: z.ZodType<CommandTree> = z.strictObject({
  path: z.array(z.string()),
  names: z.array(z.string()),
  description: z.string(),
  arguments: z.array(z.strictObject({ name: z.string(), required: z.boolean(), variadic: z.boolean(), choices: z.array(z.string()) })),
  options: z.array(z.strictObject({ flags: z.array(z.string()), takes_value: z.boolean(), choices: z.array(z.string()), description: z.string() })),
  get children() {
    return z.array(CompletionsDocument);
  },
});

export type StatusJson = z.infer<typeof StatusDocument>;
export type NodesListJson = z.infer<typeof NodesListDocument>;
export type LogsListJson = z.infer<typeof LogsListDocument>;
export type LogsDescribeJson = z.infer<typeof LogsDescribeDocument>;
export type FindTailJson = z.infer<typeof FindTailDocument>;
export type SealJson = z.infer<typeof SealDocument>;
export type ReconfigureJson = z.infer<typeof ReconfigureDocument>;
export type TrimJson = z.infer<typeof TrimDocument>;
export type ServersJson = z.infer<typeof ServersDocument>;
export type MetadataDocumentJson = z.infer<typeof MetadataDocumentDocument>;
export type MetadataWriteJson = z.infer<typeof MetadataWriteDocument>;
export type ConfigGetJson = z.infer<typeof ConfigGetDocument>;
export type ConfigSetJson = z.infer<typeof ConfigSetDocument>;
export type DoctorJson = z.infer<typeof DoctorDocument>;
export type StatusExtraJson = z.infer<typeof StatusExtraDocument>;
export type MetadataServersJson = z.infer<typeof MetadataServersDocument>;
export type LogletInfoJson = z.infer<typeof LogletInfoDocument>;
export type DigestJson = z.infer<typeof DigestDocument>;
export type NodeChangeJson = z.infer<typeof NodeChangeDocument>;
export type NodesRemoveJson = z.infer<typeof NodesRemoveDocument>;
export type PartitionsListJson = z.infer<typeof PartitionsListDocument>;
export type PartitionPoliciesJson = z.infer<typeof PartitionPoliciesDocument>;
export type PartitionPolicyChangeJson = z.infer<typeof PartitionPolicyChangeDocument>;
export type CreateSnapshotJson = z.infer<typeof CreateSnapshotDocument>;
export type SnapshotsListJson = z.infer<typeof SnapshotsListDocument>;
export type ProvisionJson = z.infer<typeof ProvisionDocument>;
export type CompletionsJson = CommandTree;
