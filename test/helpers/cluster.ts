// A real local cluster for a test: `cairn-server local up` in a temporary folder; every process it
// started is stopped by pid when the test is done.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PartitionTable } from '../../src/api/schemas';
import type { ClusterFile, ClusterNodeEntry } from '../../src/server/local/cluster';
import { spawn } from 'node:child_process';
import { freePort } from '../../src/server/local/cluster';
import { CAIRN_SERVER, cairnServer, cairnctl, type RunOptions, type RunResult } from './cli';

export type NodeInfo = ClusterNodeEntry;
export type ClusterInfo = ClusterFile;

export class TestCluster {
  private readonly started = new Set<number>();

  private constructor(readonly dir: string) {}

  static async start(options: { nodes: number; partitions?: number; sets?: string[] }): Promise<TestCluster> {
    const cluster = new TestCluster(mkdtempSync(path.join(tmpdir(), 'cairn-test-')));
    const args = ['--nodes', String(options.nodes), ...(options.partitions ? ['--partitions', String(options.partitions)] : [])];
    try {
      await cluster.up([...args, ...(options.sets ?? []).flatMap((s) => ['--set', s])]);
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  get info(): ClusterInfo {
    return JSON.parse(readFileSync(path.join(this.dir, 'cluster.json'), 'utf8')) as ClusterInfo;
  }

  get address(): string {
    return this.info.address;
  }

  node(name: string): NodeInfo {
    const node = this.info.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }

  /** `local up` on this cluster's folder: starts whichever nodes are not running. */
  async up(args: string[] = []): Promise<RunResult> {
    const result = await cairnServer(['local', 'up', '--dir', this.dir, ...args], { timeoutMs: 90_000 });
    if (existsSync(path.join(this.dir, 'cluster.json'))) for (const node of this.info.nodes) if (node.pid) this.started.add(node.pid);
    if (result.code !== 0) throw new Error(`local up failed (${result.code}): ${result.stderr}`);
    return result;
  }

  async down(): Promise<RunResult> {
    return cairnServer(['local', 'down', '--dir', this.dir], { timeoutMs: 30_000 });
  }

  kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): void {
    process.kill(this.node(name).pid, signal);
  }

  ctl(args: string[], options: RunOptions = {}): Promise<RunResult> {
    return cairnctl(args, { ...options, env: { CAIRN_ADDRESS: this.address, ...options.env } });
  }

  async ctlJson<T = any>(args: string[]): Promise<T> {
    const result = await this.ctl([...args, '-o', 'json']);
    if (result.code !== 0) throw new Error(`cairnctl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  /** The partition table, as the metadata store holds it. */
  async partitionTable(): Promise<PartitionTable> {
    const response = await fetch(`${this.node('n1').address}/v1/metadata/partition_table`);
    if (!response.ok) throw new Error(`reading the partition table: HTTP ${response.status}`);
    return ((await response.json()) as { value: PartitionTable }).value;
  }

  /** Stops every process this cluster ever started (by pid), then removes the folder. */
  async destroy(): Promise<void> {
    for (const pid of this.started) {
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + 5_000;
    for (const pid of this.started) {
      while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A process that exited but was not reaped (a zombie) counts as gone. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface NodeProcess {
  pid: number;
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number | null>;
  output(): string;
}

/** Starts one cairn-server process outside `local up` (the caller stops it by pid). */
export function startServer(args: string[]): NodeProcess {
  const child = spawn(process.execPath, [CAIRN_SERVER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { pid: child.pid!, exited, output: () => output };
}

export interface JoiningNode extends NodeProcess {
  address: string;
  ingress: string;
}

/**
 * A node started outside `local up` that joins `cluster` under `name`, with its own data folder and
 * ports (a brand-new machine, say); the caller stops it by pid.
 */
export async function startJoiningNode(cluster: TestCluster, options: { name: string; roles: string; dataDir: string; sets?: string[] }): Promise<JoiningNode> {
  const bind = await freePort();
  let ingress = await freePort();
  while (ingress === bind) ingress = await freePort();
  const settings = [
    `cluster-name=${cluster.info.clusterName}`,
    `metadata-client.addresses=${cluster.node('n1').address}`,
    `node-name=${options.name}`,
    `roles=${options.roles}`,
    `base-dir=${options.dataDir}`,
    `bind-address=127.0.0.1:${bind}`,
    `advertised-address=http://127.0.0.1:${bind}`,
    `ingress.bind-address=127.0.0.1:${ingress}`,
    ...(options.sets ?? []),
  ];
  const node = startServer(settings.flatMap((s) => ['--set', s]));
  return { ...node, address: `http://127.0.0.1:${bind}`, ingress: `http://127.0.0.1:${ingress}` };
}
