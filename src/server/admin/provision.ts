// Provisioning: writes the initial nodes configuration, partition table and logs metadata. The
// nodes then join by name (node-join.ts) and the cluster controller creates each partition's log.
import { randomBytes } from 'node:crypto';
import { ApiError } from '../../api/errors';
import type { PartitionReplication, PartitionTable, ProvisionRequest, ProvisionResponse } from '../../api/schemas';
import type { NodeConfig } from '../config';
import type { MetadataManager } from '../metadata/manager';

export const KEY_SPACE = 2 ** 32;

export function buildPartitionTable(numPartitions: number, replication: PartitionReplication): PartitionTable {
  const partitions = Array.from({ length: numPartitions }, (_, id) => ({
    id,
    log_id: id,
    key_range: {
      start: Math.floor((id * KEY_SPACE) / numPartitions),
      end: Math.floor(((id + 1) * KEY_SPACE) / numPartitions) - 1,
    },
  }));
  return { partitions, replication };
}

export async function provisionCluster(
  request: ProvisionRequest,
  config: NodeConfig,
  metadata: MetadataManager,
): Promise<ProvisionResponse> {
  const logReplication = request.log_replication ?? config.defaultReplication;
  const plan: ProvisionResponse = {
    dry_run: request.dry_run ?? false,
    cluster_name: config.clusterName,
    cluster_fingerprint: randomBytes(8).readBigUInt64BE().toString(),
    num_partitions: request.num_partitions ?? config.defaultNumPartitions,
    partition_replication:
      request.partition_replication ??
      (config.defaultPartitionReplication === 'everywhere'
        ? { kind: 'everywhere' }
        : { kind: 'limit', property: config.defaultPartitionReplication ?? logReplication }),
    log_replication: logReplication,
    nodeset_size: request.nodeset_size ?? 0,
  };

  const existing = await metadata.store.get('nodes_config');
  if (existing) {
    const value = existing.value as { cluster_name: string };
    throw new ApiError(
      'ALREADY_PROVISIONED',
      `cluster '${value.cluster_name}' has already been provisioned (nodes configuration v${existing.version})`,
      'nothing to do; `cairnctl status` shows the cluster',
    );
  }
  if (plan.dry_run) return plan;

  // nodes_config goes last: nodes treat its existence as "provisioned" and then need the others.
  await metadata.create('partition_table', buildPartitionTable(plan.num_partitions, plan.partition_replication));
  await metadata.create('bifrost_config', {
    default_provider: { kind: 'replicated', replication: plan.log_replication, target_nodeset_size: plan.nodeset_size },
    logs: [],
  });
  const created = await metadata.create('nodes_config', {
    cluster_name: plan.cluster_name,
    cluster_fingerprint: plan.cluster_fingerprint,
    nodes: [],
    tombstones: [],
  });
  if (!created) {
    throw new ApiError('ALREADY_PROVISIONED', 'the cluster was provisioned concurrently by another request');
  }
  return plan;
}
