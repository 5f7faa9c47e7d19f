// npm run demo: a local 3-node cluster in ./.cairn, some traffic when the ingress can take it, and
// `cairnctl status`. Running it again restarts whichever nodes are down.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const dir = path.join(root, '.cairn');
const node = (script, args, options = {}) => execFileSync(process.execPath, [path.join(root, 'bin', script), ...args], { encoding: 'utf8', ...options });

try {
  node('cairn-server', ['local', 'up', '--nodes', '3', '--dir', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
} catch {
  process.exitCode = 1;
  process.stderr.write(`\nthe cluster did not come up; see the logs under ${dir}/n*/server.log\n`);
  process.exit();
}
const cluster = JSON.parse(readFileSync(path.join(dir, 'cluster.json'), 'utf8'));
const env = { ...process.env, CAIRN_ADDRESS: cluster.address };

const ingress = cluster.nodes[0].ingress;
let wrote = 0;
let problem = '';
for (let i = 0; i < 20; i++) {
  try {
    const response = await fetch(`${ingress}/kv/demo-${i}`, { method: 'PUT', body: `value ${i}` });
    if (!response.ok) {
      problem = `HTTP ${response.status}: ${await response.text()}`;
      break;
    }
    wrote++;
  } catch (err) {
    problem = err.message;
    break;
  }
}
process.stdout.write(`wrote ${wrote} keys through the ingress at ${ingress}${problem ? ` (then: ${problem})` : ''}\n\n`);

// A new cluster's n1 takes cairnctl's default address (127.0.0.1:5122) when it is free.
const pointAtIt = cluster.nodes[0].address === 'http://127.0.0.1:5122'
  ? `cairnctl finds it at its default address (n1, 127.0.0.1:5122); to reach every node, also when n1 is down:
  export CAIRN_ADDRESS=${cluster.address}`
  : `Point cairnctl at it:
  export CAIRN_ADDRESS=${cluster.address}`;

process.stdout.write('$ cairnctl status\n');
process.stdout.write(node('cairnctl', ['status'], { env }));
process.stdout.write(`
The cluster keeps running in the background (data, configs and logs in ${path.relative(process.cwd(), dir) || dir}/).
${pointAtIt}
  ./bin/cairnctl logs list
  ./bin/cairnctl replicated-loglet servers
  ./bin/cairnctl partitions list
  ./bin/cairnctl snapshots create-snapshot
Write and read through the ingress:
  curl -X PUT ${ingress}/kv/hello -d world && curl ${ingress}/kv/hello
Stop it (the data stays; npm run demo starts it again):
  ./bin/cairn-server local down --dir ${path.relative(process.cwd(), dir) || dir}
`);
