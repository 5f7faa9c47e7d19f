// Operator views of the data path against a real cluster with traffic: logs describe, find-tail,
// seal, reconfigure, replicated-loglet info and digest, and what they show after a failover.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/server/worker/partitioning';
import { cairnctlOnTerminal, ROUGH_TIME } from '../helpers/cli';
import { alive, TestCluster, waitUntil } from '../helpers/cluster';
import { putWithRetry } from '../helpers/kv';

interface LogsJson {
  logs_version: number;
  logs: Array<{ log_id: number; segments: number; from_lsn: number; loglet_id: string; sequencer_generational_id: string; nodeset: number[] }>;
}

/** cairnctl on a pseudo-terminal, answering its confirmation prompt with `keys`. */
function onTerminal(args: string, address: string, keys: string) {
  return cairnctlOnTerminal(args, { env: { CAIRN_ADDRESS: address }, answer: { prompt: '(y/N)', keys } });
}

describe('cairnctl log operations', () => {
  let cluster: TestCluster;
  let written = 0;

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
    const table = await cluster.partitionTable();
    // 30 records in log 0, so that tails and digests have something to show.
    for (let i = 0; written < 30; i++) {
      const key = `k${i}`;
      if (partitionForKey(key, table).log_id !== 0) continue;
      expect((await putWithRetry([cluster.node('n2').ingress], key, `v${i}`)).ok).toBe(true);
      written++;
    }
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('find-tail shows each log OPEN with its tail LSN', async () => {
    const result = await cluster.ctl(['logs', 'find-tail', '0-1']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatchInlineSnapshot(`
      " LOG-ID  SEGMENT  STATE  TAIL-LSN 
       0       0        OPEN   31       
       1       0        OPEN   1        
      "
    `);
    const json = await cluster.ctlJson(['logs', 'find-tail', '0']);
    expect(json.logs).toEqual([{ log_id: 0, segment_index: 0, state: 'OPEN', tail_lsn: 31, error: null }]);
  });

  it('describe marks the tail segment and counts the segments shown', async () => {
    const result = await cluster.ctl(['logs', 'describe', '0']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^Log Id: 0 \(v\d+\)$/);
    expect(lines[1]).toMatch(/^ {2}IDX {2}FROM-LSN {2}KIND {8}LOGLET-ID {2}REPLICATION {2}SEQUENCER {2}EFF-NODESET {3}CREATED-AT/);
    expect(lines[2]).toMatch(new RegExp(`^▶︎ 0 +1 +replicated +0_0 +\\{node: 2\\} +N1:1 +\\[N1, N2, N3\\] +(now|${ROUGH_TIME} ago)`));
    expect(lines.slice(3)).toEqual(['---', '1/1 segments shown.', '', '']);
    const extra = await cluster.ctl(['logs', 'describe', '0', '--extra']);
    expect(extra.stdout.split('\n')[1]).toBe('Trim Point LSN: 0');
    expect(extra.stdout).toContain('{"loglet_id":0,"sequencer":"N1:1","replication":{"node":2},"nodeset":[1,2,3]}');
    const missing = await cluster.ctl(['logs', 'describe', '9']);
    expect(missing.code).toBe(4);
  });

  it('replicated-loglet info and digest show every log-server holding every record', async () => {
    // A record is committed once two of the three log-servers hold it; the third store may still be
    // on its way.
    await waitUntil('all three log-servers to hold the 30 records of loglet 0_0', async () => {
      const tails = await Promise.all(cluster.info.nodes.map(async (n) => ((await (await fetch(`${n.address}/v1/log-server/loglets/0`)).json()) as { local_tail: number }).local_tail));
      return tails.every((tail) => tail === 31);
    });
    const info = await cluster.ctl(['replicated-loglet', 'info', '0_0']);
    expect(info.code).toBe(0);
    expect(info.stdout.split('\n').slice(0, 6)).toEqual([
      expect.stringMatching(/^ Loglet Id: +0_0 \(raw=0\) +$/),
      expect.stringMatching(/^ Used in: +LogId=0 at Segment=0 +$/),
      expect.stringMatching(/^ Sequencer: +N1:1 +$/),
      expect.stringMatching(/^ Replication: +\{node: 2\} +$/),
      expect.stringMatching(/^ Nodeset: +\[N1, N2, N3\] +$/),
      '',
    ]);
    expect(info.stdout).toMatch(/ {5}LOCAL-TAIL {2}GLOBAL-TAIL {2}TRIM-POINT {2}SEALED \n N1 {2}31 +\d+ +0 +NO /);
    const json = await cluster.ctlJson(['replicated-loglet', 'info', '0_0']);
    expect(json.log_servers.map((s: { state: { local_tail: number } }) => s.state.local_tail)).toEqual([31, 31, 31]);
    // Idle, every log-server knows the committed tail as the global tail (no later store carries it).
    await waitUntil('every log-server of the idle loglet 0_0 to know global tail 31', async () => {
      const idle = await cluster.ctlJson(['replicated-loglet', 'info', '0_0']);
      return idle.log_servers.every((s: { state: { known_global_tail: number } }) => s.state.known_global_tail === 31);
    }, 2_000);

    const digest = await cluster.ctl(['replicated-loglet', 'digest', '0_0', '--from', '1', '--to', '3']);
    expect(digest.code).toBe(0);
    expect(digest.stdout.split('\n').slice(0, 3)).toEqual([
      ' OFFSET       N1         N2         N3         ISSUES ',
      ' 1            X          X          X                 ',
      ' 2            X          X          X                 ',
    ]);
    const under = await cluster.ctlJson(['replicated-loglet', 'digest', '0_0', '-u']);
    expect(under.offsets).toEqual([]);
    expect((await cluster.ctl(['replicated-loglet', 'info', '7_0'])).code).toBe(4);
    expect((await cluster.ctl(['replicated-loglet', 'info', 'x'])).code).toBe(2);
  });

  it('seal needs --yes without a terminal, and changes nothing without it', async () => {
    const before = await cluster.ctlJson<LogsJson>(['logs', 'list']);
    const refused = await cluster.ctl(['logs', 'seal', '1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('needs confirmation, and there is no terminal to ask on');
    expect(refused.stderr).toContain('hint: pass --yes');
    expect((await cluster.ctlJson<LogsJson>(['logs', 'list'])).logs_version).toBe(before.logs_version);
  });

  it('seal on a terminal: no keeps the log open, yes seals it and the controller extends the chain', async () => {
    const declined = await onTerminal('logs seal 1', cluster.address, 'n');
    expect(declined.code).toBe(1);
    expect(declined.stdout).toContain('Seal the tail segment of log 1?');
    expect(declined.stdout).toContain('aborted: nothing was changed');
    expect((await cluster.ctlJson<LogsJson>(['logs', 'list'])).logs[1]!.segments).toBe(1);

    const confirmed = await onTerminal('logs seal 1 --reason tty-check', cluster.address, 'y');
    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout).toContain('log=1 chain has been sealed');
    const extended = await waitUntil('log 1 to be extended', async () => {
      const logs = await cluster.ctlJson<LogsJson>(['logs', 'list']);
      return logs.logs[1]!.segments === 3 ? logs : undefined;
    });
    expect(extended.logs[1]!.loglet_id).toBe('1_1');
    const describe = await cluster.ctl(['logs', 'describe', '1']);
    expect(describe.stdout).toMatch(new RegExp(`\\n {2}0 +1 +sealed +(now|${ROUGH_TIME} ago) +At \\S+ source=cairnctl, reason=tty-check, node=N1:1 \\n`));
    expect(describe.stdout).toMatch(/\n▶︎ 1 +1 +replicated +1_1 /);
  });

  it('describe --skip and --from-segment-id choose where the listing starts', async () => {
    // Log 1 was sealed and extended above: segment 0 (1_0), its seal marker, segment 1 (1_1).
    const segmentsOf = async (...args: string[]) =>
      (await cluster.ctlJson<{ logs: Array<{ segments_total: number; segments: Array<{ index: number; kind: string }> }> }>(['logs', 'describe', '1', ...args])).logs[0]!;
    expect((await segmentsOf()).segments.map((s) => [s.index, s.kind])).toEqual([[0, 'replicated'], [0, 'sealed'], [1, 'replicated']]);
    expect((await segmentsOf('--skip', '1')).segments.map((s) => [s.index, s.kind])).toEqual([[0, 'sealed'], [1, 'replicated']]);
    expect((await segmentsOf('--from-segment-id', '1')).segments.map((s) => [s.index, s.kind])).toEqual([[1, 'replicated']]);
    expect((await segmentsOf('--skip', '1', '--head', '1')).segments.map((s) => [s.index, s.kind])).toEqual([[0, 'sealed']]);
    const table = await cluster.ctl(['logs', 'describe', '1', '--from-segment-id', '1']);
    expect(table.stdout).toContain('1/3 segments shown.');
    expect((await cluster.ctl(['logs', 'describe', '1', '--from-segment-id', '9'])).stdout).toContain('No segments to display.');
    expect((await cluster.ctl(['logs', 'describe', '1', '--skip', '1', '--from-segment-id', '1'])).code).toBe(2);
  });

  it('reconfigure: --dry-run plans and changes nothing; then moves the sequencer', async () => {
    const before = await cluster.ctlJson<LogsJson>(['logs', 'list']);
    const plan = await cluster.ctl(['logs', 'reconfigure', '-l', '2', '--sequencer', 'N1', '--dry-run']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('Log reconfiguration plan (2)');
    expect(plan.stdout).toContain(' ├ Sequencer: N1:1');
    expect((await cluster.ctlJson<LogsJson>(['logs', 'list'])).logs_version).toBe(before.logs_version);

    const done = await cluster.ctl(['logs', 'reconfigure', '-l', '2', '--sequencer', 'N1', '--yes', '-o', 'json']);
    expect(done.code).toBe(0);
    const outcome = JSON.parse(done.stdout).results[0];
    expect(outcome.new_segment).toMatchObject({ sequencer_node_id: 1, sequencer_generational_id: 'N1:1', nodeset: [1, 2, 3] });
    expect((await cluster.ctlJson<LogsJson>(['logs', 'list'])).logs[2]).toMatchObject({ loglet_id: "2_1", sequencer_generational_id: "N1:1" });

    const refused = await cluster.ctl(['logs', 'reconfigure', '-l', '2', '--replication', '4', '--yes']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('error: log 2: a nodeset of 3 log-server(s) cannot satisfy replication {node: 4}');
    expect(refused.stderr).toContain('warning: nothing was changed');
  });

  it('after kill -9 of a sequencer node: logs list shows the new segment and describe the sealed one', async () => {
    const before = await cluster.ctlJson<LogsJson>(['logs', 'list']);
    // n1 holds the metadata store; the victim is another node that runs a sequencer.
    const victimId = [2, 3].find((id) => before.logs.some((l) => l.sequencer_generational_id.startsWith(`N${id}:`)))!;
    const victim = cluster.node(`n${victimId}`);
    const sequenced = before.logs.filter((l) => l.sequencer_generational_id.startsWith(`N${victimId}:`)).map((l) => l.log_id);
    cluster.kill(victim.name, 'SIGKILL');
    await waitUntil(`${victim.name} to die`, async () => !alive(victim.pid));
    const after = await waitUntil('failover', async () => {
      const logs = await cluster.ctlJson<LogsJson>(['logs', 'list']);
      return sequenced.every((id) => !logs.logs[id]!.sequencer_generational_id.startsWith(`N${victimId}:`)) ? logs : undefined;
    }, 15_000);
    const id = sequenced[0]!;
    expect(after.logs[id]!.segments).toBe(before.logs[id]!.segments + 1);
    const describe = await cluster.ctl(['logs', 'describe', String(id)]);
    const rows = describe.stdout.split('\n').filter((l) => / replicated /.test(l));
    expect(rows[rows.length - 2]).toContain(before.logs[id]!.loglet_id);
    expect(rows[rows.length - 1]).toMatch(/^▶︎ /);
    const info = await cluster.ctl(['replicated-loglet', 'info', before.logs[id]!.loglet_id]);
    expect(info.stdout).toContain('(SEGMENT IS SEALED)');
    expect(info.stdout).toMatch(new RegExp(`N${victimId} +\\? +\\? +\\? +\\?`));
    expect(info.stderr).toContain(`N${victimId}:`);
  });
});
