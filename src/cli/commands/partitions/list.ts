// `cairnctl partitions list [--sort partition|node|active]`: restatectl 1.7's table of processors, the
// dead nodes, and the partitions whose leader an operator pinned or whose leadership or placement an
// operator froze (which is why the controller leaves them as they are).
import { formatEpoch, formatGenId, formatPlainId, formatVersion } from '../../../api/ids';
import type { ProcessorStatus } from '../../../api/schemas';
import { ClusterConnection } from '../../connection';
export { partitionsChanges as watchChanges } from '../../output/changes';
import type { CommandContext } from '../../context';
import type { PartitionsListJson } from '../../output/documents';
import type { ArgsOf } from '../../registry';
import type { partitionsListSpec } from './index';
import { blank, line, styled, table, type Block, type Cell, type View } from '../../output/view';
import { freezeCell, isHeld, leaderCell, policyEntry, readEpochs } from './epochs';

const STORAGE_VERSION = 1;

export async function run(ctx: CommandContext, args: Pick<ArgsOf<typeof partitionsListSpec>, 'sort'>): Promise<View> {
  const cluster = await ctx.cluster();
  const [nodes, partitionTable] = await Promise.all([cluster.metadata('nodes_config'), cluster.metadata('partition_table')]);
  const [probes, state, epochs] = await Promise.all([
    cluster.probeNodes(nodes.value.nodes),
    cluster.admin('clusterState').catch(() => undefined),
    readEpochs(cluster, []),
  ]);
  const held = epochs.flatMap(({ item, value }) => (value && isHeld(value.value) ? [{ partition_id: item, epoch: value }] : []));

  const rows = nodes.value.nodes.flatMap((node) => {
    const probe = probes.get(node.id);
    if (!ClusterConnection.isAlive(node, probe)) return [];
    return probe!.ident!.partitions.map((p) => ({ ...p, node_id: node.id, generational_id: formatGenId(node) }));
  });
  const maxEpoch = new Map<number, number>();
  for (const row of rows) maxEpoch.set(row.partition_id, Math.max(maxEpoch.get(row.partition_id) ?? 0, row.epoch ?? 0));
  const order = { partition: (r: (typeof rows)[number]) => [r.partition_id, r.node_id], node: (r: (typeof rows)[number]) => [r.node_id, r.partition_id], active: (r: (typeof rows)[number]) => [r.mode === 'leader' ? 0 : 1, r.partition_id] }[args.sort];
  rows.sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    return x[0]! - y[0]! || x[1]! - y[1]!;
  });
  const dead = nodes.value.nodes.filter((node) => !ClusterConnection.isAlive(node, probes.get(node.id)));

  const modeCell = (r: ProcessorStatus & { partition_id: number }): Cell => {
    const current = (r.epoch ?? 0) >= (maxEpoch.get(r.partition_id) ?? 0);
    return r.mode === 'leader' ? styled('Leader', current ? 'info' : 'bad', current) : 'Follower';
  };
  const statusCell = (r: ProcessorStatus): Cell => {
    switch (r.status) {
      case 'active':
        return styled('Active', r.mode === 'leader' ? 'good' : undefined);
      case 'starting':
        return styled('Starting', 'warn');
      case 'catching-up':
        return styled(`Catching Up (${r.target_tail_lsn ?? '-'})`, 'accent');
      case 'stopped':
        return styled('Stopped (trim gap)', 'bad', true);
    }
  };
  const lsn = (value: number | null) => (value === null ? '-' : value);
  const lsnLag = (r: ProcessorStatus) => (r.target_tail_lsn === null ? null : Math.max(0, r.target_tail_lsn - ((r.applied_lsn ?? 0) + 1)));

  const blocks: Block[] = [
    line(`Alive partition processors (nodes config ${formatVersion(nodes.version)}, partition table ${formatVersion(partitionTable.version)})`),
    table(
      ['ID', 'NODE', 'MODE', 'STATUS', 'EPOCH', 'APPLIED', 'DURABLE', 'ARCHIVED', 'LSN-LAG', 'STORAGE', 'SCHEMA', 'RULE-BOOK', 'FEATURES', 'UPDATED'],
      rows.map((r) => [
        r.partition_id,
        r.generational_id,
        modeCell(r),
        statusCell(r),
        r.epoch === null ? '-' : formatEpoch(r.epoch),
        lsn(r.applied_lsn),
        lsn(r.durable_lsn),
        lsn(r.archived_lsn),
        lsnLag(r) ?? '-',
        STORAGE_VERSION,
        '-',
        '-',
        '-',
        { time: r.updated_at, style: 'ago' },
      ]),
      { fit: { drop: ['FEATURES', 'RULE-BOOK', 'SCHEMA', 'STORAGE', 'DURABLE'], truncate: ['UPDATED', 'STATUS'] }, keys: rows.map((r) => `${r.partition_id}@${formatPlainId(r.node_id)}`) },
    ),
  ];
  const lastSeen = (id: number) => state?.nodes.find((n) => n.node_id === id)?.last_seen_alive ?? null;
  if (dead.length) {
    blocks.push(blank, line('☠️ Dead nodes'), table(['NODE', 'LAST-SEEN'], dead.map((n) => [formatPlainId(n.id), lastSeen(n.id) ? { time: lastSeen(n.id)!, style: 'ago' } : 'never'])));
  }
  if (held.length) {
    blocks.push(
      blank,
      line('Pinned or frozen by operators (the controller keeps a frozen leader or replica set as it is, and moves leadership to a pinned node)'),
      table(
        ['PARTITION', 'LEADER', 'PINNED', 'LEADERSHIP', 'PLACEMENT'],
        held.map(({ partition_id, epoch: { value: doc } }) => [
          partition_id,
          leaderCell(doc),
          doc.leadership_policy?.affinity === undefined ? '-' : formatPlainId(doc.leadership_policy.affinity),
          freezeCell(doc.leadership_policy?.freeze, '-'),
          freezeCell(doc.placement_policy?.freeze, '-'),
        ]),
        { fit: { truncate: ['PLACEMENT', 'LEADERSHIP'] } },
      ),
    );
  }
  const stopped = rows.filter((r) => r.stopped_reason);
  const json: PartitionsListJson = {
    nodes_config_version: nodes.version,
    partition_table_version: partitionTable.version,
    processors: rows.map(({ generational_id, ...r }) => ({ ...r, generational_id, lsn_lag: lsnLag(r) })),
    dead_nodes: dead.map((n) => ({ node_id: n.id, last_seen_alive: lastSeen(n.id) })),
    held: held.map(({ partition_id, epoch }) => {
      const { pinned_node_id, leadership_frozen, placement_frozen } = policyEntry(partition_id, epoch);
      return { partition_id, pinned_node_id, leadership_frozen, placement_frozen };
    }),
  };
  return {
    json,
    blocks,
    warnings: stopped.map((r) => `partition ${r.partition_id} on ${r.generational_id}: ${r.stopped_reason}`),
  };
}
