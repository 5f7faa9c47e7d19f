// `cairnctl doctor`: reads what status, partitions list, logs and the metadata servers show, and
// names each failure state it recognises with a stable code, the evidence, and the commands of the
// runbook that fixes it. Exit 1 when something is broken (an error finding); warnings (a single
// embedded metadata server, a lagging follower, a pin that cannot be followed) are shown but leave
// the exit code 0.
import { formatNodeSet, formatPlainId } from '../../../api/ids';
import type { EpochMetadata, MetadataServers, NodeConfig, ProcessorStatus } from '../../../api/schemas';
import { ClusterConnection, type NodeProbe } from '../../connection';
import type { CommandContext } from '../../context';
import { EXIT } from '../../errors';
import type { DoctorJson } from '../../output/documents';
import { blank, line, styled, type Block, type View } from '../../output/view';
import { pinSatisfied, readEpochs } from '../partitions/epochs';

type Finding = DoctorJson['findings'][number];

/** A follower this many records behind its log's tail is reported as lagging. */
const LAG_RECORDS = 1_000;

const TRIM_GAP = /trim gap|snapshot/i;

function deadNodes(nodes: readonly NodeConfig[], probes: Map<number, NodeProbe>, describe: (node: NodeConfig) => string): Finding[] {
  return nodes
    .filter((node) => !ClusterConnection.isAlive(node, probes.get(node.id)))
    .map((node) => ({
      code: 'node-down',
      severity: 'error',
      summary: `${formatPlainId(node.id)} (${node.name}) does not answer as ${formatPlainId(node.id)}:${node.generation}`,
      evidence: { node_id: node.id, address: node.address, reason: describe(node) },
      commands: ['cairnctl nodes list --extra', `# restart ${node.name} (cairn-server --config ...; a local cluster: cairn-server local up --dir DIR)`],
    }));
}

function storageStates(nodes: readonly NodeConfig[]): Finding[] {
  return nodes
    .filter((node) => node.log_server.storage_state === 'data-loss')
    .map((node) => ({
      code: 'log-server-data-loss',
      severity: 'error',
      summary: `${formatPlainId(node.id)}'s log-server is in data-loss: new nodesets leave it out (a node id reused by another machine does this)`,
      evidence: { node_id: node.id, storage_state: node.log_server.storage_state },
      commands: [
        '# stop the misconfigured node that reused the id, and fix its configuration',
        'cairnctl replicated-loglet servers',
        `# only if ${formatPlainId(node.id)}'s own data is intact:`,
        `cairnctl replicated-loglet set-storage-state --node-id ${node.id} --storage-state read-write --force`,
      ],
    }));
}

function processors(rows: Array<ProcessorStatus & { node_id: number }>): Finding[] {
  return rows.flatMap((p): Finding[] => {
    const where = { partition_id: p.partition_id, node_id: p.node_id, applied_lsn: p.applied_lsn, target_tail_lsn: p.target_tail_lsn };
    if (p.status === 'stopped' && p.stopped_reason && TRIM_GAP.test(p.stopped_reason)) {
      return [
        {
          code: 'partition-trim-gap',
          severity: 'error',
          summary: `partition ${p.partition_id} on ${formatPlainId(p.node_id)} is stopped at a trim gap: ${p.stopped_reason}`,
          evidence: where,
          commands: [
            `cairnctl snapshots list ${p.partition_id}`,
            `cairnctl logs describe ${p.log_id} --extra`,
            `cairnctl snapshots create-snapshot ${p.partition_id}`,
            `# make ${formatPlainId(p.node_id)}'s worker.snapshots.destination point at that repository, restart it if you changed it`,
            `cairnctl partitions list`,
          ],
        },
      ];
    }
    if (p.status === 'stopped') {
      return [{ code: 'partition-stopped', severity: 'error', summary: `partition ${p.partition_id} on ${formatPlainId(p.node_id)} is stopped: ${p.stopped_reason ?? 'no reason given'}`, evidence: where, commands: ['cairnctl status', 'cairnctl partitions list'] }];
    }
    const lag = p.target_tail_lsn === null || p.applied_lsn === null ? 0 : p.target_tail_lsn - 1 - p.applied_lsn;
    if (lag >= LAG_RECORDS) {
      return [{ code: 'partition-lagging', severity: 'warning', summary: `partition ${p.partition_id} on ${formatPlainId(p.node_id)} is ${lag} records behind its log`, evidence: { ...where, lag }, commands: ['cairnctl partitions list --sort node'] }];
    }
    return [];
  });
}

function storeProblems(nodes: readonly NodeConfig[], probes: Map<number, NodeProbe>): Finding[] {
  return nodes.flatMap((node) =>
    (probes.get(node.id)?.ident?.problems ?? []).map((problem) => ({
      code: 'store-writes-fail',
      severity: 'error',
      summary: `${formatPlainId(node.id)}'s ${problem.component} writes fail since ${problem.since}: ${problem.message}`,
      evidence: { node_id: node.id, component: problem.component, since: problem.since },
      commands: [`# free space in ${node.name}'s base-dir (or fix what stops its writes); it recovers by itself`, 'cairnctl status'],
    })),
  );
}

function metadataStore(store: MetadataServers | undefined, label: (address: string, name: string | null) => string): Finding[] {
  if (!store) return [{ code: 'metadata-servers-unknown', severity: 'warning', summary: 'no admin node said where the metadata store stands', evidence: {}, commands: ['cairnctl metadata-server list-servers'] }];
  const down = store.servers.filter((s) => s.status === 'unreachable');
  const findings: Finding[] = [];
  if (store.kind === 'embedded' && store.servers.length === 1) {
    findings.push({
      code: 'metadata-single-server',
      severity: 'warning',
      summary: `the metadata store is one embedded server (${label(store.servers[0]!.address, store.servers[0]!.name)}): losing it stops every failover and change`,
      evidence: { servers: store.servers.length },
      commands: ['# run the cluster on etcd: metadata-client.type = "etcd" (README, "Metadata: embedded or etcd")'],
    });
  }
  const majority = Math.floor(store.servers.length / 2) + 1;
  if (store.servers.length - down.length < majority) {
    findings.push({
      code: 'metadata-below-quorum',
      severity: 'error',
      summary: `${store.servers.length - down.length} of ${store.servers.length} metadata servers answer, fewer than a majority (${majority}): no metadata can change`,
      evidence: { unreachable: down.map((s) => label(s.address, s.name)) },
      commands: ['cairnctl metadata-server list-servers', '# bring the unreachable members back (their data folders are needed)'],
    });
  } else if (down.length) {
    findings.push({
      code: 'metadata-server-down',
      severity: 'warning',
      summary: `metadata server(s) ${down.map((s) => label(s.address, s.name)).join(', ')} do not answer; one more loss would stop every change`,
      evidence: { unreachable: down.map((s) => label(s.address, s.name)) },
      commands: ['cairnctl metadata-server list-servers'],
    });
  }
  return findings;
}

/**
 * Partitions an operator froze into a broken state: leader election frozen while the leader is
 * gone (nobody serves the partition, and the controller will not choose anyone), or a placement
 * frozen with replicas down (they are not replaced; with none left, nothing runs the partition).
 */
function frozenPartitions(epochs: ReadonlyArray<{ partition_id: number; doc: EpochMetadata }>, alive: ReadonlySet<number>): Finding[] {
  return epochs.flatMap(({ partition_id: id, doc }): Finding[] => {
    const findings: Finding[] = [];
    const leadership = doc.leadership_policy?.freeze;
    const leader = doc.leader;
    if (leadership && (leader === null || !alive.has(leader) || !doc.replica_set.includes(leader))) {
      const why = leader === null ? 'it has no leader' : !doc.replica_set.includes(leader) ? `its leader ${formatPlainId(leader)} is not in its replica set` : `its leader ${formatPlainId(leader)} is down`;
      findings.push({
        code: 'partition-leadership-frozen',
        severity: 'error',
        summary: `partition ${id}'s leader election is frozen ("${leadership.reason}") and ${why}: the controller will choose no other leader, so the partition takes no reads or writes`,
        evidence: { partition_id: id, leader_node_id: leader, replica_set: doc.replica_set, reason: leadership.reason, frozen_at: leadership.frozen_at },
        commands: [`cairnctl partitions leadership show ${id}`, `cairnctl partitions leadership unfreeze ${id}`],
      });
    }
    const placement = doc.placement_policy?.freeze;
    const down = doc.replica_set.filter((node) => !alive.has(node));
    if (placement && (down.length || doc.replica_set.length === 0)) {
      const none = down.length === doc.replica_set.length;
      const why = doc.replica_set.length === 0 ? 'its replica set is empty' : `${down.map(formatPlainId).join(', ')} of its replica set ${formatNodeSet(doc.replica_set)} ${down.length > 1 ? 'are' : 'is'} down`;
      findings.push({
        code: 'partition-placement-frozen',
        severity: none ? 'error' : 'warning',
        summary: `partition ${id}'s placement is frozen ("${placement.reason}") and ${why}: the controller replaces no replica${none ? ', and no node runs the partition' : ''}`,
        evidence: { partition_id: id, replica_set: doc.replica_set, down_node_ids: down, reason: placement.reason, frozen_at: placement.frozen_at },
        commands: [`cairnctl partitions placement show ${id}`, `cairnctl partitions placement unfreeze ${id}`],
      });
    }
    return findings;
  });
}

/**
 * Pins the controller cannot follow: the pinned node is down, outside a frozen replica set, or the
 * partition's leader election is frozen elsewhere. (A pin to a live node it can reach is carried
 * out within seconds, so a pending one is not a finding.)
 */
function unsatisfiedPins(epochs: ReadonlyArray<{ partition_id: number; doc: EpochMetadata }>, alive: ReadonlySet<number>): Finding[] {
  return epochs.flatMap(({ partition_id: id, doc }): Finding[] => {
    const pin = doc.leadership_policy?.affinity;
    if (pin === undefined || pinSatisfied(doc)) return [];
    const pinned = formatPlainId(pin);
    const blocked: Array<{ why: string; command: string }> = [];
    if (!alive.has(pin)) blocked.push({ why: `${pinned} is down`, command: `# restart ${pinned}` });
    if (!doc.replica_set.includes(pin) && doc.placement_policy?.freeze) {
      blocked.push({ why: `${pinned} is not in its frozen replica set ${formatNodeSet(doc.replica_set)}`, command: `cairnctl partitions placement unfreeze ${id}` });
    }
    if (doc.leadership_policy?.freeze) blocked.push({ why: 'its leader election is frozen', command: `cairnctl partitions leadership unfreeze ${id}` });
    if (!blocked.length) return [];
    return [
      {
        code: 'partition-pin-unsatisfied',
        severity: 'warning',
        summary: `partition ${id} is pinned to ${pinned} but led by ${doc.leader === null ? 'no node' : formatPlainId(doc.leader)}: ${blocked.map((b) => b.why).join(', and ')}`,
        evidence: { partition_id: id, pinned_node_id: pin, leader_node_id: doc.leader, replica_set: doc.replica_set },
        commands: [`cairnctl partitions leadership show ${id}`, ...blocked.map((b) => b.command), `# or drop the pin: cairnctl partitions leadership unpin ${id}`],
      },
    ];
  });
}

function trimmedPastArchive(trims: Array<{ log_id: number; trim_point: number }>, rows: Array<ProcessorStatus & { node_id: number }>): Finding[] {
  return trims.flatMap(({ log_id, trim_point }) => {
    const leader = rows.find((r) => r.log_id === log_id && r.mode === 'leader');
    const archived = leader?.archived_lsn ?? null;
    if (trim_point === 0 || (archived !== null && archived >= trim_point)) return [];
    const partition = leader?.partition_id ?? log_id;
    return [
      {
        code: 'log-trimmed-past-snapshot',
        severity: 'warning',
        summary: `log ${log_id} is trimmed to LSN ${trim_point} but the newest retained snapshot of partition ${partition} is ${archived === null ? 'missing' : `at LSN ${archived}`}: a new replica cannot catch up`,
        evidence: { log_id, trim_point, archived_lsn: archived },
        commands: [`cairnctl snapshots create-snapshot ${partition}`, `cairnctl snapshots list ${partition}`],
      },
    ];
  });
}

export async function run(ctx: CommandContext): Promise<View> {
  const cluster = await ctx.cluster();
  const [nodes, logs] = await Promise.all([cluster.metadata('nodes_config'), cluster.metadata('bifrost_config')]);
  const [probes, store, trims, epochs] = await Promise.all([
    cluster.probeNodes(nodes.value.nodes),
    cluster.admin('metadataServers').catch(() => undefined),
    Promise.all(logs.value.logs.map((chain) => cluster.admin('describeLog', { params: { log: chain.log_id } }).then((d) => ({ log_id: chain.log_id, trim_point: d.trim_point_lsn })).catch(() => undefined))),
    readEpochs(cluster, []),
  ]);
  const alive = nodes.value.nodes.filter((node) => ClusterConnection.isAlive(node, probes.get(node.id)));
  const rows = alive.flatMap((node) => probes.get(node.id)!.ident!.partitions.map((p) => ({ ...p, node_id: node.id })));
  const label = (address: string, name: string | null) => {
    const node = nodes.value.nodes.find((n) => (name === null ? n.address === address : n.name === name));
    return node ? formatPlainId(node.id) : (name ?? address);
  };
  const placed = epochs.flatMap(({ item, value }) => (value ? [{ partition_id: item, doc: value.value }] : []));
  const aliveIds = new Set(alive.map((node) => node.id));
  const findings = [
    ...deadNodes(nodes.value.nodes, probes, (node) => cluster.describeDead(node, probes.get(node.id))),
    ...storageStates(nodes.value.nodes),
    ...storeProblems(alive, probes),
    ...processors(rows),
    ...frozenPartitions(placed, aliveIds),
    ...unsatisfiedPins(placed, aliveIds),
    ...trimmedPastArchive(trims.filter((t) => t !== undefined), rows),
    ...metadataStore(store, label),
  ];
  const broken = findings.some((f) => f.severity === 'error');
  const json: DoctorJson = { healthy: !broken, findings };
  const blocks: Block[] = findings.length
    ? findings.flatMap((f, i) => [
        ...(i ? [blank] : []),
        line(styled(f.severity === 'error' ? '✖' : '!', f.severity === 'error' ? 'bad' : 'warn'), ` ${f.summary} [${f.code}]`),
        ...Object.entries(f.evidence).map(([key, value]) => line(styled(`    ${key}: ${JSON.stringify(value)}`, 'muted'))),
        ...f.commands.map((command) => line(`    $ ${command}`)),
      ])
    : [line(styled('✔', 'good'), ` no known failure state: ${nodes.value.nodes.length} nodes, ${logs.value.logs.length} logs checked`)];
  if (findings.length && !broken) blocks.push(blank, line(styled('✔', 'good'), ' nothing is broken (warnings only)'));
  return { json, blocks, exitCode: broken ? EXIT.FAILED : EXIT.OK };
}
