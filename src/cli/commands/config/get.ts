// `cairnctl config get [--node N]`: the tree restatectl prints (partitions, partition replication,
// logs provider), or a node's effective settings as key = value lines.
import { formatPlainId, formatVersion } from '../../../api/ids';
import type { CommandContext } from '../../context';
import { CliError, EXIT } from '../../errors';
import type { ConfigGetJson } from '../../output/documents';
import { line, styled, table, type Block, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import type { configGetSpec } from './index';
import { configTree } from './tree';

/** `{a: {b: 1}}` → [['a.b', '1']]: one row per setting. */
function flatten(value: unknown, prefix = ''): Array<[string, string]> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, inner]) => flatten(inner, prefix ? `${prefix}.${key}` : key));
  }
  return [[prefix, value === undefined ? '-' : JSON.stringify(value)]];
}

export async function run(ctx: CommandContext, args: ArgsOf<typeof configGetSpec>): Promise<View> {
  const cluster = await ctx.cluster();
  if (args.node !== undefined) {
    const nodes = (await cluster.metadata('nodes_config')).value.nodes;
    const node = nodes.find((n) => n.id === args.node);
    if (!node) throw new CliError(`no such node: ${formatPlainId(args.node)}`, EXIT.NOT_FOUND, 'see `cairnctl nodes list`');
    const settings = await cluster.node(node.address, 'nodeSettings');
    const json: ConfigGetJson = { node_id: node.id, settings };
    return { json, blocks: [line(`⚙️ Settings of ${formatPlainId(node.id)} (${node.name})`), table(['SETTING', 'VALUE'], flatten(settings))] };
  }
  const [partitions, logs] = await Promise.all([cluster.metadata('partition_table'), cluster.metadata('bifrost_config')]);
  const { replication } = partitions.value;
  const provider = logs.value.default_provider;
  const json: ConfigGetJson = {
    partition_table_version: partitions.version,
    logs_version: logs.version,
    num_partitions: partitions.value.partitions.length,
    partition_replication: replication.kind === 'everywhere' ? '*' : replication.property,
    logs_provider: { kind: provider.kind, replication: provider.replication, nodeset_size: provider.target_nodeset_size },
  };
  const blocks: Block[] = [
    ...configTree(partitions.value, logs.value).map((text) => line(text)),
    line(styled(`(partition table ${formatVersion(partitions.version)}, logs ${formatVersion(logs.version)})`, 'muted')),
  ];
  return { json, blocks };
}
