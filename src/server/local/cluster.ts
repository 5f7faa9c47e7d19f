// `cairn-server local up|down`: a cluster of separate node processes on loopback, each with its own
// config file and data directory under one folder, described by <dir>/cluster.json; with
// `--metadata etcd`, a real etcd member beside each node holds the cluster's metadata.
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, closeSync, writeFileSync, renameSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { HttpClient, HttpStatusError } from '../../api/http-client';
import { ROLES } from '../../api/schemas';
import { ConfigError, knownKeys, loadConfig, loadNodeTls, parseSet } from '../config';
import { sleep } from '../sleep';
import { etcdHealthy, etcdIsLeader } from '../metadata/servers';
import { etcdBinary, isEtcdMemberRunning, startEtcdMember, type EtcdMember } from './etcd';
import { runsWith } from './process';

export interface ClusterNodeEntry {
  name: string;
  pid: number;
  address: string;
  ingress: string;
  dataDir: string;
  config: string;
  log: string;
}

export const METADATA_KINDS = ['embedded', 'etcd'] as const;
export type MetadataKind = (typeof METADATA_KINDS)[number];

/** Where the cluster's metadata lives: the embedded store on n1, or an etcd member beside each node. */
export type ClusterMetadata = { kind: 'embedded' } | { kind: 'etcd'; members: EtcdMember[] };

export interface ClusterFile {
  address: string;
  clusterName: string;
  metadata: ClusterMetadata;
  nodes: ClusterNodeEntry[];
}

export interface UpOptions {
  dir: string;
  nodes?: number;
  sets: string[];
  partitions?: number;
  /** The metadata store of a new cluster (default embedded); for an existing one, it must match. */
  metadata?: MetadataKind;
  /** Where progress goes (stderr); the CAIRN_ADDRESS line goes to stdout. */
  progress: (line: string) => void;
}

const START_TIMEOUT_MS = 20_000;
const HEALTHY_TIMEOUT_MS = 45_000;
const ETCD_HEALTHY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export class LocalClusterError extends Error {}

/** A node could not listen on its port: something else took it after it was chosen. */
class PortTakenError extends LocalClusterError {
  constructor(
    message: string,
    readonly port: number,
  ) {
    super(message);
  }
}

/** How often a new cluster is started over on other ports when one of them was taken meanwhile. */
const NEW_CLUSTER_ATTEMPTS = 3;
const SNAPSHOTS_FOLDER = 'snapshots';

export function clusterFilePath(dir: string): string {
  return path.join(dir, 'cluster.json');
}

export function readClusterFile(dir: string): ClusterFile | undefined {
  const file = clusterFilePath(dir);
  if (!existsSync(file)) return undefined;
  const cluster = JSON.parse(readFileSync(file, 'utf8')) as Omit<ClusterFile, 'metadata'> & { metadata?: ClusterMetadata };
  // Clusters made before etcd support have no `metadata`: theirs is the embedded store.
  return { ...cluster, metadata: cluster.metadata ?? { kind: 'embedded' } };
}

function writeClusterFile(dir: string, cluster: ClusterFile): void {
  const file = clusterFilePath(dir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(cluster, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/**
 * cairnctl's default address (`DEFAULT_ADDRESS` in src/cli/program.ts): a new local cluster's n1
 * takes this port when it is free, so that `cairnctl` works right after `npm run demo` without
 * exporting CAIRN_ADDRESS.
 */
export const CLI_DEFAULT_PORT = 5122;
/** Set (to anything but empty or 0), a new local cluster never takes CLI_DEFAULT_PORT: tests run
 *  clusters side by side and must leave it to the user's demo. */
export const NO_DEFAULT_PORT_ENV = 'CAIRN_LOCAL_NO_DEFAULT_PORT';

/** Ports below this are left alone: well-known services, cairn's own defaults (5122, ingress 8080). */
const LOWEST_PORT = 10_000;
const HIGHEST_PORT = 65_535;
const EPHEMERAL_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';
/** Linux's default ephemeral range starts at 32768 and macOS's ends at 65535; without the proc file
 *  we avoid both. */
const FALLBACK_EPHEMERAL: [number, number] = [32_768, HIGHEST_PORT];

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync(EPHEMERAL_RANGE_FILE, 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low! <= high!) return [low!, high!];
  } catch {
    // not Linux
  }
  return FALLBACK_EPHEMERAL;
}

/** The [from, to] ranges the allocator draws from: LOWEST_PORT..65535 minus the ephemeral range
 *  (all of it, should the ephemeral range cover everything). */
export function allocatablePortRanges(ephemeral = ephemeralRange()): Array<[number, number]> {
  const [low, high] = ephemeral;
  const ranges: Array<[number, number]> = [];
  if (low - 1 >= LOWEST_PORT) ranges.push([LOWEST_PORT, low - 1]);
  if (high + 1 <= HIGHEST_PORT) ranges.push([Math.max(LOWEST_PORT, high + 1), HIGHEST_PORT]);
  return ranges.length ? ranges : [[LOWEST_PORT, HIGHEST_PORT]];
}

/** True if 127.0.0.1:`port` can be listened on right now. */
export function bindsOnLoopback(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Ports this process has handed out already; never handed out twice. */
const handedOut = new Set<number>();

/**
 * `count` distinct ports on 127.0.0.1 for node processes that bind them later.
 *
 * Why not port 0: a port the kernel chose, closed and bound again seconds later comes from the
 * ephemeral range (ip_local_port_range, 32768-60999 here), which is also where every outgoing TCP
 * connection on the machine takes its local port; tests open thousands of them, so such a port is
 * often taken by the time the node binds it. We draw instead at random from the ports outside the
 * ephemeral range (from 10000 up: below it and above it), keep those that bind now, and never hand
 * out one twice in a process. Another process drawing the same port in the same few seconds is
 * unlikely (a few ports in flight among some 27000) and not impossible: `local up` recovers from
 * that for a new cluster by choosing again (see localUp).
 */
export async function allocatePorts(count: number): Promise<number[]> {
  const ranges = allocatablePortRanges();
  const size = ranges.reduce((total, [from, to]) => total + to - from + 1, 0);
  const pick = () => {
    let offset = Math.floor(Math.random() * size);
    for (const [from, to] of ranges) {
      if (offset <= to - from) return from + offset;
      offset -= to - from + 1;
    }
    throw new Error('unreachable: offset within the ranges');
  };
  const ports: number[] = [];
  const maxTries = count * 20 + 100;
  for (let tries = 0; ports.length < count; tries++) {
    if (tries >= maxTries) {
      const where = ranges.map(([from, to]) => `${from}-${to}`).join(', ');
      throw new LocalClusterError(`found only ${ports.length} of ${count} free ports on 127.0.0.1 in ${where} after ${tries} tries; free some ports or stop other clusters`);
    }
    const port = pick();
    if (handedOut.has(port) || !(await bindsOnLoopback(port))) continue;
    handedOut.add(port);
    ports.push(port);
  }
  return ports;
}

/** True if `pid` is still the cairn-server started with `configPath`. */
export function isNodeRunning(pid: number, configPath: string): boolean {
  return runsWith(pid, configPath);
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

/** `{node}` in a --set value: the node's name, for settings that differ per node (its TLS certificate). */
const NODE_PLACEHOLDER = '{node}';

function applySets(node: Pick<ClusterNodeEntry, 'name' | 'config'>, sets: string[]): void {
  if (sets.length === 0) return;
  const doc = parseToml(readFileSync(node.config, 'utf8')) as Record<string, unknown>;
  for (const set of sets) {
    const { key, value } = parseSet(set);
    setNested(doc, key, value.replaceAll(NODE_PLACEHOLDER, node.name));
  }
  writeFileSync(node.config, stringifyToml(doc));
}

/** A new cluster's nodes speak TLS when the --set values give them a certificate. */
function schemeOf(sets: string[]): 'http' | 'https' {
  return sets.some((set) => parseSet(set).key === 'tls.cert-file') ? 'https' : 'http';
}

/** Node folders, configs and ports of a new cluster (and, for etcd, its members' folders and
 *  ports); n1 listens on CLI_DEFAULT_PORT when `useDefaultPort` and that port is free. */
async function createNodes(
  dir: string,
  count: number,
  partitions: number | undefined,
  kind: MetadataKind,
  useDefaultPort: boolean,
  scheme: 'http' | 'https',
): Promise<ClusterFile> {
  const nodes: ClusterNodeEntry[] = [];
  const takeDefault = useDefaultPort && (await bindsOnLoopback(CLI_DEFAULT_PORT));
  // Two per node: the node's listener, then its ingress; then, for etcd, a client and a peer port per member.
  const ports = await allocatePorts(count * (kind === 'etcd' ? 4 : 2) - (takeDefault ? 1 : 0));
  if (takeDefault) ports.unshift(CLI_DEFAULT_PORT);
  const memberPorts = ports.splice(count * 2);
  const members: EtcdMember[] = memberPorts.length
    ? Array.from({ length: count }, (_, i) => {
        const nodeDir = path.join(dir, `n${i + 1}`);
        return {
          name: `n${i + 1}`,
          pid: 0,
          client_url: `http://127.0.0.1:${memberPorts[i * 2]}`,
          peer_url: `http://127.0.0.1:${memberPorts[i * 2 + 1]}`,
          data_dir: path.join(nodeDir, 'etcd'),
          log: path.join(nodeDir, 'etcd.log'),
        };
      })
    : [];
  const metadataClient = kind === 'etcd' ? { type: 'etcd', addresses: members.map((m) => m.client_url) } : { addresses: [`${scheme}://127.0.0.1:${ports[0]}`] };
  for (let i = 0; i < count; i++) {
    const name = `n${i + 1}`;
    const nodeDir = path.join(dir, name);
    mkdirSync(nodeDir, { recursive: true });
    const address = `${scheme}://127.0.0.1:${ports[i * 2]}`;
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
      // The embedded metadata store runs on the first node only (see README, "Metadata store");
      // with etcd, no node serves one.
      roles: ROLES.filter((role) => role !== 'metadata-server' || (kind === 'embedded' && i === 0)),
      'default-replication': Math.min(2, count),
      'default-num-partitions': partitions ?? 4,
      ingress: { 'bind-address': ingress },
      'metadata-client': metadataClient,
      // One snapshot repository for the whole local cluster, as an object store would be.
      worker: { snapshots: { destination: pathToFileURL(path.join(dir, SNAPSHOTS_FOLDER)).href } },
    };
    writeFileSync(config, `# Written by \`cairn-server local up\`; \`local up --set KEY=VALUE\` edits it.\n${stringifyToml(doc)}`);
    nodes.push({ name, pid: 0, address, ingress: `http://${ingress}`, dataDir: doc['base-dir'], config, log: path.join(nodeDir, 'server.log') });
  }
  const metadata: ClusterMetadata = kind === 'etcd' ? { kind, members } : { kind };
  return { address: nodes.map((n) => n.address).join(','), clusterName: 'local', metadata, nodes };
}

function tail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** What `file` gained from byte `offset` on. */
function logSince(file: string, offset: number): string {
  try {
    return readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

/** A process `local up` starts: a node, or an etcd member. */
interface LocalProcess {
  /** How messages name it: "n2", "etcd member n2". */
  label: string;
  pid: number;
  log: string;
}

const nodeProcess = (node: ClusterNodeEntry): LocalProcess => ({ label: node.name, pid: node.pid, log: node.log });
const memberProcess = (member: EtcdMember): LocalProcess => ({ label: `etcd member ${member.name}`, pid: member.pid, log: member.log });

/** How a node (Node's EADDRINUSE) or etcd (Go's "bind: address already in use") says its port was taken. */
const PORT_TAKEN = /EADDRINUSE\b[^\n]*?:(\d+)|listen tcp [^\s"]+:(\d+): bind: address already in use/;

/**
 * Why a process is not running: its port was taken (in what its log gained since `logOffset`, the
 * log's size when we started it), or whatever the last lines of its log say.
 */
function exitError(proc: LocalProcess, what: string, logOffset: number | undefined): LocalClusterError {
  const taken = logOffset === undefined ? null : PORT_TAKEN.exec(logSince(proc.log, logOffset));
  if (taken) {
    const port = taken[1] ?? taken[2];
    return new PortTakenError(
      `${proc.label} (pid ${proc.pid}) ${what}: 127.0.0.1:${port} was taken by another process (choose another port, or stop what listens there)`,
      Number(port),
    );
  }
  return new LocalClusterError(`${proc.label} (pid ${proc.pid}) ${what}; last lines of ${proc.log}:\n${tail(proc.log)}`);
}

const logSize = (file: string) => (existsSync(file) ? statSync(file).size : 0);

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
  const known = knownKeys();
  for (const set of options.sets) {
    const { key } = parseSet(set);
    if (!known.includes(key)) throw new ConfigError([`unknown key '${key}' in --set ${set}; known keys: ${known.join(', ')}`]);
  }

  const existing = readClusterFile(dir);
  if (existing) {
    if (options.nodes !== undefined && options.nodes !== existing.nodes.length) {
      throw new LocalClusterError(
        `${dir} already holds a ${existing.nodes.length}-node cluster; --nodes ${options.nodes} does not match (use another --dir for a new cluster)`,
      );
    }
    if (options.metadata !== undefined && options.metadata !== existing.metadata.kind) {
      throw new LocalClusterError(
        `${dir} holds a cluster whose metadata store is ${existing.metadata.kind}; --metadata ${options.metadata} does not match (a cluster keeps its metadata store: leave out --metadata, or use another --dir for a new ${options.metadata} cluster)`,
      );
    }
    return startCluster(dir, existing, options);
  }

  const kind = options.metadata ?? 'embedded';
  // No etcd binary: fail before anything is written or started.
  if (kind === 'etcd') etcdBinary();
  mkdirSync(dir, { recursive: true });

  // A new cluster whose node lost a port to another process between our check and its bind starts
  // over with new ports: it holds no data yet, so its folders are simply discarded.
  let useDefaultPort = !process.env[NO_DEFAULT_PORT_ENV] || process.env[NO_DEFAULT_PORT_ENV] === '0';
  for (let attempt = 1; ; attempt++) {
    const cluster = await createNodes(dir, options.nodes ?? 3, options.partitions, kind, useDefaultPort, schemeOf(options.sets));
    try {
      return await startCluster(dir, cluster, options);
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= NEW_CLUSTER_ATTEMPTS) throw err;
      options.progress(`${err.message}; starting the new cluster again on other ports (attempt ${attempt + 1} of ${NEW_CLUSTER_ATTEMPTS})`);
      if (err.port === CLI_DEFAULT_PORT) useDefaultPort = false;
      await discardNewCluster(dir, cluster);
    }
  }
}

/** Stops a new cluster's processes by pid and removes everything it wrote under `dir`. */
async function discardNewCluster(dir: string, cluster: ClusterFile): Promise<void> {
  const { nodes, members } = clusterProcesses(cluster);
  await stopProcesses([...nodes, ...members], 'SIGKILL');
  for (const node of cluster.nodes) rmSync(path.dirname(node.config), { recursive: true, force: true });
  rmSync(path.join(dir, SNAPSHOTS_FOLDER), { recursive: true, force: true });
  rmSync(clusterFilePath(dir), { force: true });
}

/** Identifies a new cluster's members to each other; derived from its folder, so that a member
 *  restarted later without its data presents the same one. */
function etcdClusterToken(dir: string): string {
  return `cairn-local-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}`;
}

/** Starts whichever members are not running and waits until every member is healthy (has a leader). */
async function startEtcdMembers(dir: string, cluster: ClusterFile, members: EtcdMember[], progress: (line: string) => void): Promise<void> {
  const logOffsets = new Map<string, number>();
  for (const member of members) {
    if (isEtcdMemberRunning(member)) continue;
    logOffsets.set(member.name, logSize(member.log));
    member.pid = startEtcdMember(member, members, etcdClusterToken(dir));
    progress(`started etcd member ${member.name} (pid ${member.pid}) at ${member.client_url}, log ${member.log}`);
  }
  // Written at once, so that `local down` (or a test) finds every pid even if the wait fails.
  writeClusterFile(dir, cluster);
  await waitFor(
    `every etcd member (${members.map((m) => m.name).join(', ')}) answering healthy`,
    ETCD_HEALTHY_TIMEOUT_MS,
    async () => {
      for (const member of members) if (!isEtcdMemberRunning(member)) throw exitError(memberProcess(member), 'has exited', logOffsets.get(member.name));
      const health = await Promise.all(members.map((m) => etcdHealthy(m.client_url)));
      return health.every(Boolean) ? true : undefined;
    },
    () => members.map((m) => `--- etcd member ${m.name} (${m.log})\n${tail(m.log, 4)}`).join('\n'),
  );
}

/**
 * Restarts one etcd member that is not running (tests take members down and bring them back); it
 * rejoins with its data. Not waited for: alone, it is healthy only once a majority is up.
 */
export function restartEtcdMember(dirOption: string, name: string): EtcdMember {
  const dir = path.resolve(dirOption);
  const cluster = readClusterFile(dir);
  if (cluster?.metadata.kind !== 'etcd') throw new LocalClusterError(`no etcd cluster in ${dir} (${clusterFilePath(dir)} names no etcd members)`);
  const member = cluster.metadata.members.find((m) => m.name === name);
  if (!member) throw new LocalClusterError(`no etcd member ${name} in ${dir}; members: ${cluster.metadata.members.map((m) => m.name).join(', ')}`);
  if (isEtcdMemberRunning(member)) throw new LocalClusterError(`etcd member ${name} is running already (pid ${member.pid})`);
  member.pid = startEtcdMember(member, cluster.metadata.members, etcdClusterToken(dir));
  writeClusterFile(dir, cluster);
  return member;
}

/** Starts whichever of the cluster's nodes are not running, provisions it once, and waits until it
 *  is healthy. */
async function startCluster(dir: string, cluster: ClusterFile, options: UpOptions): Promise<ClusterFile> {
  // Validating each node's config here fails fast, naming the key, rather than in a child process.
  const configs = cluster.nodes.map((node) => {
    applySets(node, options.sets);
    const config = loadConfig({ file: node.config });
    // Addresses (cluster.json, each node's metadata-client) carry the scheme the cluster was made with.
    if (!!config.tls !== node.address.startsWith('https://')) {
      throw new LocalClusterError(
        `${node.name} ${config.tls ? 'has tls.cert-file set' : 'has no tls.cert-file'}, but the cluster in ${dir} was created ${config.tls ? 'without' : 'with'} TLS (its addresses are ${node.address.split(':')[0]}://); a local cluster cannot switch: use another --dir for a new cluster`,
      );
    }
    return config;
  });

  // The admin API of a cluster with admin.token set wants it from `local up` as from any client.
  // The store first: a node without its metadata store cannot start.
  if (cluster.metadata.kind === 'etcd') await startEtcdMembers(dir, cluster, cluster.metadata.members, options.progress);

  const { adminToken, tls } = configs[0]!;
  // With TLS, `local up` calls the nodes as n1 does: with n1's certificate, trusting its CA.
  const http = new HttpClient({ connectTimeoutMs: 1_000, headers: adminToken ? { authorization: `Bearer ${adminToken}` } : {}, tls: tls && loadNodeTls(tls).client });
  try {
    const started: ClusterNodeEntry[] = [];
    /** Where each log stood when we started its node: what follows is this start's. */
    const logOffsets = new Map<string, number>();
    for (const node of cluster.nodes) {
      if (isNodeRunning(node.pid, node.config)) continue;
      logOffsets.set(node.name, logSize(node.log));
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
          if (!isNodeRunning(node.pid, node.config)) throw exitError(nodeProcess(node), 'exited during start-up', logOffsets.get(node.name));
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
        for (const node of cluster.nodes) if (!isNodeRunning(node.pid, node.config)) throw exitError(nodeProcess(node), 'has exited', logOffsets.get(node.name));
        const logs = await http.call(first.address, 'metadataGet', { params: { key: 'bifrost_config' }, timeoutMs: 1_000 });
        const table = await http.call(first.address, 'metadataGet', { params: { key: 'partition_table' }, timeoutMs: 1_000 });
        const logCount = (logs.value as { logs: unknown[] }).logs.length;
        const partitionCount = (table.value as { partitions: unknown[] }).partitions.length;
        if (logCount < partitionCount) return undefined;
        // Healthy: every node alive and aware of every log, and every partition led by an active processor.
        const idents = await Promise.all(cluster.nodes.map((n) => http.call(n.address, 'ident', { timeoutMs: 1_000 })));
        if (!idents.every((ident) => ident.status === 'alive' && (ident.metadata_versions.bifrost_config ?? 0) >= logs.version)) return undefined;
        const led = new Set(idents.flatMap((i) => i.partitions).filter((p) => p.mode === 'leader' && p.status === 'active').map((p) => p.partition_id));
        return led.size >= partitionCount ? true : undefined;
      },
      () => cluster.nodes.map((n) => `--- ${n.name} (${n.log})\n${tail(n.log, 4)}`).join('\n'),
    );
    return cluster;
  } finally {
    await http.close();
  }
}

export interface StopResult {
  stopped: string[];
  alreadyStopped: string[];
}

export interface DownResult {
  nodes: StopResult;
  /** Null for a cluster on the embedded store. */
  etcdMembers: StopResult | null;
}

/** A process of the cluster, by name, with the check that its pid is still ours. */
interface Stoppable {
  name: string;
  pid: number;
  running(): boolean;
}

function clusterProcesses(cluster: ClusterFile): { nodes: Stoppable[]; members: Stoppable[] } {
  return {
    nodes: cluster.nodes.map((node) => ({ name: node.name, pid: node.pid, running: () => isNodeRunning(node.pid, node.config) })),
    members: cluster.metadata.kind === 'etcd' ? cluster.metadata.members.map((m) => ({ name: m.name, pid: m.pid, running: () => isEtcdMemberRunning(m) })) : [],
  };
}

/**
 * Stops the members one at a time, the raft leader last. A leader asked to stop first hands its
 * leadership to a connected peer; were that peer stopping too, the leader would wait for etcd's
 * transfer timeout (about 7 s here). Last and alone, it has no peer to hand over to and stops at once.
 */
async function stopEtcdMembers(members: EtcdMember[], procs: Stoppable[]): Promise<StopResult> {
  const leaders = await Promise.all(members.map((m) => (isEtcdMemberRunning(m) ? etcdIsLeader(m.client_url) : false)));
  const ordered = [...procs.filter((_, i) => !leaders[i]), ...procs.filter((_, i) => leaders[i])];
  const stopped = new Set<string>();
  for (const proc of ordered) if ((await stopProcesses([proc], 'SIGTERM')).stopped.length) stopped.add(proc.name);
  // Reported in the members' order, whatever order they stopped in.
  return { stopped: procs.filter((p) => stopped.has(p.name)).map((p) => p.name), alreadyStopped: procs.filter((p) => !stopped.has(p.name)).map((p) => p.name) };
}

/** Sends `signal` to those of `procs` that run and waits for them to end; SIGKILL for any still
 *  running after STOP_TIMEOUT_MS. */
async function stopProcesses(procs: Stoppable[], signal: 'SIGTERM' | 'SIGKILL'): Promise<StopResult> {
  const running = procs.filter((p) => p.running());
  const send = (sig: NodeJS.Signals) => (p: Stoppable) => {
    try {
      process.kill(p.pid, sig);
    } catch {
      // ended meanwhile
    }
  };
  const waitGone = async () => {
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    for (const p of running) while (p.running() && Date.now() < deadline) await sleep(20);
  };
  running.forEach(send(signal));
  await waitGone();
  const stubborn = running.filter((p) => p.running());
  if (stubborn.length) {
    stubborn.forEach(send('SIGKILL'));
    await waitGone();
  }
  return { stopped: running.map((p) => p.name), alreadyStopped: procs.filter((p) => !running.includes(p)).map((p) => p.name) };
}

/** Stops the nodes, then the etcd members (a node stopping may still write its metadata). */
export async function localDown(dirOption: string): Promise<DownResult> {
  const dir = path.resolve(dirOption);
  const cluster = readClusterFile(dir);
  if (!cluster) throw new LocalClusterError(`no cluster in ${dir} (${clusterFilePath(dir)} does not exist)`);
  const { nodes, members } = clusterProcesses(cluster);
  return {
    nodes: await stopProcesses(nodes, 'SIGTERM'),
    etcdMembers: cluster.metadata.kind === 'etcd' ? await stopEtcdMembers(cluster.metadata.members, members) : null,
  };
}
