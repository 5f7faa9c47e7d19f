// `cairnctl status`: the one-screen dashboard (restatectl's compact status).
import { formatGenId, formatPlainId, formatVersion, splitLogletId } from '../../../api/ids';
import { tailLoglet } from '../../../api/logs';
import type { MetadataServers, NodeConfig } from '../../../api/schemas';
import { nodeOf, serverLabel } from '../metadata-server/list-servers';
import { describeProblems } from '../../output/problems';
import { ClusterConnection } from '../../connection';
import type { CommandContext } from '../../context';
import { statusChanges, statusExtraChanges, type ChangeEvent } from '../../output/changes';
import type { LogsListJson, MetadataServersJson, NodesListJson, PartitionsListJson, StatusExtraJson, StatusJson } from '../../output/documents';
import type { ArgsOf } from '../../registry';
import type { statusSpec } from './index';
import { rolesCell } from '../../output/roles';
import { blank, line, styled, table, type Cell, type View } from '../../output/view';

export async function run(ctx: CommandContext, args: ArgsOf<typeof statusSpec>): Promise<View> {
  const status = await overview(ctx);
  return args.extra ? withDetails(ctx, status) : status;
}

/** What changed between two rounds of `status --watch` (both with --extra, or both without). */
export function watchChanges(previous: StatusJson | StatusExtraJson, current: StatusJson | StatusExtraJson): ChangeEvent[] {
  return 'status' in current ? statusExtraChanges(previous as StatusExtraJson, current) : statusChanges(previous as StatusJson, current);
}

/** `status --extra`: the overview, then the views the reference prints after it, each as its own command would. */
async function withDetails(ctx: CommandContext, status: View): Promise<View> {
  const [nodes, logs, partitions, servers] = await Promise.all([
    import('../nodes/list').then(({ run }) => run(ctx, { extra: true })),
    import('../logs/list').then(({ run }) => run(ctx)),
    import('../partitions/list').then(({ run }) => run(ctx, { sort: 'partition' })),
    import('../metadata-server/list-servers').then(({ run }) => run(ctx)),
  ]);
  const views = [status, nodes, logs, partitions, servers];
  const json: StatusExtraJson = {
    status: status.json as StatusJson,
    nodes: nodes.json as NodesListJson,
    logs: logs.json as LogsListJson,
    partitions: partitions.json as PartitionsListJson,
    metadata_servers: servers.json as MetadataServersJson,
  };
  return {
    json,
    blocks: views.flatMap((view, i) => (i === 0 ? view.blocks : [blank, ...view.blocks])),
    warnings: [...new Set(views.flatMap((view) => view.warnings ?? []))],
    failures: views.flatMap((view) => view.failures ?? []),
  };
}

async function overview(ctx: CommandContext): Promise<View> {
  const cluster = await ctx.cluster();
  const [nodes, logs] = await Promise.all([cluster.metadata('nodes_config'), cluster.metadata('bifrost_config')]);
  // The metadata store's own view of its servers; status still shows the rest without it.
  const [probes, store] = await Promise.all([cluster.probeNodes(nodes.value.nodes), cluster.admin('metadataServers').catch(() => undefined)]);
  const tails = logs.value.logs.map(tailLoglet).filter((t) => t !== undefined);

  const rows = nodes.value.nodes.map((node): StatusJson['nodes'][number] => {
    const probe = probes.get(node.id);
    const alive = ClusterConnection.isAlive(node, probe);
    const ident = alive ? probe!.ident! : undefined;
    const nodesetMember = tails.filter((t) => t.params.nodeset.includes(node.id)).length;
    const sequencers = tails.filter((t) => t.params.sequencer.startsWith(`N${node.id}:`));
    const processors = ident?.partitions ?? [];
    const leading = new Set(processors.filter((p) => p.mode === 'leader').map((p) => p.log_id));
    // Optimal: this node leads the partition of every log it sequences (and runs the current generation).
    const sequencersOptimal = sequencers.every((t) => t.params.sequencer === formatGenId(node) && leading.has(splitLogletId(t.params.loglet_id).logId));
    return {
      node_id: node.id,
      generation: node.generation,
      generational_id: formatGenId(node),
      name: node.name,
      alive,
      unreachable_reason: alive ? null : cluster.describeDead(node, probe),
      started_at: ident?.started_at ?? null,
      uptime_ms: ident?.uptime_ms ?? null,
      metadata: metadataState(node, store?.servers, ident?.metadata_server),
      leader: processors.filter((p) => p.mode === 'leader').length,
      follower: processors.filter((p) => p.mode === 'follower').length,
      stopped_processors: processors.filter((p) => p.status === 'stopped').length,
      nodeset_member: nodesetMember,
      sequencer: sequencers.length,
      sequencer_placement_optimal: sequencersOptimal,
      roles: node.roles,
      problems: ident?.problems ?? [],
    };
  });

  const cells = rows.map((row): Cell[] => {
    if (!row.alive) {
      return [styled(formatPlainId(row.node_id), 'bad'), row.name, styled('offline', 'bad'), '', '', '', '', '', rolesCell(row.roles)];
    }
    return [
      styled(row.generational_id, 'good'),
      row.name,
      { ms: row.uptime_ms ?? 0, style: 'friendly' },
      row.metadata === 'member' ? styled('Member', 'good') : row.metadata === 'unreachable' ? styled('Unreachable', 'bad') : row.metadata ? styled(row.metadata, 'warn') : '',
      row.leader,
      row.stopped_processors ? `${row.follower} (${row.stopped_processors} broken)` : row.follower,
      row.nodeset_member,
      styled(String(row.sequencer), row.sequencer_placement_optimal ? 'good' : 'warn'),
      rolesCell(row.roles),
    ];
  });

  const unreachable = (await cluster.unreachableSeeds()).filter((p) => !nodes.value.nodes.some((n) => n.address === p.address));
  const json: StatusJson = { nodes_config_version: nodes.version, logs_version: logs.version, nodes: rows };
  return {
    json,
    blocks: [
      line(`Node Configuration (${formatVersion(nodes.version)})`),
      table(['NODE-ID', 'NAME', 'UPTIME', 'METADATA', 'LEADER', 'FOLLOWER', 'NODESET-MEMBER', 'SEQUENCER', 'ROLES'], cells, {
        fit: { truncate: ['ROLES', 'NAME'], shortHeaders: { 'NODESET-MEMBER': 'NODESETS', SEQUENCER: 'SEQ', FOLLOWER: 'FOLLOW' } },
        // A row is its node whether it shows as N3:6 (alive) or N3 (offline).
        keys: rows.map((row) => formatPlainId(row.node_id)),
      }),
    ],
    warnings: [
      ...unreachable.map((p) => `${p.error}`),
      ...rows.flatMap((row) => describeProblems(formatPlainId(row.node_id), row.problems)),
      ...singlePointOfFailure(store, nodes.value.nodes),
    ],
  };
}

/** A node's part in the metadata store: its member's state (etcd member or embedded server), if it runs one. */
function metadataState(node: NodeConfig, servers: MetadataServers['servers'] | undefined, embedded: string | null | undefined): string | null {
  const server = servers?.find((s) => nodeOf(s, [node]));
  if (server) return server.status;
  return node.roles.includes('metadata-server') ? (embedded ?? null) : null;
}

/** Said on every status of a cluster whose metadata lives on one embedded server. */
function singlePointOfFailure(store: MetadataServers | undefined, nodes: readonly NodeConfig[]): string[] {
  if (store?.kind !== 'embedded' || store.servers.length !== 1) return [];
  const where = serverLabel(store.servers[0]!, nodes);
  return [
    `the metadata store is one embedded server (${where}): while ${where} is down no log or partition can fail over and no change can be made; for a cluster that survives any one node, keep the metadata in etcd (metadata-client.type = "etcd", see the README)`,
  ];
}
