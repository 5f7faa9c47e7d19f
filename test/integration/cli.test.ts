// The built cairnctl against a real 3-node cluster: table and JSON output, colour rules, exit codes,
// and dead or hung nodes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocatePorts } from '../../src/server/local/cluster';
import { ANSI, cairnctl, cairnctlOnTerminal, ROUGH_TIME } from '../helpers/cli';
import { pauseProcess, startServer, TestCluster, waitUntil } from '../helpers/cluster';

/** `status` UPTIME: `friendlyDuration`, e.g. `42s` or `1m 5s`. */
const UPTIME = String.raw`\d+[dhms](?: \d+[dhms])*`;
/** A connect timeout far longer than any of these commands may take: answering well within it
 *  shows that no connection attempt was waited out. */
const LONG_CONNECT_TIMEOUT = ['--connect-timeout', '20000'];

describe('cairnctl against a 3-node cluster', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('logs list: restatectl layout, one row per partition log, sequencers spread over the nodes', async () => {
    const result = await cluster.ctl(['logs', 'list']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.replace(/Logs v\d+/, 'Logs vN')).toMatchInlineSnapshot(`
      "Logs vN
      └ Logs Provider: replicated
       ├ Log replication: {node: 2}
       └ Nodeset size: 0
       L-ID  SEGMENTS  FROM  KIND        LOGLET-ID  REPLICATION  SEQUENCER  NODESET      
       0     1         1     replicated  0_0        {node: 2}    N1:1       [N1, N2, N3] 
       1     1         1     replicated  1_0        {node: 2}    N2:1       [N1, N2, N3] 
       2     1         1     replicated  2_0        {node: 2}    N3:1       [N1, N2, N3] 
       3     1         1     replicated  3_0        {node: 2}    N1:1       [N1, N2, N3] 
      "
    `);
    const json = await cluster.ctlJson(['logs', 'list']);
    expect(json.logs).toHaveLength(4);
    expect(json.logs[1]).toEqual({
      log_id: 1,
      segments: 1,
      from_lsn: 1,
      kind: 'replicated',
      loglet_id: '1_0',
      replication: { node: 2 },
      sequencer_node_id: 2,
      sequencer_generational_id: 'N2:1',
      nodeset: [1, 2, 3],
    });
    expect(json.default_provider).toEqual({ kind: 'replicated', replication: { node: 2 }, nodeset_size: 0 });
  });

  it('replicated-loglet servers (and its list-servers alias): storage states and loglet counts', async () => {
    for (const verb of ['servers', 'list-servers']) {
      const result = await cluster.ctl(['replicated-loglet', verb]);
      expect(result.code).toBe(0);
      expect(result.stdout.replace(/ v\d+/g, ' vN')).toMatchInlineSnapshot(`
        "Node configuration vN
        Log chain vN
         NODE  GEN   STORAGE-STATE  HISTORICAL-LOGLETS  ACTIVE-LOGLETS 
         N1    N1:1  read-write     4                   4              
         N2    N2:1  read-write     4                   4              
         N3    N3:1  read-write     4                   4              
        "
      `);
    }
    const json = await cluster.ctlJson(['replicated-loglet', 'servers']);
    expect(json.servers[2]).toEqual({
      node_id: 3,
      generational_id: 'N3:1',
      storage_state: 'read-write',
      historical_loglets: 4,
      active_loglets: 4,
      problems: [],
    });
  });

  it('status: every node alive with uptime, metadata member, nodeset and sequencer counts', async () => {
    const result = await cluster.ctl(['status']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^Node Configuration \(v\d+\)$/);
    expect(lines[1]).toBe(' NODE-ID  NAME  UPTIME  METADATA  LEADER  FOLLOWER  NODESET-MEMBER  SEQUENCER  ROLES                                                        ');
    expect(lines[2]).toMatch(new RegExp(`^ N1:1 +n1 +${UPTIME} +Member +2 +\\d+ +4 +2 +admin \\| http-ingress \\| log-server \\| metadata-server \\| worker $`));
    expect(lines[3]).toMatch(new RegExp(`^ N2:1 +n2 +${UPTIME} +1 +\\d+ +4 +1 +admin \\| http-ingress \\| log-server \\| worker +$`));
    const json = await cluster.ctlJson(['status']);
    expect(json.nodes.map((n: { alive: boolean }) => n.alive)).toEqual([true, true, true]);
    expect(json.nodes[0]).toMatchObject({ node_id: 1, generation: 1, name: 'n1', metadata: 'member', nodeset_member: 4, sequencer: 2, sequencer_placement_optimal: true });
    // Four partitions with replication {node: 2}: four leaders, each with one follower, leaders with their sequencers.
    const sum = (field: 'leader' | 'follower') => json.nodes.reduce((total: number, n: Record<string, number>) => total + n[field]!, 0);
    expect([sum('leader'), sum('follower')]).toEqual([4, 4]);
    expect(typeof json.nodes[0].uptime_ms).toBe('number');
    expect(Date.parse(json.nodes[0].started_at)).not.toBeNaN();
  });

  it('nodes list and nodes list --extra', async () => {
    const plain = await cluster.ctl(['nodes', 'list']);
    expect(plain.stdout.split('\n')[1]).toBe(' NODE  GEN  NAME  ADDRESS                 ROLES                                                        ');
    const extra = await cluster.ctl(['nodes', 'list', '--extra']);
    expect(extra.stdout.split('\n')[1]).toMatch(/ LOCATION +STORAGE-STATE +WORKER-STATE +UPTIME +STATUS +ADMIN +WORKER +LOG-SERVER +META +NODES +LOGS +SCHEMA +P-TABLE $/);
    expect(extra.stdout.split('\n')[2]).toMatch(new RegExp(`read-write +active +${ROUGH_TIME} +Alive +Ready +Ready +Ready +Member +v\\d+ +v\\d+ +- +v1 +$`));
    const json = await cluster.ctlJson(['nodes', 'list', '--extra']);
    expect(json.nodes[1]).toMatchObject({ node_id: 2, storage_state: 'read-write', worker_state: 'active', reachable: true, alive: true });
    expect(json.nodes[1].storage_state_last_change).toMatchObject({ from: 'provisioning', to: 'read-write', by: 'N2:1' });
  });

  it('prints no colour when piped or with NO_COLOR, and colour on a terminal or with CLICOLOR_FORCE', async () => {
    for (const args of [['status'], ['nodes', 'list', '--extra'], ['logs', 'list'], ['replicated-loglet', 'servers']]) {
      const piped = await cluster.ctl(args);
      expect(piped.code).toBe(0);
      expect(piped.stdout).not.toMatch(ANSI);
      const forced = await cluster.ctl(args, { env: { CLICOLOR_FORCE: '1' } });
      expect(forced.stdout).toMatch(ANSI);
    }
    const tty = await cairnctlOnTerminal('status', { env: { CAIRN_ADDRESS: cluster.address } });
    expect(tty.code).toBe(0);
    expect(tty.stdout).toMatch(ANSI);
    const noColor = await cairnctlOnTerminal('status', { env: { CAIRN_ADDRESS: cluster.address, NO_COLOR: '1' } });
    expect(noColor.code).toBe(0);
    expect(noColor.stdout).toContain('Node Configuration');
    expect(noColor.stdout).not.toMatch(ANSI);
    const flag = await cairnctlOnTerminal('--no-color status', { env: { CAIRN_ADDRESS: cluster.address } });
    expect(flag.stdout).not.toMatch(ANSI);
  });

  it('exits 3 with a one-line error and a hint when no address answers, without waiting out the connect timeout', async () => {
    const [closed] = await allocatePorts(1);
    const result = await cairnctl(['-s', `http://127.0.0.1:${closed}`, ...LONG_CONNECT_TIMEOUT, 'status']);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    const [error, hint, rest] = result.stderr.split('\n');
    expect(error).toBe(`error: cannot reach any node: http://127.0.0.1:${closed}: connection refused`);
    expect(hint).toBe('hint: is cairn-server running there? the address came from --address; set --address or CAIRN_ADDRESS');
    expect(rest).toBe('');
    expect(result.ms).toBeLessThan(10_000);
  });

  it('succeeds without waiting for a dead address among live ones', async () => {
    const [closed] = await allocatePorts(1);
    const result = await cairnctl(['-s', `127.0.0.1:${closed}`, '-s', cluster.node('n2').address, ...LONG_CONNECT_TIMEOUT, 'logs', 'list', '-o', 'json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).logs).toHaveLength(4);
    expect(result.ms).toBeLessThan(10_000);
  });

  it('exits 2 on an unknown flag or a bad value', async () => {
    const unknown = await cluster.ctl(['status', '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown option '--frobnicate'");
    const badOutput = await cluster.ctl(['status', '-o', 'yaml']);
    expect(badOutput.code).toBe(2);
    expect(badOutput.stderr).toContain("argument 'yaml' is invalid");
    const missing = await cluster.ctl(['logs']);
    expect(missing.code).toBe(2);
    const badIds = await cluster.ctl(['logs', 'describe', '0-x']);
    expect(badIds.code).toBe(2);
    expect(badIds.stderr).toContain("error: Invalid range syntax '0-x'");
    const badLsn = await cluster.ctl(['logs', 'trim', '0', '--trim-point', 'soon', '--yes']);
    expect(badLsn.code).toBe(2);
    expect(badLsn.stderr).toContain("argument 'soon' is invalid. expected an LSN: a whole number >= 0");
  });

  it('documents exit codes and gives every command an example', async () => {
    const help = await cairnctl(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    expect(help.stdout).toMatch(/3 +unreachable/);
    for (const command of [['status'], ['nodes', 'list'], ['logs', 'list'], ['replicated-loglet', 'servers'], ['completions']]) {
      const sub = await cairnctl([...command, '--help']);
      expect(sub.code).toBe(0);
      expect(sub.stdout).toContain('Examples:');
      expect(sub.stdout).toContain('--output');
    }
  });

  it('answers status without waiting out a hung node (SIGSTOP), shown as offline', async () => {
    // The same command with every node answering is the baseline, measured under the same load: a
    // hung node may add the CLI's probe timeout (900 ms) and nothing like its request timeout (13 s).
    const baseline = await cluster.ctl(['status']);
    expect(baseline.code).toBe(0);
    const bound = baseline.ms + 900 + 2_000;
    const n3 = cluster.node('n3');
    await pauseProcess(n3.pid);
    try {
      const table = await cluster.ctl(['status']);
      expect(table.code).toBe(0);
      expect(table.ms).toBeLessThan(bound);
      expect(table.stdout).toMatch(/\n N3 +n3 +offline +admin/);
      const json = await cluster.ctl(['status', '-o', 'json']);
      expect(json.ms).toBeLessThan(bound);
      const n3Status = JSON.parse(json.stdout).nodes[2];
      expect(n3Status).toMatchObject({ node_id: 3, alive: false });
      expect(n3Status.unreachable_reason).toContain('no answer in time');
    } finally {
      process.kill(n3.pid, 'SIGCONT');
    }
  });
});

describe('cairnctl against a node that is not provisioned', () => {
  it('exits 4 and says how to provision', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cairn-unprovisioned-'));
    const [port, ingress] = await allocatePorts(2);
    const node = startServer(['--set', `base-dir=${dir}`, '--set', `bind-address=127.0.0.1:${port}`, '--set', `ingress.bind-address=127.0.0.1:${ingress}`, '--set', 'node-name=lonely']);
    try {
      const result = await waitUntil('the lonely node to answer cairnctl (exit code other than 3)', async () => {
        const attempt = await cairnctl(['-s', `127.0.0.1:${port}`, 'logs', 'list']);
        return attempt.code !== 3 && attempt;
      });
      expect(result.code).toBe(4);
      expect(result.stderr).toContain('error: the cluster has no bifrost_config: it has not been provisioned yet');
      expect(result.stderr).toContain('hint: provision it with `cairnctl provision`');
    } finally {
      process.kill(node.pid, 'SIGKILL');
      await node.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
