// The cluster configuration as `config get` prints it and `config set` diffs it: restatectl's tree.
import { formatReplication } from '../../../api/ids';
import type { Logs, PartitionTable } from '../../../api/schemas';

/** The tree's lines for a partition table and logs configuration. */
export function configTree(table: Pick<PartitionTable, 'partitions' | 'replication'>, logs: Pick<Logs, 'default_provider'>): string[] {
  const provider = logs.default_provider;
  return [
    '⚙️ Cluster Configuration',
    `├ Number of partitions: ${table.partitions.length}`,
    `├ Partition replication: ${table.replication.kind === 'everywhere' ? '*' : formatReplication(table.replication.property)}`,
    `└ Logs Provider: ${provider.kind}`,
    ` ├ Log replication: ${formatReplication(provider.replication)}`,
    ` └ Nodeset size: ${provider.target_nodeset_size}`,
  ];
}
