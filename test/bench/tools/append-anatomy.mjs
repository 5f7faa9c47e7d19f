// Where an append's work and time go, for one load on a fresh local 3-node cluster (fsync on): per
// append, the store batches the sequencers sent and their records, the log stores' commits and
// fdatasyncs (on the event loop or in the pool), the processors' apply transactions, the nodes' CPU
// and minor page faults; and per stage (ingress, sequencer, store round trip, log-store commit) the
// p50/p90/p99 estimated from its histogram buckets, beside the client's own. Everything is a delta
// over the window after a warm-up, read from the nodes' /metrics (and /proc for the faults). It
// compares nothing: it shows where to look before a change; `paired.mjs` then judges the change.
//
// With routing `sequencer`, each put goes to the ingress of the node that sequences its key's log
// (as a partition-aware client would) instead of round-robin over the nodes (the bench's loop), so
// that the two show what forwarding appends to a remote sequencer costs.
//
// Usage: node test/bench/tools/append-anatomy.mjs [clients=1] [seconds=10] [value bytes=1024] [routing=round-robin|sequencer]
// (build first). Not part of `npm run bench`.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { CAIRNCTL, httpPut, percentile, ROOT, startCluster } from '../lib.mjs';

const USAGE = 'usage: node test/bench/tools/append-anatomy.mjs [clients=1] [seconds=10] [value bytes=1024] [routing=round-robin|sequencer]';
const [CLIENTS, SECONDS, VALUE_BYTES] = ['1', '10', '1024'].map((fallback, i) => Number(process.argv[2 + i] ?? fallback));
const ROUTINGS = ['round-robin', 'sequencer'];
const ROUTING = process.argv[5] ?? 'round-robin';
const WARM_UP_SECONDS = 3;

const STAGES = [
  ['client (this loop)', undefined],
  ['ingress PUT', 'cairn_ingress_append_duration_seconds'],
  ['sequencer append', 'cairn_sequencer_append_duration_seconds'],
  ['store round trip', 'cairn_store_round_trip_seconds'],
  ['log-store commit', 'cairn_log_store_commit_duration_seconds'],
];

/**
 * The samples of every node's /metrics summed by name, with a histogram's buckets kept apart by
 * their `le`; the ingress's failed appends are left out (the load stops at its first failure).
 */
async function scrape(nodes) {
  const totals = new Map();
  for (const node of nodes) {
    const text = await (await fetch(`${node.address}/metrics`)).text();
    for (const line of text.split('\n')) {
      const sample = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!sample || sample[2]?.includes('outcome="error"')) continue;
      const [, name, labels = '', value] = sample;
      const le = /(?:^|,)le="([^"]+)"/.exec(labels)?.[1];
      const on = /(?:^|,)on="([^"]+)"/.exec(labels)?.[1];
      const key = le !== undefined ? `${name}|${le}` : on !== undefined ? `${name}|${on}` : name;
      totals.set(key, (totals.get(key) ?? 0) + Number(value));
    }
  }
  return totals;
}

/** Minor page faults of the node processes so far (Linux; undefined elsewhere). */
function minorFaults(nodes) {
  try {
    // /proc/<pid>/stat: the fields after the command's closing parenthesis; minflt is the 8th of them.
    return nodes.reduce((sum, node) => sum + Number(readFileSync(`/proc/${node.pid}/stat`, 'utf8').split(') ')[1].split(' ')[7]), 0);
  } catch {
    return undefined;
  }
}

/** The q-quantile (0-1) of a histogram from its cumulative bucket counts, interpolated within the bucket as Prometheus does. */
function bucketQuantile(delta, name, q) {
  const buckets = [...delta.entries()]
    .filter(([key]) => key.startsWith(`${name}_bucket|`))
    .map(([key, count]) => ({ le: Number(key.split('|')[1].replace('+Inf', 'Infinity')), count }))
    .sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (!total) return undefined;
  const rank = q * total;
  let lower = { le: 0, count: 0 };
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return lower.le;
      return lower.le + ((bucket.le - lower.le) * (rank - lower.count)) / (bucket.count - lower.count);
    }
    lower = bucket;
  }
  return undefined;
}

async function main() {
  const cluster = startCluster({});
  try {
    await measure(cluster);
  } finally {
    cluster.stop();
  }
}

/** The ingress each put goes to: the next node's, or that of the node sequencing the key's log. */
async function router(cluster) {
  const ingresses = cluster.info.nodes.map((n) => n.ingress);
  let next = 0;
  if (ROUTING === 'round-robin') return () => ingresses[next++ % ingresses.length];
  // The runtime's own key-to-partition function, compiled from its source (a copy could drift).
  const [compiled] = buildSync({ entryPoints: [path.join(ROOT, 'src/server/worker/partitioning.ts')], bundle: true, format: 'esm', platform: 'node', write: false }).outputFiles;
  const { partitionForKey } = await import(`data:text/javascript;base64,${Buffer.from(compiled.text).toString('base64')}`);
  const address = cluster.info.nodes[0].address;
  const metadata = async (key) => (await (await fetch(`${address}/v1/metadata/${key}`)).json()).value;
  const [table, nodesConfig] = [await metadata('partition_table'), await metadata('nodes_config')];
  const { logs } = JSON.parse(execFileSync(CAIRNCTL, ['-s', address, 'logs', 'list', '-o', 'json'], { encoding: 'utf8' }));
  const ingressOfNode = (id) => cluster.info.nodes.find((n) => n.name === nodesConfig.nodes.find((c) => c.id === id).name).ingress;
  const ingressOfLog = new Map(logs.map((log) => [log.log_id, ingressOfNode(log.sequencer_node_id)]));
  return (key) => ingressOfLog.get(partitionForKey(key, table).log_id);
}

async function measure(cluster) {
  const put = httpPut();
  const ingressFor = await router(cluster);
  const value = randomBytes(VALUE_BYTES);
  const windowStart = performance.now() + WARM_UP_SECONDS * 1000;
  const windowEnd = windowStart + SECONDS * 1000;
  let before;
  const opened = new Promise((resolve) => setTimeout(resolve, WARM_UP_SECONDS * 1000)).then(async () => {
    before = { metrics: await scrape(cluster.info.nodes), faults: minorFaults(cluster.info.nodes) };
  });
  const latencies = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let seq = 0; performance.now() < windowEnd; seq++) {
        const started = performance.now();
        const key = `anatomy-${client}-${seq}`;
        await put(`${ingressFor(key)}/kv/${key}`, value);
        if (started >= windowStart) latencies.push(performance.now() - started);
      }
    }),
  );
  await opened;
  const after = { metrics: await scrape(cluster.info.nodes), faults: minorFaults(cluster.info.nodes) };
  const delta = new Map([...after.metrics].map(([key, v]) => [key, v - (before.metrics.get(key) ?? 0)]));
  const appends = delta.get('cairn_appended_records_total');
  const per = (key) => (delta.get(key) ?? 0) / appends;
  const recordsPerStore = delta.get('cairn_store_batch_records_sum') / delta.get('cairn_store_batch_records_count');
  const faults = after.faults === undefined ? 'n/a' : ((after.faults - before.faults) / appends).toFixed(2);
  const lines = [
    `append anatomy: 3 nodes, fsync, ${CLIENTS} client(s), ${VALUE_BYTES}-byte values, ${ROUTING} routing, a ${SECONDS} s window after ${WARM_UP_SECONDS} s`,
    `  ${(appends / SECONDS).toFixed(0)} appends/s committed; per append:`,
    `  ${per('cairn_store_batch_records_count').toFixed(2)} store batches of ${recordsPerStore.toFixed(2)} records, ${per('cairn_log_store_commit_duration_seconds_count').toFixed(2)} log-store commits`,
    `  ${per('cairn_log_store_fdatasyncs_total|event-loop').toFixed(2)} fdatasyncs on the event loop and ${per('cairn_log_store_fdatasyncs_total|thread-pool').toFixed(2)} in the pool, ${per('cairn_partition_apply_batch_records_count').toFixed(3)} apply transactions`,
    `  ${(per('process_cpu_seconds_total') * 1000).toFixed(3)} ms CPU of the nodes, ${faults} minor page faults`,
    '  stage                  p50 ms   p90 ms   p99 ms   (node stages: estimated from histogram buckets)',
  ];
  for (const [label, metric] of STAGES) {
    const quantiles = [0.5, 0.9, 0.99].map((q) => (metric ? bucketQuantile(delta, metric, q) * 1000 : percentile(latencies, q * 100)));
    lines.push(`  ${label.padEnd(20)} ${quantiles.map((ms) => (Number.isFinite(ms) ? ms.toFixed(2) : 'n/a').padStart(8)).join(' ')}`);
  }
  console.log(lines.join('\n'));
}

if (!ROUTINGS.includes(ROUTING)) {
  process.stderr.write(`error: routing must be one of ${ROUTINGS.join(', ')}, got "${ROUTING}"\n${USAGE}\n`);
  process.exitCode = 2;
} else if ([CLIENTS, SECONDS, VALUE_BYTES].every((n) => Number.isInteger(n) && n > 0)) await main();
else {
  const given = process.argv.slice(2, 5).join(' ');
  process.stderr.write(`error: clients, seconds and value bytes must be whole numbers above 0, got "${given}"\n${USAGE}\n`);
  process.exitCode = 2;
}
