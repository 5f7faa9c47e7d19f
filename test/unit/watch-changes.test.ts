// The --watch screen's logic, in-process: which cells changed between two frames (changed-cells.ts),
// what event lines two rounds' JSON documents produce (changes.ts), how a frame is laid out on the
// terminal (watch-frame.ts). The documents are shaped as `-o json` prints them (checked against the
// zod schemas); the values are those of a local 3-node cluster whose n3 was killed.
import { describe, expect, it } from 'vitest';
import { markChangedCells } from '../../src/cli/output/changed-cells';
import { logsChanges, partitionsChanges, serversChanges, statusChanges, statusExtraChanges } from '../../src/cli/output/changes';
import { LogsListDocument, PartitionsListDocument, ServersDocument, StatusDocument, StatusExtraDocument, type StatusJson } from '../../src/cli/output/documents';
import { render } from '../../src/cli/output/render';
import { line, styled, table, type View } from '../../src/cli/output/view';
import { frameLines } from '../../src/cli/output/watch-frame';

const ROLES = ['admin', 'http-ingress', 'log-server', 'worker'];
const node = (id: number, fields: Partial<StatusJson['nodes'][number]> = {}): StatusJson['nodes'][number] => ({
  node_id: id,
  generation: 1,
  generational_id: `N${id}:1`,
  name: `n${id}`,
  alive: true,
  unreachable_reason: null,
  started_at: '2026-11-24T18:27:14.105Z',
  uptime_ms: 20_000,
  metadata: id === 1 ? 'member' : null,
  leader: 1,
  follower: 1,
  stopped_processors: 0,
  nodeset_member: 4,
  sequencer: 1,
  sequencer_placement_optimal: true,
  roles: id === 1 ? [...ROLES, 'metadata-server'] : ROLES,
  problems: [],
  ...fields,
});
const status = (...nodes: StatusJson['nodes']) => StatusDocument.parse({ nodes_config_version: 3, logs_version: 5, nodes });
const N3_DOWN = { alive: false, unreachable_reason: 'http://127.0.0.1:12468: connection refused', started_at: null, uptime_ms: null, leader: 0, follower: 0, sequencer: 0 };

const processor = (partition: number, nodeId: number, mode: 'leader' | 'follower', fields: Record<string, unknown> = {}) => ({
  partition_id: partition,
  log_id: partition,
  node_id: nodeId,
  generational_id: `N${nodeId}:1`,
  mode,
  status: 'active',
  epoch: 1,
  applied_lsn: 41,
  durable_lsn: null,
  archived_lsn: null,
  target_tail_lsn: 42,
  lsn_lag: 0,
  stopped_reason: null,
  updated_at: '2026-11-24T18:28:20.301Z',
  ...fields,
});
const partitions = (processors: readonly object[], dead: number[] = []) =>
  PartitionsListDocument.parse({ nodes_config_version: 3, partition_table_version: 2, processors, held: [], dead_nodes: dead.map((id) => ({ node_id: id, last_seen_alive: '2026-11-24T18:27:38.465Z' })) });
const beforeKill = partitions([processor(0, 1, 'leader'), processor(0, 2, 'follower'), processor(1, 3, 'leader'), processor(1, 1, 'follower'), processor(2, 2, 'leader'), processor(2, 3, 'follower')]);

const log = (id: number, fields: Record<string, unknown> = {}) => ({
  log_id: id,
  segments: 1,
  from_lsn: 1,
  kind: 'replicated',
  loglet_id: `${id}_0`,
  replication: { node: 2 },
  sequencer_node_id: 3,
  sequencer_generational_id: 'N3:1',
  nodeset: [1, 2, 3],
  ...fields,
});
const logs = (...items: ReturnType<typeof log>[]) => LogsListDocument.parse({ logs_version: 5, default_provider: { kind: 'replicated', replication: { node: 2 }, nodeset_size: 0 }, logs: items });

const server = (id: number, storageState: string) => ({ node_id: id, generational_id: `N${id}:1`, storage_state: storageState, historical_loglets: 5, active_loglets: 4, problems: [] });
const servers = (...items: ReturnType<typeof server>[]) => ServersDocument.parse({ nodes_config_version: 4, logs_version: 5, servers: items });

describe('change events between two rounds', () => {
  it('status: a killed node is down, and the node that took its partition leads one more', () => {
    const before = status(node(1, { leader: 2 }), node(2), node(3));
    const after = status(node(1, { leader: 3 }), node(2), node(3, N3_DOWN));
    expect(statusChanges(before, after)).toEqual([
      { text: 'N3 is down: http://127.0.0.1:12468: connection refused', tone: 'bad' },
      { text: 'N1 leads 3 partitions (was 2)' },
    ]);
    expect(statusChanges(after, after)).toEqual([]);
  });

  it('status: a node back in a new generation is up; one that restarted between rounds restarted', () => {
    const down = status(node(1), node(2), node(3, N3_DOWN));
    const back = status(node(1), node(2), node(3, { generation: 2, generational_id: 'N3:2', leader: 0 }));
    expect(statusChanges(down, back)).toEqual([{ text: 'N3 is up as N3:2', tone: 'good' }]);
    const restarted = status(node(1), node(2, { generation: 2, generational_id: 'N2:2' }), node(3));
    expect(statusChanges(status(node(1), node(2), node(3)), restarted)).toEqual([{ text: 'N2 restarted: N2:1 → N2:2', tone: 'warn' }]);
  });

  it('status: the metadata member becoming unreachable, a stopped processor, a node joining', () => {
    const before = status(node(1), node(2));
    const after = status(node(1, { metadata: 'unreachable' }), node(2, { stopped_processors: 1 }), node(4));
    expect(statusChanges(before, after)).toEqual([
      { text: 'N4 joined the cluster' },
      { text: 'N1 metadata: member → unreachable', tone: 'bad' },
      { text: 'N2 has 1 stopped processor', tone: 'bad' },
    ]);
  });

  it('partitions list: the dead node, its partition without a leader, then the new leader in a new epoch', () => {
    const leaderless = partitions([processor(0, 1, 'leader'), processor(0, 2, 'follower'), processor(1, 1, 'follower'), processor(2, 2, 'leader')], [3]);
    expect(partitionsChanges(beforeKill, leaderless)).toEqual([
      { text: 'N3 is dead', tone: 'bad' },
      { text: 'partition 1: no leader (was N3)', tone: 'bad' },
    ]);
    const failedOver = partitions([processor(0, 1, 'leader'), processor(0, 2, 'follower'), processor(1, 1, 'leader', { epoch: 2 }), processor(2, 2, 'leader')], [3]);
    expect(partitionsChanges(leaderless, failedOver)).toEqual([{ text: 'partition 1: leader none → N1 (e2)', tone: 'warn' }]);
    // Both in one round: the leader moved straight from N3 to N1.
    expect(partitionsChanges(beforeKill, failedOver).map((e) => e.text)).toEqual(['N3 is dead', 'partition 1: leader N3 → N1 (e2)']);
  });

  it('partitions list: an epoch bump under the same leader, a processor catching up and one stopped', () => {
    const after = partitions([
      processor(0, 1, 'leader', { epoch: 2 }),
      processor(0, 2, 'follower', { status: 'catching-up' }),
      processor(1, 3, 'leader'),
      processor(1, 1, 'follower', { status: 'stopped', stopped_reason: 'log 1 trimmed to 40, past the applied LSN 12' }),
      processor(2, 2, 'leader'),
      processor(2, 3, 'follower'),
    ]);
    expect(partitionsChanges(beforeKill, after)).toEqual([
      { text: 'partition 0: epoch e1 → e2' },
      { text: 'partition 0 on N2: active → catching-up', tone: undefined },
      { text: 'partition 1 on N1: active → stopped (log 1 trimmed to 40, past the applied LSN 12)', tone: 'bad' },
    ]);
    // A node back from the dead.
    expect(partitionsChanges(partitions(beforeKill.processors, [3]), beforeKill)).toEqual([{ text: 'N3 is alive again', tone: 'good' }]);
  });

  it('logs list: the sequencer moving with a new segment (a reconfiguration), and a new nodeset', () => {
    const before = logs(log(0), log(1));
    const after = logs(log(0, { nodeset: [1, 2] }), log(1, { segments: 2, from_lsn: 120, loglet_id: '1_1', sequencer_node_id: 1, sequencer_generational_id: 'N1:1' }));
    expect(logsChanges(before, after)).toEqual([
      { text: 'log 0: nodeset [N1, N2, N3] → [N1, N2]' },
      { text: 'log 1: segment 1 from LSN 120 (1_1)' },
      { text: 'log 1: sequencer N3:1 → N1:1', tone: 'warn' },
    ]);
  });

  it('replicated-loglet servers: storage-state changes', () => {
    const before = servers(server(1, 'read-write'), server(2, 'read-write'), server(3, 'read-write'));
    const after = servers(server(1, 'read-write'), server(2, 'read-only'), server(3, 'data-loss'));
    expect(serversChanges(before, after)).toEqual([
      { text: 'N2 storage-state read-write → read-only', tone: 'warn' },
      { text: 'N3 storage-state read-write → data-loss', tone: 'bad' },
    ]);
  });

  it('status --extra: a dead node is said once, and leadership by partition rather than by count', () => {
    const extra = (s: StatusJson, p: ReturnType<typeof partitions>) =>
      StatusExtraDocument.parse({
        status: s,
        nodes: { nodes_config_version: 3, nodes: [] },
        logs: logs(log(1)),
        partitions: p,
        metadata_servers: { kind: 'embedded', servers: [] },
      });
    const before = extra(status(node(1), node(2), node(3)), beforeKill);
    const after = extra(status(node(1, { leader: 2 }), node(2), node(3, N3_DOWN)), partitions([processor(0, 1, 'leader'), processor(1, 1, 'leader', { epoch: 2 }), processor(2, 2, 'leader')], [3]));
    expect(statusExtraChanges(before, after).map((e) => e.text)).toEqual(['N3 is down: http://127.0.0.1:12468: connection refused', 'partition 1: leader N3 → N1 (e2)']);
  });
});

/** The status table as `status` builds it: keyed by node, offline nodes as `N3` with blank cells. */
function statusView(nodes: StatusJson['nodes']): View {
  const rows = nodes.map((n) =>
    n.alive ? [styled(n.generational_id, 'good'), n.name, { ms: n.uptime_ms!, style: 'friendly' as const }, n.leader, n.follower] : [styled(`N${n.node_id}`, 'bad'), n.name, styled('offline', 'bad'), '', ''],
  );
  return { json: status(...nodes), blocks: [line('Node Configuration (v3)'), table(['NODE-ID', 'NAME', 'UPTIME', 'LEADER', 'FOLLOWER'], rows, { keys: nodes.map((n) => `N${n.node_id}`) })] };
}

const changedTexts = (view: View) =>
  view.blocks.flatMap((block) => (block.kind === 'table' ? block.rows.flatMap((row) => row.flatMap((cell) => (typeof cell === 'object' && 'changed' in cell && cell.changed ? [('text' in cell ? cell.text : cell.icon)] : []))) : []));

describe('changed cells between two frames', () => {
  const before = statusView([node(1, { leader: 2 }), node(2), node(3)]);
  const after = statusView([node(1, { leader: 3, uptime_ms: 21_000 }), node(2, { uptime_ms: 21_000 }), node(3, N3_DOWN)]);

  it('marks the dead node and the new leader count; uptimes moving with the clock are not changes', () => {
    const marked = markChangedCells(before, after);
    expect(changedTexts(marked.view)).toEqual(['3', 'N3', 'offline']);
    expect(marked.changed).toBe(3);
    expect(markChangedCells(undefined, after).changed).toBe(0);
    expect(markChangedCells(after, after).changed).toBe(0);
  });

  it('matches rows by key: reordered rows change nothing, a row that went away shifts nothing', () => {
    const reordered: View = { ...before, blocks: before.blocks.map((b) => (b.kind === 'table' ? { ...b, rows: [...b.rows].reverse(), keys: [...b.keys!].reverse() } : b)) };
    expect(markChangedCells(before, reordered).changed).toBe(0);
    expect(markChangedCells(before, statusView([node(1, { leader: 2 }), node(3)])).changed).toBe(0);
  });

  it('a new row and a table that appears (the dead nodes of partitions list) are new as a whole', () => {
    const withDead = (rows: string[][]): View => ({
      json: null,
      blocks: [table(['ID', 'NODE', 'MODE'], [['0', 'N1:1', 'Leader']]), ...(rows.length ? [line('☠️ Dead nodes'), table(['NODE', 'LAST-SEEN'], rows)] : [])],
    });
    expect(changedTexts(markChangedCells(withDead([]), withDead([['N3', 'never']])).view)).toEqual(['N3', 'never']);
    expect(changedTexts(markChangedCells(withDead([['N3', 'never']]), withDead([['N3', 'never'], ['N2', 'never']])).view)).toEqual(['N2', 'never']);
  });

  it('renders a changed cell in inverse video with colour, and with a * without', () => {
    const { view } = markChangedCells(before, after);
    const base = { output: 'table', tableStyle: 'compact', timeFormat: 'human', now: new Date() } as const;
    const coloured = render(view, { ...base, colorLevel: 1 });
    expect(coloured).toContain('\u001b[7m\u001b[31mN3\u001b[39m\u001b[27m');
    expect(coloured).toContain('\u001b[7m3\u001b[27m');
    const plain = render(view, { ...base, colorLevel: 0 });
    expect(plain).not.toMatch(/\u001b/);
    expect(plain).toMatch(/^ N3\*\s+n3\s+offline\*\s*$/m);
    expect(plain).toMatch(/^ N1:1\s+n1\s+21s\s+3\*\s+1\s*$/m);
  });
});

describe('a frame of the live screen', () => {
  const base = { output: 'table', tableStyle: 'compact', timeFormat: 'human', colorLevel: 0 } as const;
  const at = new Date('2026-11-24T18:27:39');
  const events = ['N3 is down: http://127.0.0.1:12468: connection refused', 'N1 leads 3 partitions (was 2)', 'partition 1: leader N3 → N1 (e2)', 'N3 is up as N3:2'].map((text, i) => ({ text, at: new Date(at.getTime() + i * 1000) }));

  it('has the title, the table, the warnings, and the latest three events at the bottom', () => {
    const { view, changed } = markChangedCells(statusView([node(1, { leader: 2 }), node(2), node(3)]), statusView([node(1, { leader: 3 }), node(2), node(3, N3_DOWN)]));
    const lines = frameLines({ view: { ...view, warnings: ['the metadata store is one embedded server (N1)'] }, changedCells: changed, events, intervalMs: 2000, at, rows: 40, keys: true, render: base });
    expect(lines[0]).toBe('Every 2s · 18:27:39 · 3 cells changed (marked *) · q to quit');
    expect(lines).toContain('warning: the metadata store is one embedded server (N1)');
    expect(lines.slice(-4)).toEqual(['Events', '18:27:40 N1 leads 3 partitions (was 2)', '18:27:41 partition 1: leader N3 → N1 (e2)', '18:27:42 N3 is up as N3:2']);
  });

  it('fits a short terminal: the table is cut with a note, the events stay, one row is left free', () => {
    const many = statusView(Array.from({ length: 30 }, (_, i) => node(i + 1)));
    const lines = frameLines({ view: many, changedCells: 0, events, intervalMs: 1000, at, rows: 20, keys: false, roundError: 'no node answered', render: base });
    expect(lines).toHaveLength(19);
    expect(lines[0]).toBe('Every 1s · 18:27:39 · no change · Ctrl-C to stop');
    expect(lines).toContainEqual(expect.stringMatching(/^… 22 more lines \(a taller terminal shows them\)$/));
    // The table is cut, not the news that the screen is stale.
    expect(lines.slice(-5)).toEqual(['error: no node answered (showing the last good round)', 'Events', ...events.slice(-3).map((e) => expect.stringContaining(e.text))]);
  });
});
