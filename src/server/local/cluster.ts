// `cairn-server local up|down`: a cluster of separate node processes on loopback, each with its own
// config file and data directory under one folder, described by <dir>/cluster.json.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, closeSync, writeFileSync, renameSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { HttpClient, HttpStatusError } from '../../api/http-client';
import { ROLES } from '../../api/schemas';
import { ConfigError, knownKeys, loadConfig, parseSet } from '../config';
import { sleep } from '../sleep';

export interface ClusterNodeEntry {
  name: string;
  pid: number;
  address: string;
  ingress: string;
  dataDir: string;
  config: string;
  log: string;
}

export interface ClusterFile {
  address: string;
  clusterName: string;
  nodes: ClusterNodeEntry[];
}

export interface UpOptions {
  dir: string;
  nodes?: number;
  sets: string[];
  partitions?: number;
  /** Where progress goes (stderr); the CAIRN_ADDRESS line goes to stdout. */
  progress: (line: string) => void;
}

const START_TIMEOUT_MS = 20_000;
const HEALTHY_TIMEOUT_MS = 45_000;
const STOP_TIMEOUT_MS = 10_000;

export class LocalClusterError extends Error {}

export function clusterFilePath(dir: string): string {
  return path.join(dir, 'cluster.json');
}

export function readClusterFile(dir: string): ClusterFile | undefined {
  const file = clusterFilePath(dir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as ClusterFile;
}

function writeClusterFile(dir: string, cluster: ClusterFile): void {
  const file = clusterFilePath(dir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(cluster, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True if `pid` is a running cairn-server started with `configPath` (not a recycled pid, not a
 *  zombie: a zombie's command line is empty). */
export function isNodeRunning(pid: number, configPath: string): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(configPath);
  } catch {
    return true;
  }
}

function setNested(doc: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = doc;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

function applySets(configFile: string, sets: string[]): void {
  if (sets.length === 0) return;
  const doc = parseToml(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  for (const set of sets) {
    const { key, value } = parseSet(set);
    setNested(doc, key, value);
  }
  writeFileSync(configFile, stringifyToml(doc));
}

async function createNodes(dir: string, count: number, partitions: number | undefined): Promise<ClusterFile> {
  const nodes: ClusterNodeEntry[] = [];
  const ports: number[] = [];
  while (ports.length < count * 2) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const metadataAddress = `http://127.0.0.1:${ports[0]}`;
  for (let i = 0; i < count; i++) {
    const name = `n${i + 1}`;
    const nodeDir = path.join(dir, name);
    mkdirSync(nodeDir, { recursive: true });
    const address = `http://127.0.0.1:${ports[i * 2]}`;
    const ingress = `127.0.0.1:${ports[i * 2 + 1]}`;
    const config = path.join(nodeDir, 'config.toml');
    const doc = {
      'cluster-name': 'local',
      'node-name': name,
      // n1 is N1 and so on, whatever order the processes register in.
      'force-node-id': i + 1,
      'base-dir': path.join(nodeDir, 'data'),
      'bind-address': `127.0.0.1:${ports[i * 2]}`,
      'advertised-address': address,
      // The embedded metadata store runs on the first node only (see README, "Metadata store").
      roles: ROLES.filter((role) => role !== 'metadata-server' || i === 0),
      'default-replication': Math.min(2, count),
      'default-num-partitions': partitions ?? 4,
      ingress: { 'bind-address': ingress },
      'metadata-client': { addresses: [metadataAddress] },
      // One snapshot repository for the whole local cluster, as an object store would be.
      worker: { snapshots: { destination: pathToFileURL(path.join(dir, 'snapshots')).href } },
    };
    writeFileSync(config, `# Written by \`cairn-server local up\`; \`local up --set KEY=VALUE\` edits it.\n${stringifyToml(doc)}`);
    nodes.push({ name, pid: 0, address, ingress: `http://${ingress}`, dataDir: doc['base-dir'], config, log: path.join(nodeDir, 'server.log') });
  }
  return { address: nodes.map((n) => n.address).join(','), clusterName: 'local', nodes };
}

function tail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export function serverLauncher(): string {
  // The bundle lives in dist/; the launcher in bin/.
  return path.join(__dirname, '..', 'bin', 'cairn-server');
}

export function startNodeProcess(entry: Pick<ClusterNodeEntry, 'config' | 'log'>, extraArgs: string[] = []): number {
  const log = openSync(entry.log, 'a');
  const child = spawn(process.execPath, [serverLauncher(), '--config', entry.config, ...extraArgs], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  if (!child.pid) throw new LocalClusterError(`could not start a node process for ${entry.config}`);
  return child.pid;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, onTimeout: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((err) => {
      if (err instanceof LocalClusterError) throw err;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new LocalClusterError(`${what} did not happen within ${timeoutMs / 1000}s\n${onTimeout()}`);
    await sleep(150);
  }
}

export async function localUp(options: UpOptions): Promise<ClusterFile> {
  const dir = path.resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const known = knownKeys();
  for (const set of options.sets) {
    const { key } = parseSet(set);
    if (!known.includes(key)) throw new ConfigError([`unknown key '${key}' in --set ${set}; known keys: ${known.join(', ')}`]);
  }

  let cluster = readClusterFile(dir);
  if (cluster && options.nodes !== undefined && options.nodes !== cluster.nodes.length) {
    throw new LocalClusterError(
      `${dir} already holds a ${cluster.nodes.length}-node cluster; --nodes ${options.nodes} does not match (use another --dir for a new cluster)`,
    );
  }
  cluster ??= await createNodes(dir, options.nodes ?? 3, options.partitions);
  // Validating each node's config here fails fast, naming the key, rather than in a child process.
  const configs = cluster.nodes.map((node) => {
    applySets(node.config, options.sets);
    return loadConfig({ file: node.config });
  });

  // The admin API of a cluster with admin.token set wants it from `local up` as from any client.
  const adminToken = configs[0]!.adminToken;
  const http = new HttpClient({ connectTimeoutMs: 1_000, headers: adminToken ? { authorization: `Bearer ${adminToken}` } : {} });
  try {
    const started: ClusterNodeEntry[] = [];
    for (const node of cluster.nodes) {
      if (isNodeRunning(node.pid, node.config)) continue;
      node.pid = startNodeProcess(node);
      started.push(node);
      options.progress(`started ${node.name} (pid ${node.pid}) at ${node.address}, log ${node.log}`);
    }
    writeClusterFile(dir, cluster);

    for (const node of started) {
      await waitFor(
        `${node.name} listening at ${node.address}`,
        START_TIMEOUT_MS,
        async () => {
          if (!isNodeRunning(node.pid, node.config)) {
            throw new LocalClusterError(`${node.name} (pid ${node.pid}) exited during start-up; last lines of ${node.log}:\n${tail(node.log)}`);
          }
          return (await http.call(node.address, 'health', { timeoutMs: 1_000 })) ? true : undefined;
        },
        () => tail(node.log),
      );
    }

    const first = cluster.nodes[0]!;
    try {
      await http.call(first.address, 'provision', { body: {}, timeoutMs: 10_000 });
      options.progress(`provisioned the cluster through ${first.name}`);
    } catch (err) {
      if (!(err instanceof HttpStatusError && err.code === 'ALREADY_PROVISIONED')) throw err;
    }

    await waitFor(
      'every node joining, every log being created and every partition getting a leader',
      HEALTHY_TIMEOUT_MS,
      async () => {
        for (const node of cluster!.nodes) {
          if (!isNodeRunning(node.pid, node.config)) {
            throw new LocalClusterError(`${node.name} (pid ${node.pid}) has exited; last lines of ${node.log}:\n${tail(node.log)}`);
          }
        }
        const logs = await http.call(first.address, 'metadataGet', { params: { key: 'bifrost_config' }, timeoutMs: 1_000 });
        const table = await http.call(first.address, 'metadataGet', { params: { key: 'partition_table' }, timeoutMs: 1_000 });
        const logCount = (logs.value as { logs: unknown[] }).logs.length;
        const partitionCount = (table.value as { partitions: unknown[] }).partitions.length;
        if (logCount < partitionCount) return undefined;
        // Healthy: every node alive and aware of every log, and every partition led by an active processor.
        const idents = await Promise.all(cluster!.nodes.map((n) => http.call(n.address, 'ident', { timeoutMs: 1_000 })));
        if (!idents.every((ident) => ident.status === 'alive' && (ident.metadata_versions.bifrost_config ?? 0) >= logs.version)) return undefined;
        const led = new Set(idents.flatMap((i) => i.partitions).filter((p) => p.mode === 'leader' && p.status === 'active').map((p) => p.partition_id));
        return led.size >= partitionCount ? true : undefined;
      },
      () => cluster!.nodes.map((n) => `--- ${n.name} (${n.log})\n${tail(n.log, 4)}`).join('\n'),
    );
    return cluster;
  } finally {
    await http.close();
  }
}

export interface DownResult {
  stopped: string[];
  alreadyStopped: string[];
}

export async function localDown(dirOption: string): Promise<DownResult> {
  const dir = path.resolve(dirOption);
  const cluster = readClusterFile(dir);
  if (!cluster) throw new LocalClusterError(`no cluster in ${dir} (${clusterFilePath(dir)} does not exist)`);
  const result: DownResult = { stopped: [], alreadyStopped: [] };
  const running = cluster.nodes.filter((node) => isNodeRunning(node.pid, node.config));
  for (const node of cluster.nodes) if (!running.includes(node)) result.alreadyStopped.push(node.name);
  for (const node of running) process.kill(node.pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  for (const node of running) {
    while (isNodeRunning(node.pid, node.config) && Date.now() < deadline) await sleep(50);
    if (isNodeRunning(node.pid, node.config)) process.kill(node.pid, 'SIGKILL');
    result.stopped.push(node.name);
  }
  return result;
}
