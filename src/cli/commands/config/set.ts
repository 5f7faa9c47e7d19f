// `cairnctl config set`: the tree before and after as a line diff, a prompt, then each changed
// document (partition table, logs configuration) written by compare-and-set on the version read.
// The partition count is fixed once partitions exist (no repartitioning).
import { formatReplication, type ReplicationProperty } from '../../../api/ids';
import type { Role } from '../../../api/schemas';
import { confirmChange } from '../../confirm';
import type { CommandContext } from '../../context';
import { CliError, EXIT } from '../../errors';
import { lineDiff } from '../../json-patch';
import type { ConfigSetJson } from '../../output/documents';
import { line, styled, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import type { configSetSpec } from './index';
import { configTree } from './tree';

export async function run(ctx: CommandContext, args: ArgsOf<typeof configSetSpec>): Promise<View> {
  const cluster = await ctx.cluster();
  const [table, logs, nodes] = await Promise.all([cluster.metadata('partition_table'), cluster.metadata('bifrost_config'), cluster.metadata('nodes_config')]);
  if (args.numPartitions !== undefined && args.numPartitions !== table.value.partitions.length) {
    throw new CliError(
      `the cluster already has ${table.value.partitions.length} partitions; cairn does not repartition`,
      EXIT.REFUSED,
      'the partition count is chosen at provisioning (cairnctl provision -n N)',
    );
  }
  const logReplication = args.logReplication ?? args.replication ?? logs.value.default_provider.replication;
  const partitionProperty = args.partitionReplication ?? args.replication;
  const nextTable = { ...table.value, replication: partitionProperty ? { kind: 'limit' as const, property: partitionProperty } : table.value.replication };
  const nextLogs = { ...logs.value, default_provider: { ...logs.value.default_provider, replication: logReplication, target_nodeset_size: args.nodesetSize ?? logs.value.default_provider.target_nodeset_size } };

  const count = (role: Role) => nodes.value.nodes.filter((n) => n.roles.includes(role)).length;
  const tooFew = (property: ReplicationProperty | undefined, role: Role) => property !== undefined && (property.node ?? 0) > count(role);
  if (!args.force && (tooFew(args.logReplication ?? args.replication, 'log-server') || tooFew(partitionProperty, 'worker'))) {
    throw new CliError(
      `the cluster has ${count('log-server')} log-servers and ${count('worker')} workers, too few for log replication ${formatReplication(logReplication)}${partitionProperty ? ` and partition replication ${formatReplication(partitionProperty)}` : ''}`,
      EXIT.REFUSED,
      'add nodes first, or pass --force if they are coming',
    );
  }

  const before = configTree(table.value, logs.value).join('\n');
  const after = configTree(nextTable, nextLogs).join('\n');
  const diff = lineDiff(before, after).map((d) => (d.kind === ' ' ? line(`  ${d.text}`) : line(styled(`${d.kind} ${d.text}`, d.kind === '+' ? 'good' : 'bad'))));
  const tableChanged = JSON.stringify(nextTable) !== JSON.stringify(table.value);
  const logsChanged = JSON.stringify(nextLogs) !== JSON.stringify(logs.value);
  const json: ConfigSetJson = { dry_run: args.dryRun, changed: tableChanged || logsChanged, partition_table_version: table.version, logs_version: logs.version };
  if (!json.changed) return { json, blocks: [line('🤷 No changes')] };
  if (args.dryRun) return { json, blocks: [...diff, line('(dry run, nothing changed)')] };
  await confirmChange(ctx, 'Apply changes?', { json: null, blocks: diff });
  if (tableChanged) {
    json.partition_table_version = (await cluster.admin('metadataPut', { params: { key: 'partition_table' }, body: { value: nextTable, version: table.version } })).version;
  }
  if (logsChanged) {
    json.logs_version = (await cluster.admin('metadataPut', { params: { key: 'bifrost_config' }, body: { value: nextLogs, version: logs.version } })).version;
  }
  return { json, blocks: [line({ icon: 'ok' }, ' Configuration updated successfully')] };
}
