// How long a metadata change takes to reach a watcher, on loopback, for the two ways nodes follow the
// store: the embedded store of a metadata-server process (watched by long poll through
// RemoteMetadataStore) and a 3-member etcd cluster (an etcd watch through EtcdMetadataStore). A
// writer client puts a key; the time counted runs from the put's start until a second client's
// watch has delivered the change and, where the change comes without its value, the value was read,
// as a node's metadata manager does. Goal (issue 9): under 100 ms p50.
//
// The clients are Cairn's own (src/server/metadata), bundled here with esbuild; the store servers
// are real processes, stopped by pid at the end. Env: CHANGES (default 300), ETCD_MEMBERS (default 3).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { CAIRN_SERVER, fmt, freePorts, percentile, ROOT } from './lib.mjs';

const CHANGES = Number(process.env.CHANGES ?? 300);
const ETCD_MEMBERS = Number(process.env.ETCD_MEMBERS ?? 3);
const GOAL_P50_MS = 100;

const work = mkdtempSync(path.join(tmpdir(), 'cairn-bench-metadata-'));
const pids = [];
const cleanup = [];

/** The metadata clients and etcd launcher from src/, as one module. */
async function loadClients() {
  // Inside the project, so that the bundle's own imports of etcd3 and cockatiel find node_modules.
  const outfile = path.join(ROOT, 'node_modules', '.cache', 'cairn-bench', `metadata-clients-${process.pid}.cjs`);
  cleanup.push(() => rmSync(outfile, { force: true }));
  await build({
    stdin: {
      contents: [
        "export { HttpClient } from './src/api/http-client';",
        "export { RemoteMetadataStore } from './src/server/metadata/remote';",
        "export { connectEtcd, EtcdMetadataStore } from './src/server/metadata/etcd';",
        "export { startEtcdMember } from './src/server/local/etcd';",
        "export { etcdHealthy } from './src/server/metadata/servers';",
      ].join('\n'),
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    logLevel: 'warning',
    // Resolved from the project's node_modules at run time, as the server bundle does.
    external: ['etcd3', 'cockatiel', 'better-sqlite3'],
  });
  const { createRequire } = await import('node:module');
  return createRequire(path.join(ROOT, 'package.json'))(outfile);
}

/**
 * Puts CHANGES values one after the other through `writer` while `watcher` follows the store, and
 * returns, per change, the milliseconds from the put's start to the watcher holding its value
 * (`seen`) and to the put's answer (`acked`, for comparison).
 */
async function measure(writer, watcher) {
  const key = 'pp_epoch_1';
  /** When the watcher first held value {i}, by i; and who waits for which i. */
  const arrivals = new Map();
  const waiters = new Map();
  const hold = (value) => {
    if (typeof value?.i !== 'number' || arrivals.has(value.i)) return;
    arrivals.set(value.i, performance.now());
    waiters.get(value.i)?.(undefined);
  };
  let resynced;
  const started = new Promise((resolve) => (resynced = resolve));
  const unwatch = watcher.watch({
    onChange: (changes) => {
      for (const change of changes.filter((c) => c.key === key)) {
        if (change.value !== undefined) hold(change.value);
        else void watcher.get(key).then((entry) => hold(entry?.value));
      }
    },
    onResync: () => resynced(),
  });
  await started;
  const latencies = [];
  try {
    let version = (await writer.get(key))?.version;
    for (let i = 0; i < CHANGES; i++) {
      const begin = performance.now();
      const delivered = new Promise((resolve) => waiters.set(i, resolve));
      version = await writer.put(key, { i }, version === undefined ? { kind: 'does-not-exist' } : { kind: 'matches-version', version });
      const acked = performance.now() - begin;
      const timer = setTimeout(() => waiters.get(i)?.(new Error(`change ${i} not delivered to the watcher within 10 s`)), 10_000);
      const missed = await delivered;
      clearTimeout(timer);
      if (missed) throw missed;
      latencies.push({ seen: arrivals.get(i) - begin, acked });
    }
  } finally {
    unwatch();
  }
  return latencies;
}

function report(name, latencies) {
  const seen = latencies.map((l) => l.seen);
  const p50 = percentile(seen, 50);
  const ackedP50 = percentile(latencies.map((l) => l.acked), 50);
  const met = p50 < GOAL_P50_MS ? 'meets' : 'MISSES';
  process.stdout.write(
    `${name.padEnd(38)} seen p50 ${fmt(p50)}  p99 ${fmt(percentile(seen, 99))}  max ${fmt(Math.max(...seen))}` +
      `  | put acked p50 ${fmt(ackedP50)}  | p50/goal ${(p50 / GOAL_P50_MS).toFixed(2)} (${met} the ${GOAL_P50_MS} ms goal)\n`,
  );
  return p50;
}

async function waitFor(what, probe, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function embeddedRemote(clients) {
  const [port] = await freePorts(1);
  const address = `http://127.0.0.1:${port}`;
  const dir = path.join(work, 'meta');
  const server = spawn(process.execPath, [CAIRN_SERVER, '--set', `base-dir=${dir}`, '--set', `bind-address=127.0.0.1:${port}`, '--set', 'node-name=meta', '--set', 'roles=metadata-server'], { stdio: 'ignore' });
  pids.push(server.pid);
  const writerHttp = new clients.HttpClient({ connectTimeoutMs: 1_000 });
  const watcherHttp = new clients.HttpClient({ connectTimeoutMs: 1_000 });
  try {
    const writer = new clients.RemoteMetadataStore([address], writerHttp);
    const watcher = new clients.RemoteMetadataStore([address], watcherHttp);
    await waitFor(`the metadata-server at ${address}`, () => writer.versions().then(() => true));
    return report('embedded (metadata-server, long poll)', await measure(writer, watcher));
  } finally {
    await Promise.all([writerHttp.close(), watcherHttp.close()]);
  }
}

async function etcdCluster(clients) {
  const ports = await freePorts(ETCD_MEMBERS * 2);
  const members = Array.from({ length: ETCD_MEMBERS }, (_, i) => {
    const dataDir = path.join(work, `etcd-${i + 1}`);
    mkdirSync(dataDir, { recursive: true });
    return { name: `m${i + 1}`, client_url: `http://127.0.0.1:${ports[i * 2]}`, peer_url: `http://127.0.0.1:${ports[i * 2 + 1]}`, data_dir: dataDir, log: path.join(work, `m${i + 1}.log`) };
  });
  const started = members.map((m) => ({ ...m, pid: clients.startEtcdMember(m, members, 'cairn-bench') }));
  pids.push(...started.map((m) => m.pid));
  for (const member of members) await waitFor(`etcd member ${member.name} to be healthy`, () => clients.etcdHealthy(member.client_url));
  const options = { addresses: members.map((m) => m.client_url), prefix: '/cairn/bench/', timeoutMs: 3_000 };
  const writer = new clients.EtcdMetadataStore(await clients.connectEtcd(options), options);
  const watcher = new clients.EtcdMetadataStore(await clients.connectEtcd(options), options);
  try {
    return report(`etcd (${ETCD_MEMBERS} members, watch)`, await measure(writer, watcher));
  } finally {
    await Promise.all([writer.close(), watcher.close()]);
  }
}

try {
  const clients = await loadClients();
  process.stdout.write(`${CHANGES} changes, each from the put's start to a second client holding the value\n`);
  const embedded = await embeddedRemote(clients);
  const etcd = await etcdCluster(clients);
  process.stdout.write(`etcd p50 / embedded p50: ${(etcd / embedded).toFixed(2)}\n`);
} finally {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const step of cleanup) step();
  rmSync(work, { recursive: true, force: true });
}
