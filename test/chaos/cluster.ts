// The cluster under test: `cairn-server local up` in a temporary folder, on the embedded metadata
// store or with an etcd member beside each node, the processes it started (nodes and members,
// signalled by pid), the tmpfs mounts of the disk-full fault, cairnctl and the node API. Cleanup is
// synchronous so that it also runs from a signal handler or an exit hook: every process is killed
// by pid, every mount unmounted, the folder removed.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { HttpClient } from '../../src/api/http-client';
import type { Logs, PartitionTable } from '../../src/api/schemas';
import { NO_DEFAULT_PORT_ENV, type ClusterFile, type ClusterNodeEntry, type MetadataKind } from '../../src/server/local/cluster';
import type { EtcdMember } from '../../src/server/local/etcd';
import { etcdIsLeader } from '../../src/server/metadata/servers';
import { cairnctl, cairnServer, type RunResult } from '../helpers/cli';

export type ChaosNode = ClusterNodeEntry;

export interface CtlResult {
  ok: boolean;
  code: number | null;
  json: unknown;
  error: string;
}

const LOCAL_UP_TIMEOUT_MS = 120_000;

export class ChaosCluster {
  readonly http = new HttpClient({ connectTimeoutMs: 1_000 });
  private readonly pids = new Set<number>();
  private readonly mounts: string[] = [];
  private readonly paused = new Set<string>();
  private cleaned = false;
  private file: ClusterFile | undefined;

  private constructor(
    readonly dir: string,
    readonly nodeCount: number,
    private readonly sets: string[],
    readonly metadataKind: MetadataKind,
  ) {}

  static create(nodeCount: number, sets: string[], metadataKind: MetadataKind = 'embedded'): ChaosCluster {
    return new ChaosCluster(mkdtempSync(path.join(tmpdir(), 'cairn-chaos-')), nodeCount, sets, metadataKind);
  }

  /** `local up` names nodes n1..nN and puts node n's data in <dir>/n<i>/data. */
  nodeNames(): string[] {
    return Array.from({ length: this.nodeCount }, (_, i) => `n${i + 1}`);
  }

  /** Nodes that do not serve the metadata store (its loss stops every metadata change). */
  nodesWithoutMetadata(): string[] {
    return this.nodes.filter((node) => !(parseToml(readFileSync(node.config, 'utf8')).roles as string[]).includes('metadata-server')).map((node) => node.name);
  }

  dataDir(name: string): string {
    return path.join(this.dir, name, 'data');
  }

  /** Gives a node's data folder its own small tmpfs, before the node ever starts. */
  mountTmpfs(name: string, size: string): string {
    const target = this.dataDir(name);
    mkdirSync(target, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', target], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.mounts.push(target);
    return target;
  }

  /** cluster.json as of the last `local up` (pids change only then). */
  get info(): ClusterFile {
    this.file ??= JSON.parse(readFileSync(path.join(this.dir, 'cluster.json'), 'utf8')) as ClusterFile;
    return this.file;
  }

  get nodes(): ChaosNode[] {
    return this.info.nodes;
  }

  node(name: string): ChaosNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node ${name} in ${this.dir}/cluster.json`);
    return node;
  }

  /** The etcd members beside the nodes (none on the embedded store). */
  get etcdMembers(): EtcdMember[] {
    const { metadata } = this.info;
    return metadata.kind === 'etcd' ? metadata.members : [];
  }

  etcdMember(name: string): EtcdMember {
    const member = this.etcdMembers.find((m) => m.name === name);
    if (!member) throw new Error(`no etcd member ${name} in ${this.dir}/cluster.json`);
    return member;
  }

  /** The name of the member that says it is etcd's raft leader, if one does. */
  async etcdLeader(): Promise<string | undefined> {
    const running = this.etcdMembers.filter((m) => isOurProcess(m.pid, this.dir));
    const leaders = await Promise.all(running.map((m) => etcdIsLeader(m.client_url)));
    return running.find((_, i) => leaders[i])?.name;
  }

  /**
   * The first `local up` creates the cluster; later ones start whichever nodes and etcd members are
   * down.
   */
  async up(): Promise<RunResult> {
    const first = !existsSync(path.join(this.dir, 'cluster.json'));
    const args = ['local', 'up', '--dir', this.dir];
    if (first) args.push('--nodes', String(this.nodeCount), '--metadata', this.metadataKind, ...this.sets.flatMap((s) => ['--set', s]));
    // Never the default port: while n1 is down another process could take it, and n1 would not start.
    const result = await cairnServer(args, { timeoutMs: LOCAL_UP_TIMEOUT_MS, env: { [NO_DEFAULT_PORT_ENV]: '1' } });
    this.file = undefined;
    if (existsSync(path.join(this.dir, 'cluster.json'))) for (const { pid } of [...this.nodes, ...this.etcdMembers]) if (pid) this.pids.add(pid);
    if (first && result.code !== 0) throw new Error(`local up failed (exit ${result.code}):\n${result.stderr}`);
    return result;
  }

  isRunning(name: string): boolean {
    return isOurProcess(this.node(name).pid, this.dir);
  }

  kill(name: string): number {
    const { pid } = this.node(name);
    signal(pid, 'SIGKILL');
    this.paused.delete(name);
    return pid;
  }

  /** kill -9 of the etcd member beside node `name`. */
  killEtcdMember(name: string): number {
    const { pid } = this.etcdMember(name);
    signal(pid, 'SIGKILL');
    return pid;
  }

  pause(name: string): number {
    const { pid } = this.node(name);
    signal(pid, 'SIGSTOP');
    this.paused.add(name);
    return pid;
  }

  resume(name: string): number {
    const { pid } = this.node(name);
    signal(pid, 'SIGCONT');
    this.paused.delete(name);
    return pid;
  }

  resumeAll(): string[] {
    const names = [...this.paused];
    for (const name of names) this.resume(name);
    return names;
  }

  ingress(name: string): string {
    return this.node(name).ingress;
  }

  /** `cairnctl <args> -o json` against the whole cluster (a change passes its own --yes). */
  async ctl(args: string[]): Promise<CtlResult> {
    const result = await cairnctl([...args, '-o', 'json'], { env: { CAIRN_ADDRESS: this.info.address }, timeoutMs: 60_000 });
    let json: unknown;
    try {
      json = JSON.parse(result.stdout);
    } catch {
      json = undefined;
    }
    const lines = result.stderr.trim().split('\n');
    const error = (lines.find((line) => line.startsWith('error:')) ?? lines[0] ?? '').replace(/^error:\s*/, '');
    return { ok: result.code === 0, code: result.code, json, error: result.code === 0 ? '' : error || `exit ${result.code ?? result.signal}` };
  }

  /** The freshest copy of a metadata document among the nodes that answer. */
  async metadata<T>(key: 'bifrost_config' | 'partition_table'): Promise<T> {
    const answers = await Promise.allSettled(this.nodes.map((n) => this.http.call(n.address, 'metadataGet', { params: { key }, timeoutMs: 2_000 })));
    const copies = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    if (!copies.length) throw new Error(`no node answered with ${key}`);
    return copies.sort((a, b) => b.version - a.version)[0]!.value as T;
  }

  logs(): Promise<Logs> {
    return this.metadata<Logs>('bifrost_config');
  }

  partitionTable(): Promise<PartitionTable> {
    return this.metadata<PartitionTable>('partition_table');
  }

  /** Copies a tmpfs-backed data folder to disk (for --keep) before it is unmounted. */
  private preserveMounts(): void {
    for (const mount of this.mounts) cpSync(mount, `${mount}.kept`, { recursive: true });
  }

  /** Kills every process this run started (nodes and etcd members), unmounts, and removes the folder unless `keep`. */
  cleanup(keep: boolean): string[] {
    if (this.cleaned) return [];
    this.cleaned = true;
    const problems: string[] = [];
    this.http.destroy();
    for (const pid of this.pids) {
      if (!isOurProcess(pid, this.dir)) continue;
      signal(pid, 'SIGCONT');
      signal(pid, 'SIGKILL');
    }
    const deadline = Date.now() + 10_000;
    for (const pid of this.pids) while (isOurProcess(pid, this.dir) && Date.now() < deadline) sleepSync(20);
    for (const pid of this.pids) if (isOurProcess(pid, this.dir)) problems.push(`pid ${pid} did not exit`);
    if (keep) {
      try {
        this.preserveMounts();
      } catch (err) {
        problems.push(`could not copy the tmpfs data out: ${(err as Error).message}`);
      }
    }
    for (const mount of this.mounts.splice(0)) {
      try {
        execFileSync('umount', [mount], { stdio: 'ignore' });
      } catch {
        try {
          execFileSync('umount', ['-l', mount], { stdio: 'ignore' });
        } catch (err) {
          problems.push(`could not unmount ${mount}: ${(err as Error).message}`);
        }
      }
    }
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
    return problems;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** A live (not zombie) process whose command line names this cluster's folder: never a recycled pid. */
function isOurProcess(pid: number, dir: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
