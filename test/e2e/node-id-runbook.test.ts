// The troubleshooting guide's runbook "Node id misconfiguration puts log server in data-loss state",
// for real and with its commands (binary name cairnctl): a second process started from node 3's
// config with an empty disk takes N3's id, finds no storage marker and aborts; N3 is data-loss; the
// control plane stops using it; after the bad process is gone, the guide's set-storage-state command
// (typed at a terminal and confirmed) puts N3 back, and the original node serves again. No
// acknowledged write is lost at any point.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocatePorts } from '../../src/server/local/cluster';
import { cairnctlOnTerminal } from '../helpers/cli';
import { alive, exitCode, startServer, TestCluster, waitUntil, type NodeProcess } from '../helpers/cluster';
import { Writers } from '../helpers/kv';

interface ServersJson {
  servers: Array<{ node_id: number; generational_id: string; storage_state: string }>;
}
interface LogsJson {
  logs: Array<{ log_id: number; nodeset: number[] }>;
}

/** A command typed at a terminal and answered with y. */
function typedAndConfirmed(command: string, address: string) {
  return cairnctlOnTerminal(command, { env: { CAIRN_ADDRESS: address }, answer: { prompt: '(y/N)', keys: 'y' } });
}

describe('runbook: node id misconfiguration puts a log-server in data-loss', () => {
  let cluster: TestCluster;
  const started: NodeProcess[] = [];
  const emptyDir = mkdtempSync(path.join(tmpdir(), 'cairn-impostor-'));

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
  });
  afterAll(async () => {
    for (const p of started) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
    await cluster?.destroy();
    rmSync(emptyDir, { recursive: true, force: true });
  });

  it('detects, contains and recovers, losing no acknowledged write', async () => {
    const ingresses = () => cluster.info.nodes.map((n) => n.ingress);
    const writers = new Writers(ingresses, 4, { prefix: 'rb' });
    const progress = async (what: string) => {
      const before = writers.acked.size;
      await waitUntil(`writes to go on ${what}`, async () => writers.acked.size > before + 20, 20_000);
    };

    try {
      await progress('before the incident');
      const original = cluster.node('n3');

      // A misconfigured node: node 3's config file, an empty base-dir, its own ports.
      const [port, ingressPort] = await allocatePorts(2);
      const impostor = startServer([
        '--config', original.config,
        '--set', `base-dir=${emptyDir}`,
        '--set', `bind-address=127.0.0.1:${port}`,
        '--set', `advertised-address=http://127.0.0.1:${port}`,
        '--set', `ingress.bind-address=127.0.0.1:${ingressPort}`,
      ]);
      started.push(impostor);
      expect(await exitCode(impostor, 'the impostor to abort')).toBe(1);
      expect(impostor.output()).toContain('Node cannot start a log-server on N3, it has detected that it has lost its data. storage-state is `data-loss`');

      // The original N3 notices that a newer generation took its id, and stops itself.
      await waitUntil('the original n3 to stop', async () => !alive(original.pid));
      expect(readFileSync(original.log, 'utf8')).toContain('This node has been preempted, a higher generation has been observed in nodes configuration');

      const servers = await cluster.ctl(['replicated-loglet', 'servers']);
      expect(servers.stdout).toMatch(/\n N3 +N3:\d+ +data-loss +\d+ +\d+ +\n/);
      // The control plane stops using N3 for new segments.
      await waitUntil('nodesets without N3', async () => (await cluster.ctlJson<LogsJson>(['logs', 'list'])).logs.every((l) => !l.nodeset.includes(3)), 20_000);
      const logsList = await cluster.ctl(['logs', 'list']);
      expect(logsList.stdout).toContain('[N1, N2]');
      await progress('while N3 is data-loss');
      // doctor names both states, with the runbook's command.
      const broken = await cluster.ctl(['doctor', '-o', 'json']);
      expect(broken.code).toBe(1);
      const findings = (JSON.parse(broken.stdout) as { findings: Array<{ code: string; evidence: { node_id?: number }; commands: string[] }> }).findings;
      expect(findings.filter((f) => f.evidence.node_id === 3).map((f) => f.code).sort()).toEqual(['log-server-data-loss', 'node-down']);
      expect(findings.find((f) => f.code === 'log-server-data-loss')!.commands).toContain('cairnctl replicated-loglet set-storage-state --node-id 3 --storage-state read-write --force');

      // The original node refuses to start while its storage-state is data-loss.
      const refused = startServer(['--config', original.config]);
      started.push(refused);
      expect(await exitCode(refused, 'the original n3 to refuse to start')).toBe(1);
      expect(refused.output()).toContain(
        "A previous generation of my node N3 has marked this log-server's storage-state as `data-loss`. If this is a new node, please choose a different node-name to provision it as a new node",
      );

      // The bad process is stopped (it stopped itself); the guide's command, without --force, is refused.
      expect(alive(impostor.pid)).toBe(false);
      const unforced = await cluster.ctl(['replicated-loglet', 'set-storage-state', '--node-id', '3', '--storage-state', 'read-write', '--yes']);
      expect(unforced.code).toBe(5);
      expect(unforced.stderr).toContain('Node N3 is currently in `data-loss` storage-state. Transitioning into `read-write` is unsafe.');

      // The guide's command, typed at a terminal and confirmed.
      const fixed = await typedAndConfirmed("replicated-loglet set-storage-state --node-id 3 --storage-state 'read-write' --force", cluster.address);
      expect(fixed.code).toBe(0);
      expect(fixed.stdout).toContain('Node N3 storage-state updated from data-loss to read-write');

      // Node 3's original process starts again and is back in service.
      await cluster.up();
      await waitUntil('N3 alive', async () => (await cluster.ctlJson<{ nodes: Array<{ node_id: number; alive: boolean }> }>(['status'])).nodes.every((n) => n.alive));
      const back = await cluster.ctlJson<ServersJson>(['replicated-loglet', 'servers']);
      expect(back.servers.find((s) => s.node_id === 3)?.storage_state).toBe('read-write');
      await waitUntil('nodesets with N3 again', async () => (await cluster.ctlJson<LogsJson>(['logs', 'list'])).logs.every((l) => l.nodeset.includes(3)), 20_000);
      await progress('after the recovery');
      const healthy = await cluster.ctl(['doctor']);
      expect(healthy.code, healthy.stdout).toBe(0);
      expect(healthy.stdout).not.toContain('✖');
    } finally {
      await writers.stop();
    }
    expect(writers.failed).toEqual([]);
    await writers.expectAllReadBack();
  }, 240_000);
});
