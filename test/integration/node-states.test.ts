// Storage-state and worker-state changes against a real cluster: every storage transition with and
// without force, the refusals (unsafe transition, missing role, feasibility, stale generation,
// unknown or removed node), confirmation rules, node removal with tombstones, and a storage marker
// written by another node.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORAGE_STATES, type StorageState } from '../../src/api/schemas';
import { isSafeStorageTransition } from '../../src/api/states';
import { allocatePorts } from '../../src/server/local/cluster';
import { alive, exitCode, startServer, TestCluster, waitUntil, type NodeProcess } from '../helpers/cluster';

interface NodesJson {
  nodes: Array<{ node_id: number; name: string; generation: number; storage_state: StorageState; worker_state: string; storage_state_last_change: unknown }>;
}

describe('node state changes', () => {
  let cluster: TestCluster;
  const extra: NodeProcess[] = [];
  const dirs: string[] = [];

  const api = async (route: string, body: unknown) => {
    const response = await fetch(`${cluster.node('n1').address}/v1/nodes/${route}`, { method: 'POST', body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as { code?: string; message?: string; changes?: Array<{ from: string; to: string }> } };
  };
  const state = async (id: number) => (await cluster.ctlJson<NodesJson>(['nodes', 'list'])).nodes.find((n) => n.node_id === id)!;
  /** A worker-only node joining under a new name, outside `local up`. */
  const startExtra = async (name: string, roles: string, baseDir?: string) => {
    const [port, ingressPort] = await allocatePorts(2);
    const dir = baseDir ?? mkdtempSync(path.join(tmpdir(), `cairn-${name}-`));
    dirs.push(dir);
    const settings = [
      'cluster-name=local',
      ...cluster.metadataClientSettings(),
      `node-name=${name}`,
      `roles=${roles}`,
      `base-dir=${dir}`,
      `bind-address=127.0.0.1:${port}`,
      `advertised-address=http://127.0.0.1:${port}`,
      `ingress.bind-address=127.0.0.1:${ingressPort}`,
    ];
    const node = startServer(settings.flatMap((setting) => ['--set', setting]));
    extra.push(node);
    return node;
  };

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 4 });
  });
  afterAll(async () => {
    for (const node of extra) if (alive(node.pid)) process.kill(node.pid, 'SIGKILL');
    await cluster?.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('allows exactly the safe storage transitions without --force, and every transition with it', async () => {
    const n4 = await state(4);
    for (const from of STORAGE_STATES) {
      for (const to of STORAGE_STATES) {
        const { generation } = await state(4);
        const forced = await api('storage-state', { nodes: [{ id: 4, generation }], storage_state: from, force: true });
        expect(forced.status, `force into ${from}`).toBe(200);
        const attempt = await api('storage-state', { nodes: [{ id: 4, generation }], storage_state: to, dry_run: true });
        if (isSafeStorageTransition(from, to)) {
          expect(attempt.status, `${from} -> ${to}`).toBe(200);
          expect(attempt.json.changes).toEqual([expect.objectContaining({ from, to })]);
        } else {
          expect(attempt.status, `${from} -> ${to}`).toBe(409);
          expect(attempt.json.message).toBe(`Node N4 is currently in \`${from}\` storage-state. Transitioning into \`${to}\` is unsafe.`);
          const withForce = await api('storage-state', { nodes: [{ id: 4, generation }], storage_state: to, force: true, dry_run: true });
          expect(withForce.status, `${from} -> ${to} forced`).toBe(200);
        }
      }
    }
    await api('storage-state', { nodes: [{ id: 4 }], storage_state: 'read-write', force: true });
    expect((await state(4)).generation).toBe(n4.generation);
  });

  it('refuses, through the CLI, with exit code 5 and the reason; --force and --yes make it', async () => {
    const refused = await cluster.ctl(['nodes', 'set-storage-state', '--nodes', 'N4', '--storage-state', 'gone', '--yes']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('error: Node N4 is currently in `read-write` storage-state. Transitioning into `gone` is unsafe.');
    expect((await state(4)).storage_state).toBe('read-write');

    const forced = await cluster.ctl(['nodes', 'set-storage-state', '--nodes', 'N4', '--storage-state', 'gone', '--force', '--yes', '--reason', 'disk replaced']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toBe('Node N4 storage-state updated from read-write to gone\n');
    const extra = await cluster.ctlJson(['nodes', 'list', '--extra']);
    expect(extra.nodes[3].storage_state_last_change).toMatchObject({ from: 'read-write', to: 'gone', reason: 'disk replaced', by: expect.stringContaining('cairnctl') });

    const noTerminal = await cluster.ctl(['nodes', 'set-storage-state', '--nodes', 'N4', '--storage-state', 'read-write', '--force']);
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toContain('hint: pass --yes (-y) to confirm without a prompt');
    const dryRun = await cluster.ctl(['nodes', 'set-storage-state', '--nodes', 'N4', '--storage-state', 'read-write', '--force', '--dry-run']);
    expect(dryRun.stdout).toContain('would be updated from gone to read-write (dry run, nothing changed)');
    expect((await state(4)).storage_state).toBe('gone');
    const legacy = await cluster.ctl(['replicated-loglet', 'set-storage-state', '--node-id', '4', '--storage-state', 'read-write', '--force', '--yes']);
    expect(legacy.code).toBe(0);
    expect(legacy.stdout).toBe('Node N4 storage-state updated from gone to read-write\n');
  });

  it('refuses a change that leaves too few read-write log-servers for the replication', async () => {
    const result = await cluster.ctl(['nodes', 'set-storage-state', '--nodes', 'N2,N3,N4', '--storage-state', 'read-only', '--yes']);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('Safety-check failed: nodesets like [N1] will not be able to satisfy replication property {node: 2}');
    const none = await api('storage-state', { nodes: [1, 2, 3, 4].map((id) => ({ id })), storage_state: 'read-only' });
    expect(none.json.message).toBe('Safety-check failed: lost the ability to generate nodesets');
    expect((await cluster.ctlJson<NodesJson>(['nodes', 'list'])).nodes.every((n) => n.storage_state === 'read-write')).toBe(true);
  });

  it('refuses a change keyed by a generation the node no longer has, even with --force', async () => {
    const before = await state(3);
    cluster.kill('n3', 'SIGKILL');
    await cluster.up();
    await waitUntil('n3 to register again', async () => (await state(3)).generation === before.generation + 1);
    const stale = await api('storage-state', { nodes: [{ id: 3, generation: before.generation }], storage_state: 'read-only', force: true });
    expect(stale.status).toBe(409);
    expect(stale.json.message).toBe(`node was found but has a mismatching generation (expected=N3:${before.generation} found=N3:${before.generation + 1})`);
    expect((await state(3)).storage_state).toBe('read-write');
  });

  it('refuses unknown nodes and nodes without the log-server role', async () => {
    const unknown = await cluster.ctl(['nodes', 'set-storage-state', '--nodes', 'N42', '--storage-state', 'read-only', '--force', '--yes']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('error: node N42 was not found in config');

    const worker = await startExtra('w1', 'worker');
    const id = await waitUntil('w1 to join', async () => (await cluster.ctlJson<NodesJson>(['nodes', 'list'])).nodes.find((n) => n.name === 'w1')?.node_id);
    expect(id).toBe(5);
    const noRole = await cluster.ctl(['nodes', 'set-storage-state', '--nodes', `N${id}`, '--storage-state', 'disabled', '--yes']);
    expect(noRole.code).toBe(5);
    expect(noRole.stderr).toContain(`Node N5 doesn't have \`log-server\` role. Its last-observed generation N5:1 has roles: [worker]`);
    expect(alive(worker.pid)).toBe(true);
  });

  it('changes worker states with the reference rules', async () => {
    const draining = await cluster.ctl(['nodes', 'set-worker-state', '--nodes', 'N4', '--worker-state', 'draining', '--yes']);
    expect(draining.code).toBe(0);
    expect(draining.stdout).toMatch(/^N4:\d+ worker-state has been updated from active to draining\n$/);
    const unsafe = await cluster.ctl(['nodes', 'set-worker-state', '--nodes', 'N4', '--worker-state', 'provisioning', '--yes']);
    expect(unsafe.code).toBe(5);
    expect(unsafe.stderr).toMatch(/Node N4:\d+ is in state draining\. It's not safe to change its worker-state to provisioning/);
    const infeasible = await cluster.ctl(['nodes', 'set-worker-state', '--nodes', 'N1,N2,N3', '--worker-state', 'draining', '--yes']);
    expect(infeasible.code).toBe(5);
    expect(infeasible.stderr).toContain('Safety-check failed: Can no longer create new replica sets with worker-state changes.');
    expect((await cluster.ctl(['nodes', 'set-worker-state', '--nodes', 'N4', '--worker-state', 'active', '--yes'])).code).toBe(0);
  });

  it('removes a node for good: its id becomes a tombstone, the process stops, and the name rejoins under a new id', async () => {
    const worker = extra[0]!;
    const refusedN4 = await cluster.ctl(['nodes', 'remove', '--nodes', 'N4', '--yes']);
    expect(refusedN4.code).toBe(5);
    expect(refusedN4.stderr).toContain('It is not safe to disable node N4: log server cannot be disabled because it is in read-write state');

    const removed = await cluster.ctl(['nodes', 'remove', '--nodes', 'N5', '--yes']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toBe('Successfully removed nodes [N5]\n');
    expect(await exitCode(worker, 'the removed node N5 to stop itself')).toBe(1);
    expect(worker.output()).toContain('This node (N5) has been removed from the cluster');
    const again = await cluster.ctl(['nodes', 'set-storage-state', '--nodes', 'N5', '--storage-state', 'disabled', '--force', '--yes']);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('node N5 has been permanently deleted from config');

    await startExtra('w1', 'worker');
    const rejoined = await waitUntil('w1 to join again', async () => (await cluster.ctlJson<NodesJson>(['nodes', 'list'])).nodes.find((n) => n.name === 'w1'));
    expect(rejoined.node_id).toBe(6);
  });

  it('refuses a storage marker written by another node', async () => {
    // A copy of n2's data under a new name: the marker says N2, the node is someone else.
    const copy = mkdtempSync(path.join(tmpdir(), 'cairn-copy-'));
    for (const file of ['log-store.db', 'log-store.db-wal']) cpSync(path.join(cluster.node('n2').dataDir, file), path.join(copy, file));
    const node = await startExtra('n2-copy', 'log-server', copy);
    expect(await exitCode(node, 'the node with the copied marker to refuse to start')).toBe(1);
    expect(node.output()).toMatch(/log-server storage marker was found but it was created by another node\. Found N2 while this node is N\d+/);
  });
});
