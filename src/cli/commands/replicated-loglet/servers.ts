// `cairnctl replicated-loglet servers` (alias list-servers).
import { formatGenId, formatPlainId, formatVersion } from '../../../api/ids';
import { replicatedSegments, tailLoglet } from '../../../api/logs';
import type { StorageState } from '../../../api/schemas';
import type { CommandContext } from '../../context';
import type { ServersJson } from '../../output/documents';
export { serversChanges as watchChanges } from '../../output/changes';
import { describeProblems } from '../../output/problems';
import { line, styled, table, type Tone, type View } from '../../output/view';

export const STORAGE_STATE_TONE: Record<StorageState, Tone | undefined> = {
  'read-write': 'good',
  'read-only': 'warn',
  gone: 'warn',
  'data-loss': 'bad',
  disabled: 'muted',
  provisioning: undefined,
};

export async function run(ctx: CommandContext): Promise<View> {
  const cluster = await ctx.cluster();
  const [nodes, logs] = await Promise.all([cluster.metadata('nodes_config'), cluster.metadata('bifrost_config')]);
  const probes = await cluster.probeNodes(nodes.value.nodes.filter((node) => node.roles.includes('log-server')));
  const historical = replicatedSegments(logs.value);
  const active = logs.value.logs.map(tailLoglet).filter((t) => t !== undefined);

  const servers = nodes.value.nodes
    .filter((node) => node.roles.includes('log-server') || node.log_server.storage_state !== 'provisioning')
    .map((node): ServersJson['servers'][number] => ({
      node_id: node.id,
      generational_id: formatGenId(node),
      storage_state: node.log_server.storage_state,
      historical_loglets: historical.filter((s) => s.params.nodeset.includes(node.id)).length,
      active_loglets: active.filter((s) => s.params.nodeset.includes(node.id)).length,
      problems: (probes.get(node.id)?.ident?.problems ?? []).filter((p) => p.component === 'log-store'),
    }));

  const json: ServersJson = { nodes_config_version: nodes.version, logs_version: logs.version, servers };
  return {
    json,
    blocks: [
      line(`Node configuration ${formatVersion(nodes.version)}`),
      line(`Log chain ${formatVersion(logs.version)}`),
      table(
        ['NODE', 'GEN', 'STORAGE-STATE', 'HISTORICAL-LOGLETS', 'ACTIVE-LOGLETS'],
        servers.map((s) => [formatPlainId(s.node_id), s.generational_id, styled(s.storage_state, STORAGE_STATE_TONE[s.storage_state]), s.historical_loglets, s.active_loglets]),
      ),
    ],
    warnings: servers.flatMap((s) => describeProblems(formatPlainId(s.node_id), s.problems)),
  };
}
