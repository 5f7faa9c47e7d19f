// cairnctl cold start against a local 3-node cluster, beside `node -e 0` in the same run, and
// `status` with one hung (SIGSTOPped) node. Goals: read commands within 2.5x of `node -e 0`;
// status with a hung node under 1.5 s (restatectl waits its 13 s request timeout).
import { CAIRNCTL, fmt, percentile, startCluster, timeRun } from './lib.mjs';

const RUNS = Number(process.env.RUNS ?? 21);
const cluster = startCluster({ nodes: 3 });
const env = { CAIRN_ADDRESS: cluster.info.address };
try {
  const commands = {
    'node -e 0': [process.execPath, ['-e', '0']],
    'cairnctl logs list -o json': [process.execPath, [CAIRNCTL, 'logs', 'list', '-o', 'json']],
    'cairnctl status': [process.execPath, [CAIRNCTL, 'status']],
    'cairnctl replicated-loglet servers': [process.execPath, [CAIRNCTL, 'replicated-loglet', 'servers']],
  };
  const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (const [command, args] of Object.values(commands)) await timeRun(command, args, env); // warm caches
  for (let i = 0; i < RUNS; i++) {
    for (const [name, [command, args]] of Object.entries(commands)) times[name].push(await timeRun(command, args, env));
  }
  const baseline = percentile(times['node -e 0'], 50);
  console.log(`cli-startup: ${RUNS} interleaved runs each, 3-node local cluster`);
  for (const [name, values] of Object.entries(times)) {
    const median = percentile(values, 50);
    const ratio = name === 'node -e 0' ? '' : `  ${(median / baseline).toFixed(2)}x node -e 0 (goal <= 2.5x)`;
    console.log(`  ${name.padEnd(36)} median ${fmt(median)}  p90 ${fmt(percentile(values, 90))}${ratio}`);
  }

  const hung = cluster.info.nodes[2];
  process.kill(hung.pid, 'SIGSTOP');
  const hungTimes = [];
  try {
    for (let i = 0; i < 5; i++) hungTimes.push(await timeRun(process.execPath, [CAIRNCTL, 'status'], env));
  } finally {
    process.kill(hung.pid, 'SIGCONT');
  }
  console.log(`  ${'cairnctl status, one node hung'.padEnd(36)} median ${fmt(percentile(hungTimes, 50))}  max ${fmt(Math.max(...hungTimes))}  (goal < 1500 ms)`);
} finally {
  cluster.stop();
}
