// Append throughput and latency through the ingress of a local 3-node cluster (fsync on), beside etcd
// 3.4 (Debian's etcd-server, 3 members on loopback, its default durability) driven by the same
// closed client loop, in one run. Method as in shared/reference/etcd-baseline.md: one keep-alive
// node:http agent per endpoint, requests round-robin over the 3 members, unique keys, a fresh
// cluster per run, 2 s warm-up, then a 10 s window; an op counts if it completes inside the window.
// As the reference does, the scenarios run in interleaved rounds and the summary gives medians and
// the range over rounds: this machine's speed drifts by up to 1.5x within minutes, which one run
// of each system cannot tell from a difference between them (each round also swaps which system
// goes first). It also prints the CPU seconds per 1000 writes of each system, summed over its 3
// server processes: process_cpu_seconds_total of each node's (or etcd member's) GET /metrics, read
// as the window opens and as it closes. On 2 cores both systems are close to CPU-bound at 8 and 32
// clients, so their throughput ratio largely follows the inverse ratio of their CPU per write.
//
// Env: DUR (s, default 10), WARM (s, default 2), ROUNDS (default 3),
// SCEN ("1024:1 1024:8 1024:32 65536:8 1048576:4").
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cpuSeconds, freePorts, httpPut, percentile, startCluster } from './lib.mjs';

const DUR = Number(process.env.DUR ?? 10);
const WARM = Number(process.env.WARM ?? 2);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SCENARIOS = (process.env.SCEN ?? '1024:1 1024:8 1024:32 65536:8 1048576:4').split(/\s+/).map((s) => s.split(':').map(Number));

/** `probe()` run at the time `at` (a performance.now() reading). */
const probeAt = (at, probe) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now()))).then(probe);

async function runLoad({ put, concurrency, valueSize, cpuProbe }) {
  const value = randomBytes(valueSize);
  const started = performance.now();
  const windowStart = started + WARM * 1000;
  const windowEnd = windowStart + DUR * 1000;
  const cpuWindow = cpuProbe && Promise.all([probeAt(windowStart, cpuProbe), probeAt(windowEnd, cpuProbe)]);
  const latencies = [];
  let ops = 0;
  let errors = 0;
  const samples = [];
  const worker = async (w) => {
    for (let seq = 0; performance.now() < windowEnd; seq++) {
      const t0 = performance.now();
      try {
        await put(`bench/${w}/${seq}`, value);
        const t1 = performance.now();
        if (t1 >= windowStart && t1 <= windowEnd) {
          ops++;
          latencies.push(t1 - t0);
        }
      } catch (err) {
        errors++;
        if (samples.length < 3) samples.push(err.message);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const [cpuAtStart, cpuAtEnd] = cpuWindow ? await cpuWindow : [];
  return {
    cpuPer1000: cpuWindow && ops ? ((cpuAtEnd - cpuAtStart) / ops) * 1000 : undefined,
    opsPerSec: ops / DUR,
    mibPerSec: (ops * valueSize) / DUR / (1024 * 1024),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    samples,
  };
}

function cairnAdapter(cluster) {
  const send = httpPut(new Map());
  const ingresses = cluster.info.nodes.map((n) => n.ingress);
  let i = 0;
  return (key, value) => send(`${ingresses[i++ % ingresses.length]}/kv/${encodeURIComponent(key)}`, value, {});
}

// ---- etcd ---------------------------------------------------------------------------------------

function ensureEtcd() {
  const has = () => {
    try {
      execFileSync('etcd', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (has()) return true;
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  process.stderr.write('installing etcd-server from Debian...\n');
  try {
    execFileSync('sh', ['-c', `${sudo}apt-get install -y -qq etcd-server || (${sudo}apt-get update -qq && ${sudo}apt-get install -y -qq etcd-server)`], { stdio: 'ignore' });
  } catch {
    return false;
  }
  return has();
}

async function startEtcd() {
  const dir = mkdtempSync(path.join(tmpdir(), 'cairn-etcd-'));
  const ports = await freePorts(6);
  const members = [0, 1, 2].map((i) => ({ name: `m${i + 1}`, client: ports[i], peer: ports[i + 3] }));
  const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
  const procs = members.map((m) =>
    spawn(
      'etcd',
      [
        '--name', m.name, '--data-dir', path.join(dir, m.name),
        '--listen-client-urls', `http://127.0.0.1:${m.client}`, '--advertise-client-urls', `http://127.0.0.1:${m.client}`,
        '--listen-peer-urls', `http://127.0.0.1:${m.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peer}`,
        '--initial-cluster', initial, '--initial-cluster-state', 'new', '--initial-cluster-token', 'cairn-bench',
      ],
      { stdio: 'ignore' },
    ),
  );
  const endpoints = members.map((m) => `http://127.0.0.1:${m.client}`);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const health = await Promise.all(endpoints.map(async (e) => (await (await fetch(`${e}/health`)).json()).health));
      if (health.every((h) => h === 'true')) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('etcd did not become healthy in 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoints,
    async stop() {
      // One at a time: a leader stopped with its peers already gone waits for a hand-over.
      for (const proc of procs) {
        proc.kill('SIGTERM');
        await new Promise((resolve) => (proc.exitCode !== null ? resolve() : proc.once('exit', resolve)));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function etcdAdapter(etcd) {
  const send = httpPut(new Map());
  let i = 0;
  const encoded = new WeakMap();
  return (key, value) => {
    let b64 = encoded.get(value);
    if (!b64) encoded.set(value, (b64 = value.toString('base64')));
    const body = Buffer.from(`{"key":"${Buffer.from(key).toString('base64')}","value":"${b64}"}`);
    return send(`${etcd.endpoints[i++ % etcd.endpoints.length]}/v3/kv/put`, body, { method: 'POST', headers: { 'content-type': 'application/json' } });
  };
}

// ---- run ----------------------------------------------------------------------------------------

const fmtCpu = (seconds) => (Number.isFinite(seconds) ? seconds.toFixed(2) : 'n/a');
const fmtOps = (r) => (r && r.p50 !== undefined ? `${r.opsPerSec.toFixed(0).padStart(6)} ops/s ${r.mibPerSec.toFixed(2).padStart(6)} MiB/s p50 ${r.p50.toFixed(1).padStart(6)} p99 ${r.p99.toFixed(1).padStart(6)} ms CPU ${fmtCpu(r.cpuPer1000).padStart(5)} s/1000${r.errors ? ` errors ${r.errors}` : ''}` : 'n/a');
const haveEtcd = ensureEtcd();
if (!haveEtcd) process.stderr.write('etcd-server is not installed and could not be installed: printing cairn figures only\n');

console.log(`append: 3 nodes on loopback, fsync on, ${DUR} s window after ${WARM} s warm-up, same client loop for both, ${ROUNDS} interleaved round(s)`);

async function runEtcd(size, concurrency) {
  const etcd = await startEtcd();
  try {
    return await runLoad({ put: etcdAdapter(etcd), concurrency, valueSize: size, cpuProbe: () => cpuSeconds(etcd.endpoints) });
  } finally {
    await etcd.stop();
  }
}

async function runCairn(size, concurrency) {
  const cluster = startCluster({ nodes: 3 });
  try {
    const addresses = cluster.info.nodes.map((n) => n.address);
    return await runLoad({ put: cairnAdapter(cluster), concurrency, valueSize: size, cpuProbe: () => cpuSeconds(addresses) });
  } finally {
    cluster.stop();
  }
}

const label = ([size, concurrency]) => `${size >= 1048576 ? `${size / 1048576} MiB` : `${size / 1024} KiB`} x ${concurrency}`;
const median = (values) => {
  const sorted = values.filter((v) => v !== undefined).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : undefined;
};
const results = SCENARIOS.map(() => ({ cairn: [], etcd: [] }));
for (let round = 1; round <= ROUNDS; round++) {
  console.log(`round ${round}`);
  for (const [i, scenario] of SCENARIOS.entries()) {
    const [size, concurrency] = scenario;
    // Odd rounds run etcd first, even rounds cairn first.
    const order = round % 2 === 1 ? ['etcd', 'cairn'] : ['cairn', 'etcd'];
    const run = {};
    for (const system of order) {
      if (system === 'etcd' && !haveEtcd) continue;
      run[system] = system === 'etcd' ? await runEtcd(size, concurrency) : await runCairn(size, concurrency);
      results[i][system].push(run[system]);
    }
    const ratio = run.etcd ? (run.cairn.opsPerSec / run.etcd.opsPerSec).toFixed(2) : 'n/a';
    console.log(`  ${label(scenario).padEnd(11)} cairn ${fmtOps(run.cairn)}`);
    if (run.etcd) console.log(`  ${''.padEnd(11)} etcd  ${fmtOps(run.etcd)}  ratio ${ratio}`);
    for (const sample of [...(run.cairn.samples ?? []), ...(run.etcd?.samples ?? [])]) console.log(`  ${''.padEnd(11)} error sample: ${sample}`);
  }
}

console.log(`summary: medians over ${ROUNDS} round(s); the ratio is of the medians, with the range of the rounds' ratios`);
for (const [i, scenario] of SCENARIOS.entries()) {
  const { cairn, etcd } = results[i];
  const ops = (rows) => median(rows.map((r) => r.opsPerSec));
  const p99 = (rows) => median(rows.map((r) => r.p99));
  const cpu = (rows) => median(rows.map((r) => r.cpuPer1000));
  const line = [`  ${label(scenario).padEnd(11)} cairn ${ops(cairn).toFixed(0).padStart(6)} ops/s p99 ${p99(cairn).toFixed(1).padStart(6)} ms`];
  if (etcd.length) {
    const ratios = cairn.map((r, k) => r.opsPerSec / etcd[k].opsPerSec);
    line.push(`etcd ${ops(etcd).toFixed(0).padStart(6)} ops/s p99 ${p99(etcd).toFixed(1).padStart(6)} ms`);
    line.push(`ratio ${(ops(cairn) / ops(etcd)).toFixed(2)} (rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}; goal >= 1)`);
  }
  const cpuLine = [`CPU s per 1000 writes: cairn ${fmtCpu(cpu(cairn))}`];
  if (etcd.length) cpuLine.push(`etcd ${fmtCpu(cpu(etcd))} (cairn/etcd ${fmtCpu(cpu(cairn) / cpu(etcd))})`);
  line.push(cpuLine.join(', '));
  console.log(line.join(' | '));
}
