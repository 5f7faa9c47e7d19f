// `cairnctl metadata-server list-servers`: each server of the metadata store as it reports itself,
// named by its node where a node has the member's name; the ones that do not answer follow.
import { formatPlainId } from '../../../api/ids';
import type { MetadataServer } from '../../../api/schemas';
import type { CommandContext } from '../../context';
import type { MetadataServersJson } from '../../output/documents';
import { blank, line, styled, table, type Cell, type View } from '../../output/view';

type Named = ReadonlyArray<{ id: number; name: string; address: string }>;

/** The node a server runs beside: the node with the member's name (or, for a server that never
 *  told its name, the node at its address). */
export const nodeOf = (server: Pick<MetadataServer, 'name' | 'address'>, nodes: Named) =>
  nodes.find((n) => (server.name === null ? n.address === server.address : n.name === server.name));

/** A member as its node (`N2`) where there is one, else by its name or address. */
export const serverLabel = (server: Pick<MetadataServer, 'name' | 'address'>, nodes: Named) => {
  const node = nodeOf(server, nodes);
  return node ? formatPlainId(node.id) : (server.name ?? server.address);
};
const memberLabel = (name: string, nodes: Named) => serverLabel({ name, address: '' }, nodes);

const IEC = [
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
] as const;

function iecSize(bytes: number): string {
  for (const [unit, factor] of IEC) if (bytes >= factor) return `${(bytes / factor).toFixed(1)} ${unit}`;
  return `${bytes} B`;
}

const dash = (value: number | string | null): Cell => value ?? '-';

export async function run(ctx: CommandContext): Promise<View> {
  const cluster = await ctx.cluster();
  const [answer, nodes] = await Promise.all([cluster.admin('metadataServers'), cluster.metadata('nodes_config')]);
  const known = nodes.value.nodes;
  const members = answer.servers.filter((s) => s.status === 'member');
  const unreachable = answer.servers.filter((s) => s.status === 'unreachable');
  const json: MetadataServersJson = {
    kind: answer.kind,
    servers: answer.servers.map((s) => ({ ...s, node_id: nodeOf(s, known)?.id ?? null })),
  };
  const rows = members.map((s): Cell[] => [
    serverLabel(s, known),
    styled('Member', 'good'),
    dash(s.version),
    s.leader === null ? '-' : memberLabel(s.leader, known),
    `[${s.members.map((name) => memberLabel(name, known)).join(',')}]`,
    dash(s.applied),
    dash(s.committed),
    dash(s.term),
    dash(s.log_length),
    dash(s.snapshot_index),
    s.snapshot_size === null ? '-' : iecSize(s.snapshot_size),
  ]);
  return {
    json,
    blocks: [
      line(answer.kind === 'etcd' ? 'Metadata service (etcd)' : 'Metadata service'),
      table(['NODE', 'STATUS', 'VERSION', 'LEADER', 'MEMBERS', 'APPLIED', 'COMMITTED', 'TERM', 'LOG-LENGTH', 'SNAP-INDEX', 'SNAP-SIZE'], rows, {
        fit: { truncate: ['MEMBERS'], shortHeaders: { COMMITTED: 'COMMIT', 'LOG-LENGTH': 'LOG', 'SNAP-INDEX': 'SNAP-IDX' } },
      }),
      ...(unreachable.length
        ? [blank, line('🔌 Unreachable nodes'), table(['NODE', 'REASON'], unreachable.map((s) => [styled(serverLabel(s, known), 'bad'), s.error ?? '']))]
        : []),
    ],
  };
}
