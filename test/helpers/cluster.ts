// A real local cluster for a test: `cairn-server local up` in a temporary folder, on the embedded
// metadata store or on etcd members, optionally with TLS and mutual auth; every process it started (nodes and members) is stopped by pid
// when the test is done. Also the waiting every test needs: on an
// observable condition, with a deadline and a message naming what was awaited.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HttpClient, TransportError } from '../../src/api/http-client';
import { epochKey, type PartitionTable, type ProcessorStatus } from '../../src/api/schemas';
import { allocatePorts, NO_DEFAULT_PORT_ENV, readClusterFile, restartEtcdMember, type ClusterFile, type ClusterNodeEntry, type MetadataKind } from '../../src/server/local/cluster';
import type { EtcdMember } from '../../src/server/local/etcd';
import { etcdHealthy } from '../../src/server/metadata/servers';
import { spawn } from 'node:child_process';
import { CAIRN_SERVER, cairnServer, cairnctl, type RunOptions, type RunResult } from './cli';
import type { TestCertificates } from './tls';

export type NodeInfo = ClusterNodeEntry;
export type ClusterInfo = ClusterFile;
export type Processor = ProcessorStatus & { node_id: number };
export type { EtcdMember };

export class TestCluster {
  private readonly started = new Set<number>();
  /** The cluster's admin.token, if it was started with one: the helpers' own API calls send it. */
  private adminToken: string | undefined;
  /** With TLS: the CA and the client certificate the helpers' calls and `ctl` use. */
  private certificates: TestCertificates | undefined;
  private client: HttpClient | undefined;

  private constructor(readonly dir: string) {}

  /** A cluster folder with nothing started yet (`up` starts it). */
  static create(): TestCluster {
    return new TestCluster(mkdtempSync(path.join(tmpdir(), 'cairn-test-')));
  }

  /**
   * `metadata: 'etcd'` puts a real etcd member beside each node (`local up --metadata etcd`); `tls`
   * gives each node its certificate and the CA, so that the nodes speak only TLS and require client
   * certificates (mutual auth); `ctl` and the helpers then present the client certificate.
   */
  static async start(options: { nodes: number; partitions?: number; sets?: string[]; metadata?: MetadataKind; tls?: TestCertificates }): Promise<TestCluster> {
    const cluster = TestCluster.create();
    // CAIRN_TEST_METADATA=etcd runs the tests that do not choose on etcd (npm run test:etcd).
    const metadata = options.metadata ?? (process.env.CAIRN_TEST_METADATA as MetadataKind | undefined);
    cluster.adminToken = options.sets?.find((s) => s.startsWith('admin.token='))?.slice('admin.token='.length);
    cluster.certificates = options.tls;
    const tlsSets = options.tls ? [`tls.cert-file=${options.tls.nodeCert}`, `tls.key-file=${options.tls.nodeKey}`, `tls.ca-file=${options.tls.ca}`] : [];
    const args = [
      '--nodes',
      String(options.nodes),
      ...(options.partitions ? ['--partitions', String(options.partitions)] : []),
      ...(metadata ? ['--metadata', metadata] : []),
    ];
    try {
      await cluster.up([...args, ...[...tlsSets, ...(options.sets ?? [])].flatMap((s) => ['--set', s])]);
      await cluster.settled();
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  get info(): ClusterInfo {
    const info = readClusterFile(this.dir);
    if (!info) throw new Error(`no cluster.json in ${this.dir}: \`local up\` has not run`);
    return info;
  }

  get address(): string {
    return this.info.address;
  }

  node(name: string): NodeInfo {
    const node = this.info.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }

  /** The etcd members beside the nodes, as cluster.json records them (throws on the embedded store). */
  /** `--set` values that point a node started outside `local up` at this cluster's metadata store. */
  metadataClientSettings(): string[] {
    const { metadata } = this.info;
    return metadata.kind === 'etcd'
      ? ['metadata-client.type=etcd', `metadata-client.addresses=${metadata.members.map((m) => m.client_url).join(',')}`]
      : [`metadata-client.addresses=${this.node('n1').address}`];
  }

  etcdMembers(): EtcdMember[] {
    const { metadata } = this.info;
    if (metadata.kind !== 'etcd') throw new Error(`the cluster in ${this.dir} runs on the ${metadata.kind} metadata store, not etcd`);
    return metadata.members;
  }

  etcdMember(name: string): EtcdMember {
    const member = this.etcdMembers().find((m) => m.name === name);
    if (!member) throw new Error(`no etcd member ${name}`);
    return member;
  }

  killEtcdMember(name: string, signal: NodeJS.Signals = 'SIGKILL'): void {
    process.kill(this.etcdMember(name).pid, signal);
  }

  /**
   * Starts a stopped member again with its data (cluster.json gets its new pid). Not waited for:
   * it is healthy only while a majority of members is up; wait with `etcdMemberHealthy` when it should be.
   */
  startEtcdMember(name: string): EtcdMember {
    const member = restartEtcdMember(this.dir, name);
    this.started.add(member.pid);
    return member;
  }

  /** True once the member answers etcd's /health as healthy (it sees a leader). */
  etcdMemberHealthy(name: string): Promise<boolean> {
    return etcdHealthy(this.etcdMember(name).client_url);
  }

  /** `local up` on this cluster's folder: starts whichever nodes (and etcd members) are not running. */
  /** `env` reaches the nodes this call starts (CAIRN_FAILPOINTS, say). */
  async up(args: string[] = [], env: Record<string, string> = {}): Promise<RunResult> {
    // Tests run side by side: none may take 5122, which the user's own `npm run demo` may want.
    const result = await cairnServer(['local', 'up', '--dir', this.dir, ...args], { timeoutMs: 90_000, env: { [NO_DEFAULT_PORT_ENV]: '1', ...env } });
    if (existsSync(path.join(this.dir, 'cluster.json'))) {
      const { nodes, metadata } = this.info;
      for (const { pid } of [...nodes, ...(metadata.kind === 'etcd' ? metadata.members : [])]) if (pid) this.started.add(pid);
    }
    // Also those of a new cluster's discarded attempts (see localUp), should any have survived.
    for (const [, pid] of result.stderr.matchAll(/^started (?:etcd member )?n\d+ \(pid (\d+)\)/gm)) this.started.add(Number(pid));
    if (result.code !== 0) throw new Error(`local up failed (${result.code}): ${result.stderr}`);
    return result;
  }

  async down(): Promise<RunResult> {
    return cairnServer(['local', 'down', '--dir', this.dir], { timeoutMs: 30_000 });
  }

  kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): void {
    process.kill(this.node(name).pid, signal);
  }

  /** SIGSTOPs a node and waits until it has stopped (see pauseProcess). */
  pause(name: string): Promise<void> {
    return pauseProcess(this.node(name).pid);
  }

  ctl(args: string[], options: RunOptions = {}): Promise<RunResult> {
    const token = this.adminToken ? { CAIRN_TOKEN: this.adminToken } : {};
    const tls = this.certificates
      ? { CAIRN_TLS_CA: this.certificates.ca, CAIRN_TLS_CERT: this.certificates.client.cert, CAIRN_TLS_KEY: this.certificates.client.key }
      : {};
    return cairnctl(args, { ...options, env: { CAIRN_ADDRESS: this.address, ...token, ...tls, ...options.env } });
  }

  /** The helpers' client to the nodes' API (with the client certificate when the cluster has TLS). */
  private get http(): HttpClient {
    const certificates = this.certificates;
    this.client ??= new HttpClient({
      connectTimeoutMs: 2_000,
      headers: this.adminToken ? { authorization: `Bearer ${this.adminToken}` } : {},
      tls: certificates && {
        ca: readFileSync(certificates.ca, 'utf8'),
        cert: readFileSync(certificates.client.cert, 'utf8'),
        key: readFileSync(certificates.client.key, 'utf8'),
        rejectUnauthorized: true,
      },
    });
    return this.client;
  }

  async ctlJson<T = any>(args: string[]): Promise<T> {
    const result = await this.ctl([...args, '-o', 'json']);
    if (result.code !== 0) throw new Error(`cairnctl ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  /**
   * A metadata document, as n1 sees it (on the embedded store, n1 holds it); when n1 does not
   * answer (a test killed it), as the next node that answers sees it.
   */
  async metadata<T>(key: string): Promise<T> {
    let unreachable: unknown;
    for (const node of this.info.nodes) {
      let response;
      try {
        response = await this.http.request(`${node.address}/v1/metadata/${key}`, { timeoutMs: 30_000 });
      } catch (err) {
        if (!(err instanceof TransportError)) throw err;
        unreachable = err;
        continue;
      }
      if (response.status !== 200) throw new Error(`reading ${key} from ${node.name}: HTTP ${response.status}`);
      return (JSON.parse(response.body.toString('utf8')) as { value: T }).value;
    }
    throw new Error(`reading ${key}: no node answered (last: ${(unreachable as Error).message})`);
  }

  /** The partition table, as the metadata store holds it. */
  partitionTable(): Promise<PartitionTable> {
    return this.metadata<PartitionTable>('partition_table');
  }

  /** Every partition processor the nodes report (`partitions list`). */
  async processors(): Promise<Processor[]> {
    return (await this.ctlJson<{ processors: Processor[] }>(['partitions', 'list'])).processors;
  }

  /**
   * Waits until every member of every partition's replica set runs an active processor, the
   * leader among them. `local up` returns once each partition has a leader; followers start as
   * their nodes learn the placement (metadata polling), which a test counting replicas must not race.
   */
  async settled(timeoutMs = 30_000): Promise<Processor[]> {
    const table = await this.partitionTable();
    return waitUntil('every replica of every partition to run an active processor', async () => {
      const processors = await this.processors();
      const placements = await Promise.all(table.partitions.map((p) => this.metadata<{ leader: number | null; replica_set: number[] }>(epochKey(p.id))));
      for (const [i, partition] of table.partitions.entries()) {
        const placement = placements[i]!;
        const active = processors.filter((p) => p.partition_id === partition.id && p.status === 'active');
        const running = (id: number, mode: string) => active.some((p) => p.node_id === id && p.mode === mode);
        if (placement.leader === null || !running(placement.leader, 'leader')) return false;
        if (!placement.replica_set.every((id) => id === placement.leader || running(id, 'follower'))) return false;
      }
      return processors;
    }, timeoutMs);
  }

  /** Stops every process this cluster ever started (nodes and etcd members, by pid), then removes the folder. */
  async destroy(): Promise<void> {
    this.client?.destroy();
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
    // CAIRN_TEST_KEEP_DIRS=1 keeps the folder (node logs and data) for a post-mortem of a rare failure.
    if (process.env.CAIRN_TEST_KEEP_DIRS) process.stderr.write(`kept the cluster folder ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
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

/**
 * SIGSTOPs `pid` and waits until every thread of it has stopped. kill() returns before the stop
 * takes effect: the group stop begins only when one of the process's threads next runs, and on a
 * busy machine its other threads can meanwhile answer requests for milliseconds (a test saw a
 * stopped etcd answer a read).
 */
export async function pauseProcess(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  await waitUntil(`pid ${pid} to stop`, async () => allThreadsStopped(pid), 10_000, 5);
}

function allThreadsStopped(pid: number): boolean {
  return readdirSync(`/proc/${pid}/task`).every((thread) => {
    try {
      // The state follows the thread's name, which may itself hold ") ".
      return /^\d+ \(.*\) [tT] /.test(readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8'));
    } catch {
      return true; // the thread ended
    }
  });
}

/**
 * Polls `probe` until it returns something other than undefined or false, and returns that. Past
 * the deadline it throws, naming what was awaited, how long, and the probe's last error (an
 * `expect` inside the probe shows what it saw).
 */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000, intervalMs = 200): Promise<T> {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() - started > timeoutMs) {
      const reason = last ? `; last attempt: ${(last as Error).message}` : '';
      throw new Error(`timed out after ${Date.now() - started} ms waiting for ${what}${reason}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface NodeProcess {
  pid: number;
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number | null>;
  output(): string;
}

/** The exit code of `node`, once it has exited by itself; throws, naming `what`, past the deadline. */
export async function exitCode(node: NodeProcess, what: string, timeoutMs = 20_000): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (pid ${node.pid}); its output:\n${node.output().slice(-2_000)}`)), timeoutMs);
  });
  try {
    return await Promise.race([node.exited, deadline]);
  } finally {
    clearTimeout(timer);
  }
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
  const [bind, ingress] = await allocatePorts(2);
  const settings = [
    `cluster-name=${cluster.info.clusterName}`,
    ...cluster.metadataClientSettings(),
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
