// What changed in the cluster between two consecutive rounds of a `--watch` command, said as short
// event lines ("partition 2: leader N3 → N1 (e5)"), computed from the commands' JSON documents (the
// same data `-o json` prints), one function per document. The live view keeps the latest of these
// at the bottom of the screen.
import { formatEpoch, formatPlainId } from '../../api/ids';
import type { LogsListJson, NodesListJson, PartitionsListJson, ServersJson, StatusExtraJson, StatusJson } from './documents';
import type { Tone } from './view';

export interface ChangeEvent {
  text: string;
  /** `bad` for what an operator must look at (a node down, no leader), `good` for a recovery. */
  tone?: Tone;
}

/** Pairs the entries of two rounds by key: those in both, and those only in one of them. */
function pair<T>(previous: readonly T[], current: readonly T[], key: (entry: T) => string | number) {
  const before = new Map(previous.map((entry) => [key(entry), entry]));
  const now = new Map(current.map((entry) => [key(entry), entry]));
  return {
    both: [...now].flatMap(([k, entry]) => (before.has(k) ? [[before.get(k)!, entry] as const] : [])),
    added: [...now].filter(([k]) => !before.has(k)).map(([, entry]) => entry),
    removed: [...before].filter(([k]) => !now.has(k)).map(([, entry]) => entry),
  };
}

/** `status`: a node down or back, restarted, its metadata member's state, how many partitions it leads. */
export function statusChanges(previous: StatusJson, current: StatusJson): ChangeEvent[] {
  return [...nodeChanges(previous, current), ...leaderCountChanges(previous, current)];
}

/** A node down or back, restarted, its metadata member's state, stopped processors. */
function nodeChanges(previous: StatusJson, current: StatusJson): ChangeEvent[] {
  const events: ChangeEvent[] = [];
  const { both, added, removed } = pair(previous.nodes, current.nodes, (n) => n.node_id);
  for (const node of added) events.push({ text: `${formatPlainId(node.node_id)} joined the cluster` });
  for (const node of removed) events.push({ text: `${formatPlainId(node.node_id)} left the cluster`, tone: 'warn' });
  for (const [before, now] of both) {
    const id = formatPlainId(now.node_id);
    if (before.alive && !now.alive) events.push({ text: `${id} is down: ${now.unreachable_reason ?? 'no answer'}`, tone: 'bad' });
    else if (!before.alive && now.alive) events.push({ text: `${id} is up as ${now.generational_id}`, tone: 'good' });
    else if (now.alive && before.generation !== now.generation) events.push({ text: `${id} restarted: ${before.generational_id} → ${now.generational_id}`, tone: 'warn' });
    if (before.alive && now.alive && before.metadata !== now.metadata) {
      events.push({ text: `${id} metadata: ${before.metadata ?? 'none'} → ${now.metadata ?? 'none'}`, tone: now.metadata === 'unreachable' ? 'bad' : undefined });
    }
    if (now.alive && now.stopped_processors > before.stopped_processors) {
      events.push({ text: `${id} has ${now.stopped_processors} stopped ${now.stopped_processors === 1 ? 'processor' : 'processors'}`, tone: 'bad' });
    }
  }
  return events;
}

/** How many partitions each node leads: all that `status` tells of leadership moving. */
function leaderCountChanges(previous: StatusJson, current: StatusJson): ChangeEvent[] {
  // A dead node leads nothing; its going down is the event, not its count dropping to 0.
  return pair(previous.nodes, current.nodes, (n) => n.node_id).both.flatMap(([before, now]) =>
    now.alive && before.leader !== now.leader ? [{ text: `${formatPlainId(now.node_id)} leads ${now.leader} ${now.leader === 1 ? 'partition' : 'partitions'} (was ${before.leader})` }] : [],
  );
}

type Processor = PartitionsListJson['processors'][number];

/** The leader a partition's processors agree on: the leader of the highest epoch. */
function leaderOf(processors: readonly Processor[], partitionId: number): Processor | undefined {
  return processors.filter((p) => p.partition_id === partitionId && p.mode === 'leader').sort((a, b) => (b.epoch ?? 0) - (a.epoch ?? 0))[0];
}

const epochOf = (processors: readonly Processor[], partitionId: number) =>
  Math.max(0, ...processors.filter((p) => p.partition_id === partitionId).map((p) => p.epoch ?? 0));

/** `partitions list`: dead nodes, a new leader, an epoch bump, a processor's status. */
export function partitionsChanges(previous: PartitionsListJson, current: PartitionsListJson): ChangeEvent[] {
  const dead = pair(previous.dead_nodes, current.dead_nodes, (d) => d.node_id);
  return [
    ...dead.added.map((node) => ({ text: `${formatPlainId(node.node_id)} is dead`, tone: 'bad' as const })),
    ...dead.removed.map((node) => ({ text: `${formatPlainId(node.node_id)} is alive again`, tone: 'good' as const })),
    ...processorChanges(previous, current),
  ];
}

/** A new leader, an epoch bump, a processor's status. */
function processorChanges(previous: PartitionsListJson, current: PartitionsListJson): ChangeEvent[] {
  const events: ChangeEvent[] = [];

  const partitionIds = [...new Set([...previous.processors, ...current.processors].map((p) => p.partition_id))].sort((a, b) => a - b);
  for (const id of partitionIds) {
    const [before, now] = [leaderOf(previous.processors, id), leaderOf(current.processors, id)];
    const epoch = epochOf(current.processors, id);
    if (before && !now) events.push({ text: `partition ${id}: no leader (was ${formatPlainId(before.node_id)})`, tone: 'bad' });
    else if (now && before?.node_id !== now.node_id) {
      events.push({ text: `partition ${id}: leader ${before ? formatPlainId(before.node_id) : 'none'} → ${formatPlainId(now.node_id)} (${formatEpoch(epoch)})`, tone: 'warn' });
    } else if (epoch > epochOf(previous.processors, id)) {
      events.push({ text: `partition ${id}: epoch ${formatEpoch(epochOf(previous.processors, id))} → ${formatEpoch(epoch)}` });
    }
  }

  const processors = pair(previous.processors, current.processors, (p) => `${p.partition_id}@${p.node_id}`);
  for (const [before, now] of processors.both) {
    if (before.status === now.status) continue;
    const where = `partition ${now.partition_id} on ${formatPlainId(now.node_id)}`;
    events.push({ text: `${where}: ${before.status} → ${now.status}${now.stopped_reason ? ` (${now.stopped_reason})` : ''}`, tone: now.status === 'stopped' ? 'bad' : undefined });
  }
  return events;
}

/** `logs list`: a sequencer that moved, a new segment (a reconfiguration), a nodeset that changed. */
export function logsChanges(previous: LogsListJson, current: LogsListJson): ChangeEvent[] {
  const events: ChangeEvent[] = [];
  const { both, added } = pair(previous.logs, current.logs, (l) => l.log_id);
  for (const log of added) events.push({ text: `log ${log.log_id} created (${log.loglet_id ?? log.kind})` });
  for (const [before, now] of both) {
    if (now.segments !== before.segments) events.push({ text: `log ${now.log_id}: segment ${now.segments - 1} from LSN ${now.from_lsn} (${now.loglet_id ?? now.kind})` });
    if (now.sequencer_generational_id !== before.sequencer_generational_id) {
      events.push({ text: `log ${now.log_id}: sequencer ${before.sequencer_generational_id ?? 'none'} → ${now.sequencer_generational_id ?? 'none'}`, tone: 'warn' });
    }
    const nodeset = (ids: readonly number[] | null) => (ids ? `[${ids.map(formatPlainId).join(', ')}]` : 'none');
    if (nodeset(before.nodeset) !== nodeset(now.nodeset)) events.push({ text: `log ${now.log_id}: nodeset ${nodeset(before.nodeset)} → ${nodeset(now.nodeset)}` });
  }
  return events;
}

const STORAGE_STATE_TONE: Partial<Record<string, Tone>> = { 'data-loss': 'bad', 'read-only': 'warn', gone: 'warn', 'read-write': 'good' };

/** A storage-state change of one node, as `replicated-loglet servers` and `nodes list` say it. */
function storageStateChanges<T extends { node_id: number; storage_state: string }>(previous: readonly T[], current: readonly T[]): ChangeEvent[] {
  return pair(previous, current, (n) => n.node_id).both.flatMap(([before, now]) =>
    before.storage_state === now.storage_state ? [] : [{ text: `${formatPlainId(now.node_id)} storage-state ${before.storage_state} → ${now.storage_state}`, tone: STORAGE_STATE_TONE[now.storage_state] }],
  );
}

/** `replicated-loglet servers`: storage-state changes, log-servers added or gone. */
export function serversChanges(previous: ServersJson, current: ServersJson): ChangeEvent[] {
  const { added, removed } = pair(previous.servers, current.servers, (s) => s.node_id);
  return [
    ...added.map((s) => ({ text: `${formatPlainId(s.node_id)} is a log-server (${s.storage_state})` })),
    ...removed.map((s) => ({ text: `${formatPlainId(s.node_id)} is no longer a log-server`, tone: 'warn' as const })),
    ...storageStateChanges(previous.servers, current.servers),
  ];
}

/** `nodes list` (inside `status --extra`): storage and worker state changes. */
function nodesListChanges(previous: NodesListJson, current: NodesListJson): ChangeEvent[] {
  const workers = pair(previous.nodes, current.nodes, (n) => n.node_id).both.flatMap(([before, now]) =>
    before.worker_state === now.worker_state ? [] : [{ text: `${formatPlainId(now.node_id)} worker-state ${before.worker_state} → ${now.worker_state}` }],
  );
  return [...storageStateChanges(previous.nodes, current.nodes), ...workers];
}

/** `status --extra`: the overview's events, then those of the views printed after it (dead nodes
 *  and leadership once: from the overview and from the partitions' own leaders, not counts). */
export function statusExtraChanges(previous: StatusExtraJson, current: StatusExtraJson): ChangeEvent[] {
  return [
    ...nodeChanges(previous.status, current.status),
    ...nodesListChanges(previous.nodes, current.nodes),
    ...logsChanges(previous.logs, current.logs),
    ...processorChanges(previous.partitions, current.partitions),
  ];
}
