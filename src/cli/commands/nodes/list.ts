// `cairnctl nodes list [--extra]`.
import { formatGenId, formatPlainId, formatVersion } from '../../../api/ids';
import type { Ident } from '../../../api/schemas';
import { ClusterConnection } from '../../connection';
import type { CommandContext } from '../../context';
import type { NodesListJson } from '../../output/documents';
import { rolesCell } from '../../output/roles';
import { line, table, type Cell, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import type { nodesListSpec } from './index';

const pascal = (text: string) => text.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
const versionCell = (ident: Ident, key: string) => {
  const v = ident.metadata_versions[key];
  return v ? formatVersion(v) : '-';
};

export async function run(ctx: CommandContext, args: ArgsOf<typeof nodesListSpec>): Promise<View> {
  const cluster = await ctx.cluster();
  const nodes = await cluster.metadata('nodes_config');
  const probes = args.extra ? await cluster.probeNodes(nodes.value.nodes) : undefined;

  const entries = nodes.value.nodes.map((node): NodesListJson['nodes'][number] => {
    const base = {
      node_id: node.id,
      generation: node.generation,
      generational_id: formatGenId(node),
      name: node.name,
      address: node.address,
      roles: node.roles,
      location: node.location,
      storage_state: node.log_server.storage_state,
      storage_state_last_change: node.log_server.last_change ?? null,
      worker_state: node.worker.worker_state,
      joined_at: node.joined_at,
    };
    if (!probes) return base;
    const probe = probes.get(node.id);
    return {
      ...base,
      reachable: !!probe?.ident,
      alive: ClusterConnection.isAlive(node, probe),
      ident: probe?.ident ?? null,
      unreachable_reason: probe?.ident ? null : (probe?.error ?? null),
    };
  });

  const header = ['NODE', 'GEN', 'NAME', 'ADDRESS', 'ROLES'];
  if (args.extra) {
    header.push('LOCATION', 'STORAGE-STATE', 'WORKER-STATE', 'UPTIME', 'STATUS', 'ADMIN', 'WORKER', 'LOG-SERVER', 'META', 'NODES', 'LOGS', 'SCHEMA', 'P-TABLE');
  }
  const rows = nodes.value.nodes.map((node): Cell[] => {
    const row: Cell[] = [formatPlainId(node.id), node.generation, node.name, node.address, rolesCell(node.roles)];
    if (!probes) return row;
    row.push(node.location, node.log_server.storage_state, node.worker.worker_state);
    const ident = probes.get(node.id)?.ident;
    if (!ident) return [...row, 'N/A', 'Unknown'];
    const roleCell = (status: string | null) => (status ? pascal(status) : '-');
    return [
      ...row,
      { ms: ident.uptime_ms, style: 'rough' },
      pascal(ident.status),
      roleCell(ident.admin),
      roleCell(ident.worker),
      roleCell(ident.log_server),
      roleCell(ident.metadata_server),
      versionCell(ident, 'nodes_config'),
      versionCell(ident, 'bifrost_config'),
      '-',
      versionCell(ident, 'partition_table'),
    ];
  });

  const json: NodesListJson = { nodes_config_version: nodes.version, nodes: entries };
  // On a narrow terminal the columns every node shares the same value of go first.
  const fit = { drop: ['SCHEMA', 'LOCATION', 'P-TABLE', 'LOGS', 'NODES', 'WORKER', 'ADMIN', 'LOG-SERVER', 'META'], truncate: ['ADDRESS', 'ROLES', 'NAME'] };
  return {
    json,
    blocks: [line(`Node Configuration (${formatVersion(nodes.version)})`), table(header, rows, { fit })],
  };
}
