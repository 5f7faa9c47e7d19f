// The read commands in process against a real 3-node cluster: each command's JSON checked against
// its schema, tables piped (never cut, no colour) and on terminals of 80 and 200 columns, exit codes
// of missing items, single-address mode, and addresses that are not a node's admin API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ClusterConnection, type ConnectionOptions } from '../../src/cli/connection';
import {
  ConfigGetDocument,
  DigestDocument,
  DoctorDocument,
  FindTailDocument,
  LogletInfoDocument,
  LogsDescribeDocument,
  LogsListDocument,
  MetadataServersDocument,
  NodesListDocument,
  PartitionsListDocument,
  ServersDocument,
  SnapshotsListDocument,
  StatusDocument,
  StatusExtraDocument,
} from '../../src/cli/output/documents';
import { TestCluster } from '../helpers/cluster';
import { runCli, widestLine, type TerminalShape } from '../helpers/in-process';

const ANSI = /\u001b\[/;

describe('read commands, in process, against a 3-node cluster', () => {
  let cluster: TestCluster;
  const ctl = (args: string[], shape?: TerminalShape) => runCli(['-s', cluster.address, ...args], { ...(shape ? { shape } : {}) });

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  const documents: Array<[string[], z.ZodType]> = [
    [['status'], StatusDocument],
    [['nodes', 'list'], NodesListDocument],
    [['nodes', 'list', '--extra'], NodesListDocument],
    [['logs', 'list'], LogsListDocument],
    [['logs', 'describe', '--extra'], LogsDescribeDocument],
    [['logs', 'find-tail', '0-3'], FindTailDocument],
    [['replicated-loglet', 'servers'], ServersDocument],
    [['replicated-loglet', 'info', '0_0'], LogletInfoDocument],
    [['replicated-loglet', 'digest', '0_0'], DigestDocument],
    [['partitions', 'list'], PartitionsListDocument],
    [['snapshots', 'list'], SnapshotsListDocument],
    [['metadata-server', 'list-servers'], MetadataServersDocument],
    [['status', '--extra'], StatusExtraDocument],
    [['config', 'get'], ConfigGetDocument],
    [['doctor'], DoctorDocument],
    [['config', 'get', '--node', 'N2'], ConfigGetDocument],
  ];

  it('prints JSON documents that match their schemas, with the node-id naming rule', async () => {
    for (const [args, schema] of documents) {
      const result = await ctl([...args, '-o', 'json']);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      const parsed = schema.safeParse(JSON.parse(result.stdout));
      expect(parsed.success ? '' : parsed.error.message, args.join(' ')).toBe('');
    }
    const logs = LogsListDocument.parse(JSON.parse((await ctl(['logs', 'list', '--json'])).stdout));
    expect(logs.logs[1]).toMatchObject({ sequencer_node_id: 2, sequencer_generational_id: 'N2:1', nodeset: [1, 2, 3] });
    const nodes = NodesListDocument.parse(JSON.parse((await ctl(['nodes', 'list', '-o', 'json'])).stdout));
    expect(nodes.nodes.map((n) => [n.node_id, n.generational_id])).toEqual([
      [1, 'N1:1'],
      [2, 'N2:1'],
      [3, 'N3:1'],
    ]);
  });

  it('lists the embedded metadata server on N1, and status warns that it is a single point of failure', async () => {
    const listed = await ctl(['ms', 'ls']);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.split('\n');
    expect(lines[0]).toBe('Metadata service');
    expect(lines[1]).toMatch(/^ NODE +STATUS +VERSION +LEADER +MEMBERS +APPLIED +COMMITTED +TERM +LOG-LENGTH +SNAP-INDEX +SNAP-SIZE +$/);
    expect(lines[2]).toMatch(/^ N1 +Member +embedded +N1 +\[N1\] +\d+ +\d+ +- +- +- +\d+\.\d (KiB|MiB) +$/);
    expect(listed.stdout).not.toContain('Unreachable');
    const document = MetadataServersDocument.parse(JSON.parse((await ctl(['ms', 'ls', '-o', 'json'])).stdout));
    expect(document).toMatchObject({ kind: 'embedded', servers: [{ node_id: 1, status: 'member', leader: 'n1', members: ['n1'] }] });
    expect(document.servers[0]!.applied).toBeGreaterThan(0);

    const status = await ctl(['status']);
    expect(status.stdout).toMatch(/\n N1:1 +n1 +\S+ +Member /);
    expect(status.stderr).toContain('warning: the metadata store is one embedded server (N1): while N1 is down no log or partition can fail over');
  });

  it('config get: the cluster configuration tree, and a node\'s own settings with --node', async () => {
    const tree = await ctl(['config', 'get']);
    expect(tree.code, tree.stderr).toBe(0);
    expect(tree.stdout.split('\n').slice(0, 6)).toEqual([
      '⚙️ Cluster Configuration',
      '├ Number of partitions: 4',
      '├ Partition replication: {node: 2}',
      '└ Logs Provider: replicated',
      ' ├ Log replication: {node: 2}',
      ' └ Nodeset size: 0',
    ]);
    const settings = await ctl(['config', 'get', '--node', 'N2']);
    expect(settings.stdout).toMatch(/\n nodeName +"n2" +\n/);
    expect((await ctl(['config', 'get', '--node', 'N9'])).code).toBe(4);
  });

  it('status --extra: the overview, then nodes list --extra, logs list, partitions list and the metadata servers', async () => {
    const result = await ctl(['status', '--extra']);
    expect(result.code, result.stderr).toBe(0);
    const sections = ['Node Configuration (v', ' NODE  GEN  NAME  ADDRESS', 'Logs v', 'Alive partition processors', 'Metadata service'].map((title) =>
      result.stdout.indexOf(title),
    );
    expect(sections.every((at) => at >= 0), result.stdout).toBe(true);
    expect([...sections].sort((a, b) => a - b)).toEqual(sections);
    expect(result.stdout.split('\n').filter((line) => line === '')).toHaveLength(5);
    // The single-point-of-failure warning is said once, not once per view.
    expect(result.stderr.match(/one embedded server/g)).toHaveLength(1);
    const document = StatusExtraDocument.parse(JSON.parse((await ctl(['status', '--extra', '-o', 'json'])).stdout));
    expect(document.nodes.nodes.map((n) => n.node_id)).toEqual(document.status.nodes.map((n) => n.node_id));
    expect(document.metadata_servers.kind).toBe('embedded');
  });

  it('prints piped tables whole and colourless, however wide', async () => {
    for (const args of [['status'], ['nodes', 'list', '--extra'], ['partitions', 'list']]) {
      const result = await ctl(args);
      expect(result.code).toBe(0);
      expect(result.stdout).not.toMatch(ANSI);
      expect(result.stdout).not.toContain('…');
      expect(result.stdout).not.toContain('hidden to fit');
    }
    expect(widestLine((await ctl(['nodes', 'list', '--extra'])).stdout)).toBeGreaterThan(150);
    expect((await ctl(['status'])).stdout).toContain('admin | http-ingress | log-server | metadata-server | worker');
  });

  it('shrinks wide tables to an 80-column terminal: short roles, low-value columns dropped with a note', async () => {
    const status = await ctl(['status'], { stdoutColumns: 80 });
    expect(status.code).toBe(0);
    expect(widestLine(status.stdout)).toBeLessThanOrEqual(80);
    expect(status.stdout.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/ N1:1 +n1 +.*adm\|ingr\|log\|(meta\|work|…)/);
    const nodes = await ctl(['nodes', 'list', '--extra'], { stdoutColumns: 80 });
    expect(widestLine(nodes.stdout)).toBeLessThanOrEqual(80);
    expect(nodes.stdout.replace(/\u001b\[[0-9;]*m/g, '').replace(/\s+/g, ' ')).toMatch(/\(columns SCHEMA, LOCATION, .* hidden to fit 80 columns; a wider terminal or -o json shows them\)/);
    expect(nodes.stdout).toContain('STORAGE-STATE');
    const partitions = await ctl(['partitions', 'list'], { stdoutColumns: 80 });
    expect(widestLine(partitions.stdout)).toBeLessThanOrEqual(80);
    expect(partitions.stdout).toContain('LSN-LAG');
    // A terminal wide enough changes nothing.
    const wide = await ctl(['status'], { stdoutColumns: 200 });
    expect(wide.stdout.replace(/\u001b\[[0-9;]*m/g, '')).toContain('admin | http-ingress | log-server | metadata-server | worker');
  });

  it('colours on a terminal and honours NO_COLOR and --no-color there', async () => {
    expect((await ctl(['replicated-loglet', 'servers'], { stdoutColumns: 120 })).stdout).toMatch(ANSI);
    expect((await ctl(['--no-color', 'replicated-loglet', 'servers'], { stdoutColumns: 120 })).stdout).not.toMatch(ANSI);
    const noColor = await runCli(['-s', cluster.address, 'replicated-loglet', 'servers'], { shape: { stdoutColumns: 120 }, env: { NO_COLOR: '1' } });
    expect(noColor.stdout).not.toMatch(ANSI);
  });

  it('reports a missing log per item: an error line, the same JSON keys, exit 4', async () => {
    const result = await ctl(['logs', 'find-tail', '1', '7']);
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/^ LOG-ID +SEGMENT +STATE +TAIL-LSN *\n 1 +0 +OPEN +\d+ *\n$/);
    expect(result.stderr).toMatch(/^error: log 7: .*7/m);
    const json = FindTailDocument.parse(JSON.parse((await ctl(['logs', 'find-tail', '1', '7', '-o', 'json'])).stdout));
    expect(Object.keys(json.logs[1]!).sort()).toEqual(Object.keys(json.logs[0]!).sort());
    expect(json.logs[1]).toMatchObject({ log_id: 7, segment_index: null, state: null, tail_lsn: null, error: expect.any(String) });
    expect(json.logs[0]!.error).toBeNull();
    const describe = await ctl(['logs', 'describe', '9']);
    expect(describe.code).toBe(4);
    const snapshots = await ctl(['snapshots', 'list', '1', '7']);
    expect(snapshots.code).toBe(4);
    expect(snapshots.stderr).toContain('error: partition 7: no such partition: 7');
  });

  it('with -S reads from and asks only the one node given', async () => {
    const called = new Set<string>();
    const connect = (options: ConnectionOptions) => {
      const connection = new ClusterConnection(options);
      const call = connection.http.call.bind(connection.http);
      connection.http.call = ((base: string, ...rest: Parameters<typeof call> extends [string, ...infer R] ? R : never) => {
        called.add(base);
        return call(base, ...rest);
      }) as typeof call;
      return connection;
    };
    const n2 = cluster.node('n2').address;
    const result = await runCli(['-S', n2, 'logs', 'find-tail', '0', '-o', 'json'], { connect });
    expect(result.code, result.stderr).toBe(0);
    expect(FindTailDocument.parse(JSON.parse(result.stdout)).logs[0]!.error).toBeNull();
    expect([...called]).toEqual([n2]);
  });

  it('names an ingress port as such, and an address where nothing listens as unreachable', async () => {
    const ingress = await runCli(['-s', cluster.node('n1').ingress, 'status']);
    expect(ingress.code).toBe(2);
    expect(ingress.stderr).toBe(
      `error: ${cluster.node('n1').ingress} is a node's key/value ingress, not its admin address\nhint: point --address at the node's bind-address (cairn-server local up prints it; it is \`address\` in cluster.json)\n`,
    );
  });
});
