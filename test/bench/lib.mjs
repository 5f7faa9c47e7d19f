// Shared by the benchmarks: a local cluster in a temp folder (stopped by pid at the end) and timing.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const CAIRNCTL = path.join(ROOT, 'bin', 'cairnctl');
export const CAIRN_SERVER = path.join(ROOT, 'bin', 'cairn-server');

/**
 * A local cluster from `cairn-server local up` in a temp folder, on the embedded metadata store or
 * (`metadata: 'etcd'`) with an etcd member beside each node; `root` is the checkout whose build
 * runs (this one unless told). `up()` starts whatever is down again and waits until it is healthy;
 * `stop()` kills every node and member by pid and removes the folder.
 */
export function startCluster({ nodes = 3, sets = [], partitions, metadata, root = ROOT } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'cairn-bench-'));
  const localUp = (args) => {
    try {
      // A benchmark's throwaway cluster leaves 127.0.0.1:5122 to the user's own `npm run demo`.
      execFileSync(process.execPath, [path.join(root, 'bin', 'cairn-server'), 'local', 'up', '--dir', dir, ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, CAIRN_LOCAL_NO_DEFAULT_PORT: '1' },
      });
    } catch (err) {
      process.stderr.write(String(err.stderr ?? err.message));
      throw err;
    }
  };
  const readInfo = () => JSON.parse(readFileSync(path.join(dir, 'cluster.json'), 'utf8'));
  const args = ['--nodes', String(nodes), ...sets.flatMap((s) => ['--set', s])];
  if (partitions) args.push('--partitions', String(partitions));
  if (metadata) args.push('--metadata', metadata);
  const cluster = {
    dir,
    info: undefined,
    up() {
      localUp([]);
      cluster.info = readInfo();
    },
    stop() {
      const info = readInfo();
      const members = info.metadata?.kind === 'etcd' ? info.metadata.members : [];
      for (const { pid } of [...info.nodes, ...members]) {
        try {
          process.kill(pid, 'SIGCONT');
          process.kill(pid, 'SIGKILL');
        } catch {
          // already stopped
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    localUp(args);
  } catch (err) {
    // A start that failed half-way may have left members or nodes running.
    if (existsSync(path.join(dir, 'cluster.json'))) cluster.stop();
    throw err;
  }
  cluster.info = readInfo();
  return cluster;
}

/** True while a process with this pid exists (a zombie included). */
export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Wall time of one run of a command, in milliseconds; rejects on a non-zero exit. */
export function timeRun(command, args, env = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

/**
 * `put(url, body, {method, headers})` over one keep-alive agent per host; rejects on a non-2xx answer.
 * The agent drops a connection idle for 4 s: a node closes one idle for 5 s (its `keepAliveTimeout`),
 * and a pooled connection reused just as the node closed it failed a put with `ECONNRESET` or
 * `socket hang up` now and then under load (Node's agent keeps idle connections for ever and picks
 * the newest first, so the oldest idle long). Closing first on the client's side is the usual cure.
 */
export function httpPut(agents = new Map()) {
  return (url, body, headers = {}) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const agent = agents.get(target.host) ?? agents.set(target.host, new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 4_000 })).get(target.host);
      const req = http.request(target, { method: headers.method ?? 'PUT', agent, headers: { 'content-length': body.length, ...headers.headers } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => (res.statusCode >= 200 && res.statusCode < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 200)}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
}

/** CPU seconds the processes behind `addresses` have used so far, summed, from their /metrics. */
export async function cpuSeconds(addresses) {
  const texts = await Promise.all(addresses.map(async (address) => (await fetch(`${address}/metrics`)).text()));
  return texts.reduce((sum, text, i) => {
    const match = /^process_cpu_seconds_total (\S+)$/m.exec(text);
    if (!match) throw new Error(`no process_cpu_seconds_total in ${addresses[i]}/metrics`);
    return sum + Number(match[1]);
  }, 0);
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const fmt = (ms) => `${ms.toFixed(0).padStart(5)} ms`;

/** Distinct free loopback ports. */
export async function freePorts(count) {
  const ports = new Set();
  while (ports.size < count) {
    ports.add(
      await new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          const { port } = server.address();
          server.close(() => resolve(port));
        });
      }),
    );
  }
  return [...ports];
}

/**
 * An S3-compatible endpoint (s3rver) in this process on a free 127.0.0.1 port, with one bucket;
 * `settings(prefix)` are the `--set` values that point a node's snapshot repository at it.
 */
export async function startS3rver(bucket = 'cairn-snaps') {
  const { default: S3rver } = await import('s3rver');
  const directory = mkdtempSync(path.join(tmpdir(), 'cairn-bench-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    directory,
    settings: (prefix) => [
      `worker.snapshots.destination=s3://${bucket}/${prefix}`,
      `worker.snapshots.aws-endpoint-url=${endpoint}`,
      'worker.snapshots.aws-allow-http=true',
      'worker.snapshots.aws-region=us-east-1',
      'worker.snapshots.aws-access-key-id=S3RVER',
      'worker.snapshots.aws-secret-access-key=S3RVER',
    ],
    async stop() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
