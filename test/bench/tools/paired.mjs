// Two builds of cairn-server under the same load at the same time, for judging a change to the
// append path. On this kind of VM the CPU time of one and the same run varies by up to 1.6x from
// hour to hour (every thread in proportion: the host's speed), which hides a change of 10% between
// runs made one after the other; two clusters loaded side by side see the same host. Each gets its
// own client loop of puts (1 KiB unless told), round-robin over its nodes as the bench's; the
// figures are CPU milliseconds per append (the 3 node processes, from /metrics) per window, and
// their ratio, with each window's appends/s and p99 latency. Windows are periods of time that start
// and end at the same moments for both: windows of a number of appends each let the faster build
// finish first, and the slower one's last window then ran alone on the machine and looked cheaper
// than it was. The first windows are the JIT's warm-up.
//
// Usage: node test/bench/tools/paired.mjs <other checkout> [windows=6] [seconds per window=4] [clients=1] [value bytes=1024]
// Build both first (`npm run build` in each). The other checkout is A, this one is B: a ratio
// below 1 means this checkout spends less. Not part of `npm run bench` (it needs the other build).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cpuSeconds, httpPut, percentile, startCluster } from '../lib.mjs';

const USAGE = 'usage: node test/bench/tools/paired.mjs <other checkout> [windows=6] [seconds per window=4] [clients=1] [value bytes=1024]';
const [other, windows = '6', windowSeconds = '4', clients = '1', valueBytes = '1024'] = process.argv.slice(2);
const WINDOWS = Number(windows);
const WINDOW_MS = Number(windowSeconds) * 1000;
const CLIENTS = Number(clients);

/** A (the other checkout), then B (this one). */
const roots = [path.resolve(other ?? ''), path.resolve(import.meta.dirname, '..', '..', '..')];
const value = randomBytes(Number(valueBytes));

/**
 * Puts into one cluster from CLIENTS loops until `stop()`; `window()` says what completed since the
 * last call (appends/s, CPU ms per append, p99, failed puts), and is called for both clusters at
 * the same moment. A failed put is counted and the loop goes on, as the bench's does.
 */
function startLoad(cluster) {
  const put = httpPut();
  const ingresses = cluster.info.nodes.map((n) => n.ingress);
  const addresses = cluster.info.nodes.map((n) => n.address);
  let latencies = [];
  let failures = [];
  let stopped = false;
  let next = 0;
  const loops = Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (!stopped) {
        const n = next++;
        const sent = performance.now();
        try {
          await put(`${ingresses[n % ingresses.length]}/kv/paired-${n}`, value);
          latencies.push(performance.now() - sent);
        } catch (err) {
          failures.push(err.message);
        }
      }
    }),
  );
  let opened = { at: performance.now(), cpu: cpuSeconds(addresses) };
  return {
    async window() {
      const closed = { at: performance.now(), cpu: cpuSeconds(addresses) };
      const [done, failed] = [latencies, failures];
      [latencies, failures] = [[], []];
      const [cpuBefore, cpuAfter] = await Promise.all([opened.cpu, closed.cpu]);
      const seconds = (closed.at - opened.at) / 1000;
      opened = closed;
      return { rate: done.length / seconds, cpuMs: ((cpuAfter - cpuBefore) * 1000) / done.length, p99: percentile(done, 99), failed };
    },
    stop() {
      stopped = true;
      return loops;
    },
  };
}

/** What is wrong with the arguments, if anything. */
function argumentProblem() {
  if (!other) return 'the other checkout is missing';
  for (const [name, text] of [['windows', windows], ['seconds per window', windowSeconds], ['clients', clients], ['value bytes', valueBytes]]) {
    if (!Number.isInteger(Number(text)) || Number(text) < 1) return `${name} must be a whole number of at least 1, got ${JSON.stringify(text)}`;
  }
  for (const root of roots) {
    if (!existsSync(path.join(root, 'dist', 'cairn-server.cjs'))) return `no build in ${root} (dist/cairn-server.cjs is missing): run \`npm run build\` there`;
  }
  return undefined;
}

async function run() {
  const clusters = [];
  try {
    for (const root of roots) clusters.push(startCluster({ nodes: 3, root }));
    const loads = clusters.map(startLoad);
    const [a, b] = [[], []];
    for (let w = 0; w < WINDOWS; w++) {
      await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
      const [windowA, windowB] = await Promise.all(loads.map((load) => load.window()));
      a.push(windowA);
      b.push(windowB);
    }
    await Promise.all(loads.map((load) => load.stop()));
    console.log(`paired: A ${roots[0]}, B ${roots[1]}; ${CLIENTS} client(s) each, ${value.length}-byte values, ${WINDOWS} windows of ${WINDOW_MS / 1000} s`);
    for (let w = 0; w < WINDOWS; w++) {
      const row = (r) => `${r.rate.toFixed(0).padStart(5)}/s ${r.cpuMs.toFixed(2).padStart(5)} ms p99 ${r.p99.toFixed(1).padStart(5)} ms${r.failed.length ? ` (${r.failed.length} failed: ${r.failed[0]})` : ''}`;
      console.log(`  window ${w + 1}  A ${row(a[w])}  B ${row(b[w])}  CPU per append B/A ${(b[w].cpuMs / a[w].cpuMs).toFixed(2)}`);
    }
    const total = (rows) => rows.reduce((sum, r) => sum + r.cpuMs, 0);
    console.log(`  all windows: CPU per append B/A ${(total(b) / total(a)).toFixed(2)} (two runs of one build differ by about 0.03)`);
  } finally {
    for (const cluster of clusters) cluster.stop();
  }
}

const problem = argumentProblem();
if (problem) {
  process.stderr.write(`error: ${problem}\n${USAGE}\n`);
  process.exitCode = 2;
} else {
  await run();
}
