// An oversized record is refused in milliseconds, and writers to the same log do not notice: the
// latency of a stream of small writes is measured alone, then while 413s are provoked on the same
// log (through the sequencer's node and through another node).
import http from 'node:http';
import { fmt, percentile, startCluster } from './lib.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 200);
const cluster = startCluster({ nodes: 3 });
const agent = new http.Agent({ keepAlive: true });
const put = (ingress, key, body, { expectContinue = false } = {}) =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const headers = { 'content-length': body.length, ...(expectContinue ? { expect: '100-continue' } : {}) };
    const req = http.request(`${ingress}/kv/${key}`, { method: 'PUT', agent: expectContinue ? undefined : agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started }));
    });
    req.on('error', reject);
    // With Expect: 100-continue the body waits for the server's go-ahead, which a refusal never gives.
    if (expectContinue) req.on('continue', () => req.end(body));
    else req.end(body);
  });

try {
  const limit = 32 * 1024 * 1024 - 64 * 1024;
  const oversized = Buffer.alloc(limit, 1); // with the key and the record header: over the limit
  const [a, b] = cluster.info.nodes.map((n) => n.ingress);
  const stream = async (label, durationMs) => {
    const times = [];
    const end = performance.now() + durationMs;
    for (let i = 0; performance.now() < end; i++) {
      const r = await put(b, `small-${label}-${i}`, Buffer.from('x'.repeat(100)));
      if (r.status !== 200) throw new Error(`small write failed: ${r.status}`);
      times.push(r.ms);
    }
    return times;
  };
  const alone = await stream('alone', 3000);
  const refusals = [];
  const during = stream('during', 3000);
  for (let i = 0; i < ROUNDS; i++) {
    const r = await put(i % 2 ? a : b, `big-${i}`, oversized, { expectContinue: true });
    if (r.status !== 413) throw new Error(`expected 413, got ${r.status}`);
    refusals.push(r.ms);
  }
  const withRefusals = await during;
  // A client that sends the whole body anyway is answered as soon as the headers are read.
  const blunt = [];
  for (let i = 0; i < 20; i++) blunt.push((await put(a, `blunt-${i}`, oversized)).ms);
  console.log(`oversize: ${refusals.length} records of ${oversized.length} bytes refused (limit ${limit} bytes, default networking.message-size-limit)`);
  console.log(`  refusal (Expect: 100-continue)  p50 ${fmt(percentile(refusals, 50))}  p99 ${fmt(percentile(refusals, 99))}  max ${fmt(Math.max(...refusals))}`);
  console.log(`  refusal, body sent anyway       p50 ${fmt(percentile(blunt, 50))}  max ${fmt(Math.max(...blunt))} (includes the client writing 32 MiB)`);
  console.log(`  small writes alone              p50 ${fmt(percentile(alone, 50))}  p99 ${fmt(percentile(alone, 99))}  (${alone.length} writes)`);
  console.log(`  small writes during refusals    p50 ${fmt(percentile(withRefusals, 50))}  p99 ${fmt(percentile(withRefusals, 99))}  (${withRefusals.length} writes)`);
} finally {
  agent.destroy();
  cluster.stop();
}
