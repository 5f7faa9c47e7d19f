// `cairn-server local up --metadata etcd`: a real etcd member beside each node holds the cluster's
// metadata; `local up` restarts dead members, `local down` stops them after the nodes, and without an
// etcd binary nothing starts. One 3-node cluster serves the cases in order (the last one stops it).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ident } from '../../src/api/schemas';
import { readClusterFile } from '../../src/server/local/cluster';
import { cairnServer } from '../helpers/cli';
import { alive, TestCluster, waitUntil } from '../helpers/cluster';
import { get, putWithRetry } from '../helpers/kv';

/** A key as etcd itself holds it, read through its v3 JSON gateway. */
async function etcdGet(clientUrl: string, key: string): Promise<{ value: unknown; modRevision: number } | undefined> {
  const response = await fetch(`${clientUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: Buffer.from(key).toString('base64') }) });
  if (!response.ok) throw new Error(`etcd range ${key} at ${clientUrl}: HTTP ${response.status}`);
  const kv = ((await response.json()) as { kvs?: Array<{ value: string; mod_revision: string }> }).kvs?.[0];
  return kv && { value: JSON.parse(Buffer.from(kv.value, 'base64').toString('utf8')), modRevision: Number(kv.mod_revision) };
}

/** Live processes whose command line names `dir` (nodes by their config, members by their data folder). */
function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    if (cmdline.includes(dir) && alive(Number(pid))) found.push(`${pid} ${cmdline.replaceAll('\0', ' ')}`);
  }
  return found;
}

describe('local up --metadata etcd', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3, metadata: 'etcd' });
  });
  afterAll(async () => cluster?.destroy());

  it('records a member beside each node in cluster.json, and the nodes keep their metadata in it', async () => {
    const { metadata } = cluster.info;
    expect(metadata.kind).toBe('etcd');
    const members = cluster.etcdMembers();
    expect(members.map((m) => m.name)).toEqual(['n1', 'n2', 'n3']);
    const ports = new Set<string>();
    for (const member of members) {
      expect(Object.keys(member).sort()).toEqual(['client_url', 'data_dir', 'log', 'name', 'peer_url', 'pid']);
      expect(alive(member.pid), `etcd member ${member.name}`).toBe(true);
      expect(member.client_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(member.peer_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      ports.add(member.client_url).add(member.peer_url);
      expect(member.data_dir).toBe(path.join(cluster.dir, member.name, 'etcd'));
      expect(existsSync(path.join(member.data_dir, 'member')), `${member.data_dir}/member`).toBe(true);
      expect(path.dirname(member.log)).toBe(path.dirname(cluster.node(member.name).log));
      expect(await cluster.etcdMemberHealthy(member.name)).toBe(true);
    }
    expect(ports.size).toBe(6);

    for (const node of cluster.info.nodes) {
      const config = parseToml(readFileSync(node.config, 'utf8')) as { roles: string[]; 'metadata-client': { type: string; addresses: string[] } };
      expect(config['metadata-client']).toEqual({ type: 'etcd', addresses: members.map((m) => m.client_url) });
      const ident = (await (await fetch(`${node.address}/v1/node`)).json()) as Ident;
      expect(ident.roles, `${node.name}'s roles`).not.toContain('metadata-server');
      expect(ident.roles).toEqual(expect.arrayContaining(['admin', 'log-server', 'worker', 'http-ingress']));
      expect(ident.metadata_server).toBeNull();
    }

    // The partition table lives in etcd under /cairn/local/, every member has it, and the version a
    // node reports is that key's mod revision there.
    const table = await cluster.partitionTable();
    expect(table.partitions).toHaveLength(4);
    const stored = await Promise.all(members.map((m) => etcdGet(m.client_url, '/cairn/local/partition_table')));
    for (const copy of stored) expect(copy?.value).toEqual(table);
    const served = (await (await fetch(`${cluster.node('n2').address}/v1/metadata/partition_table`)).json()) as { version: number };
    expect(served.version).toBe(stored[0]!.modRevision);
  });

  it('takes writes through every node\'s ingress and reads them back through the others', async () => {
    const ingresses = cluster.info.nodes.map((n) => n.ingress);
    for (const [i, ingress] of ingresses.entries()) {
      const outcome = await putWithRetry([ingress], `etcd-key-${i}`, `value-${i}`);
      expect(outcome.ok, `PUT through ${ingress}: ${outcome.status} ${outcome.body}`).toBe(true);
    }
    for (const [i] of ingresses.entries()) {
      const reader = ingresses[(i + 1) % ingresses.length]!;
      const read = await get(reader, `etcd-key-${i}`);
      expect(read.status).toBe(200);
      expect(read.body.toString()).toBe(`value-${i}`);
    }
  });

  it('answers cairnctl status and logs list', async () => {
    const status = await cluster.ctlJson<{ nodes: Array<{ name: string; alive: boolean }> }>(['status']);
    expect(status.nodes.map((n) => [n.name, n.alive])).toEqual([
      ['n1', true],
      ['n2', true],
      ['n3', true],
    ]);
    const logs = await cluster.ctlJson<{ logs: Array<{ log_id: number; sequencer_generational_id: string }> }>(['logs', 'list']);
    expect(logs.logs.map((l) => l.log_id)).toEqual([0, 1, 2, 3]);
    for (const log of logs.logs) expect(log.sequencer_generational_id).toMatch(/^N[123]:\d+$/);
    const table = await cluster.ctl(['status']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/N1:1\s+n1/);
  });

  it('local up restarts a killed member (and only it) and waits until it is healthy', async () => {
    const before = cluster.etcdMember('n2');
    const nodePids = cluster.info.nodes.map((n) => n.pid);
    cluster.killEtcdMember('n2');
    await waitUntil('the killed member to be gone', async () => !alive(before.pid), 5_000, 20);

    const result = await cluster.up();
    expect(result.stderr).toMatch(/^started etcd member n2 \(pid \d+\) at http:\/\/127\.0\.0\.1:\d+, log /m);
    expect(result.stderr).not.toMatch(/^started (etcd member n[13]|n\d) /m);
    const after = cluster.etcdMember('n2');
    expect(after.pid).not.toBe(before.pid);
    expect(alive(after.pid)).toBe(true);
    expect({ ...after, pid: 0 }).toEqual({ ...before, pid: 0 });
    // `local up` returned only once every member was healthy again.
    expect(await cluster.etcdMemberHealthy('n2')).toBe(true);
    expect(cluster.info.nodes.map((n) => n.pid)).toEqual(nodePids);
    // It rejoined with its data: it serves the partition table.
    expect((await etcdGet(after.client_url, '/cairn/local/partition_table'))?.value).toEqual(await cluster.partitionTable());
  });

  it('brings one member back through the test helper', async () => {
    const before = cluster.etcdMember('n3');
    cluster.killEtcdMember('n3');
    await waitUntil('the killed member to be gone', async () => !alive(before.pid), 5_000, 20);
    const after = cluster.startEtcdMember('n3');
    expect(after.pid).not.toBe(before.pid);
    expect(cluster.etcdMember('n3').pid).toBe(after.pid);
    await waitUntil('n3\'s member to be healthy again', () => cluster.etcdMemberHealthy('n3'), 20_000);
    const outcome = await putWithRetry([cluster.node('n3').ingress], 'after-member-restart', 'yes');
    expect(outcome.ok, `${outcome.status} ${outcome.body}`).toBe(true);
  });

  it('refuses --metadata embedded on a folder made for etcd, changing nothing', async () => {
    const before = readFileSync(path.join(cluster.dir, 'cluster.json'), 'utf8');
    const result = await cairnServer(['local', 'up', '--dir', cluster.dir, '--metadata', 'embedded']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: ${cluster.dir} holds a cluster whose metadata store is etcd; --metadata embedded does not match`);
    expect(readFileSync(path.join(cluster.dir, 'cluster.json'), 'utf8')).toBe(before);
  });

  it('local down stops the nodes, then the members, and leaves no process of the cluster alive', async () => {
    const members = cluster.etcdMembers();
    const pids = [...cluster.info.nodes.map((n) => n.pid), ...members.map((m) => m.pid)];
    for (const pid of pids) expect(alive(pid)).toBe(true);
    const logSizes = members.map((m) => statSync(m.log).size);
    const result = await cluster.down();
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('stopped: n1, n2, n3\nstopped etcd members: n1, n2, n3\n');
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
    // Each member shut down cleanly on SIGTERM (a SIGKILL leaves no such line).
    for (const [i, member] of members.entries()) {
      expect(readFileSync(member.log).subarray(logSizes[i]).toString(), `${member.name}'s log`).toContain('"msg":"closed etcd server"');
    }
    expect(processesIn(cluster.dir)).toEqual([]);
    // The data stays: the members' folders are still there.
    for (const member of members) expect(existsSync(path.join(member.data_dir, 'member'))).toBe(true);
  });

  it('local up after local down brings back every member with its data, then the nodes', async () => {
    const result = await cluster.up();
    expect([...result.stderr.matchAll(/^started (etcd member n\d|n\d) /gm)].map((m) => m[1])).toEqual([
      'etcd member n1',
      'etcd member n2',
      'etcd member n3',
      'n1',
      'n2',
      'n3',
    ]);
    // Not provisioned again: the metadata written before the restart is what etcd serves.
    expect(result.stderr).not.toContain('provisioned');
    for (const member of cluster.etcdMembers()) expect(await cluster.etcdMemberHealthy(member.name)).toBe(true);
    for (const i of [0, 1, 2]) expect((await get(cluster.node('n1').ingress, `etcd-key-${i}`)).body.toString()).toBe(`value-${i}`);
  });
});

describe('cluster.json from before etcd support', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'cairn-old-cluster-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('reads as a cluster on the embedded store: --metadata etcd on it is refused', async () => {
    const old = { address: 'http://127.0.0.1:1', clusterName: 'local', nodes: [] };
    writeFileSync(path.join(scratch, 'cluster.json'), JSON.stringify(old));
    expect(readClusterFile(scratch)).toEqual({ ...old, metadata: { kind: 'embedded' } });
    const result = await cairnServer(['local', 'up', '--dir', scratch, '--metadata', 'etcd']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: ${scratch} holds a cluster whose metadata store is embedded; --metadata etcd does not match (a cluster keeps its metadata store: leave out --metadata, or use another --dir for a new etcd cluster)\n`,
    );
  });
});

describe('local up --metadata etcd without an etcd binary', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'cairn-no-etcd-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it.each([
    ['ETCD_BIN names no executable', { ETCD_BIN: '/nonexistent' }, /^error: ETCD_BIN=\/nonexistent is not an executable file: .*Debian's etcd-server package/],
    ['no etcd on PATH', { PATH: '/nonexistent' }, /^error: no etcd binary: install Debian's etcd-server package \(apt-get install etcd-server\), or set ETCD_BIN/],
  ])('fails at once when %s, naming Debian\'s etcd-server, and starts nothing', async (_, env, message) => {
    const dir = path.join(scratch, 'cluster');
    const result = await cairnServer(['local', 'up', '--nodes', '3', '--dir', dir, '--metadata', 'etcd'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
    expect(existsSync(dir), `${dir} was created`).toBe(false);
    expect(processesIn(dir)).toEqual([]);
  });
});
