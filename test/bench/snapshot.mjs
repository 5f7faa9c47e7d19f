// Publishing a snapshot of a large partition, to file:// and to S3 (s3rver in this process), while
// the node keeps taking appends: export in the node's export thread, upload (multipart on S3).
// Prints the data rate, the node's peak RSS above what it held before (goal: +64 MiB at most for a
// 256 MiB partition), its longest event-loop stall during the publication (goal: under 50 ms) next
// to the longest one in a window of appends alone, and the appends served meanwhile.
//
// Env: PARTITION_MIB (default 256), VALUE_KIB (default 64).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { CAIRN_SERVER, CAIRNCTL, percentile, startCluster, startS3rver } from './lib.mjs';

const PARTITION_MIB = Number(process.env.PARTITION_MIB ?? 256);
const VALUE_KIB = Number(process.env.VALUE_KIB ?? 64);
const MIB = 1024 * 1024;
const APPEND_WINDOW_MS = 5_000;

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
function put(ingress, key, value) {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(`${ingress}/kv/${key}`), { method: 'PUT', agent, headers: { 'content-length': value.length } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`PUT ${key}: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(value);
  });
}

const statusOf = (pid, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
const nodeStats = async (address) => (await fetch(`${address}/v1/node/stats`)).json();

function ctl(args, address) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CAIRNCTL, ...args], { env: { ...process.env, CAIRN_ADDRESS: address }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`cairnctl ${args.join(' ')} exited ${code}: ${stderr}${stdout}`))));
  });
}

/**
 * Small appends, one after another, until `stop()`: how many were served, how slow the slowest, and
 * the first failure (the bench goes on to stop its processes either way).
 */
function appendsMeanwhile(ingress, label) {
  const latencies = [];
  let running = true;
  let failure;
  const done = (async () => {
    const value = Buffer.alloc(1024, 1);
    for (let i = 0; running && !failure; i++) {
      const started = performance.now();
      await put(ingress, `${label}-${i}`, value).catch((err) => (failure = err));
      latencies.push(performance.now() - started);
    }
  })();
  return async () => {
    running = false;
    await done;
    if (failure) throw failure;
    return { count: latencies.length, p99: percentile(latencies, 99), max: Math.max(...latencies) };
  };
}

async function waitActive(address) {
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
    try {
      const processors = JSON.parse(await ctl(['partitions', 'list', '-o', 'json'], address)).processors;
      if (processors.length && processors.every((p) => p.status === 'active')) return;
    } catch {
      // not up yet
    }
  }
  throw new Error('the partition processor did not become active');
}

/** One publication, measured from outside (time, appends) and inside the node (stall, peak RSS). */
async function measure(label, node, dataSizeOf) {
  await waitActive(node.address);
  const stopQuiet = appendsMeanwhile(node.ingress, `quiet-${label.replace(/\W/g, '')}`);
  await nodeStats(node.address);
  await new Promise((r) => setTimeout(r, APPEND_WINDOW_MS));
  const quietStall = (await nodeStats(node.address)).event_loop.max_delay_ms;
  const quiet = await stopQuiet();

  // Peak RSS from here on: writing 5 to clear_refs resets VmHWM to the current RSS.
  writeFileSync(`/proc/${node.pid}/clear_refs`, '5');
  const rssBefore = statusOf(node.pid, 'VmRSS');
  await nodeStats(node.address);
  const stopAppends = appendsMeanwhile(node.ingress, `during-${label.replace(/\W/g, '')}`);
  const started = performance.now();
  const created = JSON.parse(await ctl(['snapshots', 'create-snapshot', '0', '-o', 'json'], node.address)).snapshots[0];
  const seconds = (performance.now() - started) / 1000;
  const appends = await stopAppends();
  const stall = (await nodeStats(node.address)).event_loop.max_delay_ms;
  const peak = statusOf(node.pid, 'VmHWM');
  if (!created.snapshot_id) throw new Error(`${label}: ${created.error}`);
  const size = dataSizeOf(created);
  const published = readFileSync(node.log, 'utf8')
    .split('\n')
    .map((line) => (line.includes(created.snapshot_id) && line.includes('snapshot published') ? JSON.parse(line) : undefined))
    .find(Boolean);
  console.log(
    `  ${label.padEnd(8)} ${(size / MIB).toFixed(0)} MiB data file in ${seconds.toFixed(1)} s = ${(size / MIB / seconds).toFixed(1)} MiB/s ` +
      `(export ${(published.export_ms / 1000).toFixed(1)} s, upload ${(published.upload_ms / 1000).toFixed(1)} s); ` +
      `peak RSS +${((peak - rssBefore) / MIB).toFixed(0)} MiB over ${(rssBefore / MIB).toFixed(0)} MiB; longest event-loop stall ${stall.toFixed(0)} ms ` +
      `(${quietStall.toFixed(0)} ms with appends alone, ${(stall / Math.max(quietStall, 1)).toFixed(1)}x)`,
  );
  console.log(
    `           ${appends.count} appends served meanwhile, p99 ${appends.p99.toFixed(0)} ms, slowest ${appends.max.toFixed(0)} ms ` +
      `(appends alone: ${(quiet.count / (APPEND_WINDOW_MS / 1000)).toFixed(0)}/s, p99 ${quiet.p99.toFixed(0)} ms, slowest ${quiet.max.toFixed(0)} ms)`,
  );
}

const s3 = await startS3rver();
const cluster = startCluster({ nodes: 1, partitions: 1 });
try {
  // Read again after the restart, which gives the node a new pid.
  const node = () => JSON.parse(readFileSync(path.join(cluster.dir, 'cluster.json'), 'utf8')).nodes[0];
  const value = Buffer.alloc(VALUE_KIB * 1024);
  const count = Math.ceil((PARTITION_MIB * MIB) / value.length);
  const writeStarted = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        const i = next++;
        value.writeUInt32LE(i, 0);
        await put(node().ingress, `row-${i}`, Buffer.from(value));
      }
    }),
  );
  console.log(`snapshot: a partition of ${PARTITION_MIB} MiB (${count} rows of ${VALUE_KIB} KiB), written in ${((performance.now() - writeStarted) / 1000).toFixed(0)} s; 1 node`);

  await measure('file://', node(), (snapshot) => {
    const metadata = JSON.parse(readFileSync(path.join(cluster.dir, 'snapshots', '0', snapshot.path, 'metadata.json'), 'utf8'));
    return metadata.files[0].size;
  });

  // The same node and data, restarted with its repository in S3.
  execFileSync(process.execPath, [CAIRN_SERVER, 'local', 'down', '--dir', cluster.dir], { stdio: 'ignore' });
  execFileSync(process.execPath, [CAIRN_SERVER, 'local', 'up', '--dir', cluster.dir, ...s3.settings('bench').flatMap((s) => ['--set', s])], { stdio: ['ignore', 'ignore', 'pipe'] });
  await measure('s3://', node(), (snapshot) => {
    const object = path.join(s3.directory, 'cairn-snaps', 'bench', '0', snapshot.path, 'metadata.json._S3rver_object');
    return JSON.parse(readFileSync(object, 'utf8')).files[0].size;
  });
} finally {
  agent.destroy();
  cluster.stop();
  await s3.stop();
}
