// How `cairn-server local up` chooses ports for a new cluster: n1 takes cairnctl's default address
// when it is free (checked in a private network namespace, so that no test ever takes 5122 on the
// machine), and a port taken by another process before the node bound it makes `local up` start
// the new cluster again on other ports.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_DEFAULT_PORT, NO_DEFAULT_PORT_ENV, type ClusterFile } from '../../src/server/local/cluster';
import { CAIRN_SERVER, CAIRNCTL, shell } from '../helpers/cli';
import { alive, TestCluster, waitUntil } from '../helpers/cluster';
import { get, putWithRetry } from '../helpers/kv';

/** `unshare -rn` gives a process its own network namespace (its own 127.0.0.1), as root or not. */
const canUnshare = spawnSync('unshare', ['-rn', 'true']).status === 0;

describe('ports of a new local cluster', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'cairn-ports-'));
  const pids = new Set<number>();
  afterAll(async () => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await waitUntil('the namespaced nodes to exit', async () => [...pids].every((pid) => !alive(pid)), 10_000);
    rmSync(scratch, { recursive: true, force: true });
  });

  it.skipIf(!canUnshare)('gives n1 127.0.0.1:5122 when it is free, so cairnctl needs no address; otherwise, or when told not to, another port', async () => {
    const dirs = { first: path.join(scratch, 'first'), second: path.join(scratch, 'second'), third: path.join(scratch, 'third') };
    const server = (args: string) => `${process.execPath} ${CAIRN_SERVER} ${args}`;
    // One shell in a private network namespace: its loopback is up, and nothing else uses it.
    const script = [
      'ip link set lo up',
      `${server(`local up --nodes 1 --dir ${dirs.first}`)} > ${dirs.first}.out`,
      `${process.execPath} ${CAIRNCTL} status -o json > ${dirs.first}.status`,
      // 5122 is taken now: the next cluster's n1 listens elsewhere.
      `${server(`local up --nodes 1 --dir ${dirs.second}`)} > ${dirs.second}.out`,
      // 5122 is free again, and the env var keeps a new cluster off it.
      `${server(`local down --dir ${dirs.first}`)}`,
      `${NO_DEFAULT_PORT_ENV}=1 ${server(`local up --nodes 1 --dir ${dirs.third}`)} > ${dirs.third}.out`,
    ].join(' && ');
    const result = await shell(`PATH=$PATH:/usr/sbin:/sbin unshare -rn bash -c '${script}'`, { timeoutMs: 120_000 });
    const clusters = Object.values(dirs).map((dir) => {
      try {
        return JSON.parse(readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as ClusterFile;
      } catch {
        return undefined;
      }
    });
    for (const node of clusters.flatMap((c) => c?.nodes ?? [])) pids.add(node.pid);
    expect(`${result.code} ${result.stderr}`).toMatch(/^0 /);
    const [first, second, third] = clusters as ClusterFile[];

    expect(first!.nodes[0]!.address).toBe(`http://127.0.0.1:${CLI_DEFAULT_PORT}`);
    const status = JSON.parse(readFileSync(`${dirs.first}.status`, 'utf8'));
    expect(status.nodes).toEqual([expect.objectContaining({ node_id: 1, name: 'n1', alive: true })]);
    for (const cluster of [second!, third!]) expect(cluster.nodes[0]!.address).not.toContain(`:${CLI_DEFAULT_PORT}`);
    // The line a user exports when the default address is not theirs.
    expect(readFileSync(`${dirs.second}.out`, 'utf8')).toBe(`export CAIRN_ADDRESS=${second!.address}\n`);
  });

  it('starts a new cluster again on other ports when a port it chose was taken before its node bound it', async () => {
    const cluster = TestCluster.create();
    const blocker = net.createServer();
    try {
      const up = cluster.up(['--nodes', '3']);
      // n3's ingress port, taken as soon as n3's config names it: the ingress binds only once n3
      // has joined the cluster, well after that.
      const config = path.join(cluster.dir, 'n3', 'config.toml');
      const port = await waitUntil('local up to write n3\'s config', async () => {
        const doc = parseToml(readFileSync(config, 'utf8')) as { ingress?: { 'bind-address'?: string } };
        return Number(doc.ingress?.['bind-address']?.split(':')[1]) || undefined;
      }, 30_000, 5);
      await new Promise<void>((resolve, reject) => {
        blocker.once('error', (err) => reject(new Error(`n3 bound its ingress port ${port} before the test could take it: ${err.message}`)));
        blocker.listen(port, '127.0.0.1', resolve);
      });

      const result = await up;
      expect(result.stderr).toMatch(
        new RegExp(`n3 \\(pid \\d+\\) (has exited|exited during start-up): 127\\.0\\.0\\.1:${port} was taken by another process .*; starting the new cluster again on other ports \\(attempt 2 of 3\\)`),
      );
      const firstAttempt = [...result.stderr.matchAll(/^started (n\d) \(pid (\d+)\)/gm)].slice(0, 3).map((m) => Number(m[2]));
      for (const pid of firstAttempt) expect(alive(pid), `first attempt's pid ${pid}`).toBe(false);
      const { nodes } = cluster.info;
      expect(nodes.map((n) => n.ingress)).not.toContain(`http://127.0.0.1:${port}`);
      for (const node of nodes) expect(alive(node.pid)).toBe(true);
      // The cluster it started works: a write through n3's ingress reads back.
      expect((await putWithRetry([cluster.node('n3').ingress], 'after-retry', 'yes')).ok).toBe(true);
      expect((await get(cluster.node('n3').ingress, 'after-retry')).body.toString()).toBe('yes');
    } finally {
      blocker.close();
      await cluster.destroy();
    }
  });
});
