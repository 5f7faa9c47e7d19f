// A far-behind log-server catches up in bounded memory: n3 is stopped while the others take a large
// backlog through the ingress, then restarted; the sequencers stream the backlog to it in batches
// cut by bifrost.replication.batch-bytes/-records with at most inflight-batches in flight. Prints the
// catch-up time and the peak RSS of the restarted node, which should not grow with the backlog.
//
// Env: BACKLOG_MIB (default 300), VALUE_KIB (default 256).
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { alive, startCluster } from './lib.mjs';

const BACKLOG_MIB = Number(process.env.BACKLOG_MIB ?? 300);
const VALUE_KIB = Number(process.env.VALUE_KIB ?? 256);
const MIB = 1024 * 1024;

const json = async (url) => (await fetch(url)).json();

const cluster = startCluster({ nodes: 3 });
try {
  const n3 = () => cluster.info.nodes.find((n) => n.name === 'n3');
  const victim = n3();
  process.kill(victim.pid, 'SIGKILL');
  while (alive(victim.pid) && !/ Z /.test(execFileSync('cat', [`/proc/${victim.pid}/stat`]).toString())) await new Promise((r) => setTimeout(r, 50));

  const agents = new Map();
  const ingresses = cluster.info.nodes.filter((n) => n.name !== 'n3').map((n) => n.ingress);
  const value = Buffer.alloc(VALUE_KIB * 1024, 7);
  const count = Math.ceil((BACKLOG_MIB * MIB) / value.length);
  const put = (i) =>
    new Promise((resolve, reject) => {
      const target = new URL(`${ingresses[i % ingresses.length]}/kv/backlog-${i}`);
      const agent = agents.get(target.host) ?? agents.set(target.host, new http.Agent({ keepAlive: true })).get(target.host);
      const req = http.request(target, { method: 'PUT', agent, headers: { 'content-length': value.length } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(value);
    });
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        const i = next++;
        for (let attempt = 0; ; attempt++) {
          try {
            await put(i);
            break;
          } catch (err) {
            if (attempt > 20) throw err;
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      }
    }),
  );
  const writeSeconds = (performance.now() - started) / 1000;

  cluster.up();
  const restarted = n3();
  const catchUpStarted = performance.now();
  const logs = (await json(`${cluster.info.nodes[0].address}/v1/metadata/bifrost_config`)).value.logs;
  const tails = logs.map((chain) => chain.segments.at(-1).params.loglet_id);
  let peakRss = 0;
  for (;;) {
    const stats = await json(`${restarted.address}/v1/node/stats`);
    peakRss = Math.max(peakRss, stats.memory.max_rss_bytes);
    let behind = 0;
    for (const loglet of tails) {
      const target = await json(`${cluster.info.nodes[0].address}/v1/log-server/loglets/${loglet}`);
      const mine = await json(`${restarted.address}/v1/log-server/loglets/${loglet}`);
      behind += Math.max(0, target.local_tail - mine.local_tail);
    }
    if (behind === 0) break;
    if (performance.now() - catchUpStarted > 600_000) throw new Error(`n3 still ${behind} records behind after 10 minutes`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const catchUpSeconds = (performance.now() - catchUpStarted) / 1000;
  const stats = await json(`${restarted.address}/v1/node/stats`);
  const others = await Promise.all(cluster.info.nodes.filter((n) => n.name !== 'n3').map((n) => json(`${n.address}/v1/node/stats`)));

  console.log(`catch-up: backlog ${BACKLOG_MIB} MiB in ${count} records of ${VALUE_KIB} KiB written in ${writeSeconds.toFixed(1)} s while n3 was down`);
  console.log(`  n3 caught up in ${catchUpSeconds.toFixed(1)} s (${(stats.log_store.stored_bytes / MIB / catchUpSeconds).toFixed(1)} MiB/s), largest store ${(stats.log_store.largest_store_bytes / 1024).toFixed(0)} KiB`);
  console.log(`  n3 peak RSS ${(Math.max(peakRss, stats.memory.max_rss_bytes) / MIB).toFixed(0)} MiB (goal < 256 MiB, independent of the backlog)`);
  console.log(`  sequencer nodes peak RSS ${others.map((s) => (s.memory.max_rss_bytes / MIB).toFixed(0)).join(' / ')} MiB, records relayed from disk ${others.flatMap((s) => s.sequencers).reduce((sum, s) => sum + s.relayed_records, 0)}`);
} finally {
  cluster.stop();
}
