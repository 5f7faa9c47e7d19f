// Real node processes: generations, stable ids, and metadata that survives restarts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, TestCluster, waitUntil } from '../helpers/cluster';

interface NodesJson {
  nodes_config_version: number;
  nodes: Array<{ node_id: number; generation: number; name: string; storage_state: string }>;
}

describe('a local 3-node cluster', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('runs each node as its own process with its own data directory', () => {
    const { nodes } = cluster.info;
    expect(nodes).toHaveLength(3);
    expect(new Set(nodes.map((n) => n.pid)).size).toBe(3);
    expect(new Set(nodes.map((n) => n.dataDir)).size).toBe(3);
    for (const node of nodes) expect(alive(node.pid)).toBe(true);
  });

  it('registers three nodes in generation 1, with read-write log-servers', async () => {
    const listed = await cluster.ctlJson<NodesJson>(['nodes', 'list']);
    expect(listed.nodes.map((n) => [n.node_id, n.name, n.generation])).toEqual([
      [1, 'n1', 1],
      [2, 'n2', 1],
      [3, 'n3', 1],
    ]);
    expect(listed.nodes.every((n) => n.storage_state === 'read-write')).toBe(true);
  });

  it('gives a restarted node the next generation under the same plain id', async () => {
    const before = await cluster.ctlJson<NodesJson>(['nodes', 'list']);
    const n2 = cluster.node('n2');
    cluster.kill('n2', 'SIGKILL');
    await waitUntil('n2 to exit', async () => !alive(n2.pid));
    await cluster.up();
    expect(cluster.node('n2').pid).not.toBe(n2.pid);
    const after = await waitUntil('n2 to register again', async () => {
      const listed = await cluster.ctlJson<NodesJson>(['nodes', 'list']);
      return listed.nodes.find((n) => n.name === 'n2')?.generation === 2 ? listed : undefined;
    });
    expect(after.nodes.find((n) => n.name === 'n2')).toMatchObject({ node_id: 2, generation: 2 });
    expect(after.nodes.find((n) => n.name === 'n1')?.generation).toBe(1);
    expect(after.nodes_config_version).toBeGreaterThan(before.nodes_config_version);
  });

  it('keeps every metadata document and advances versions across a full restart', async () => {
    const nodesBefore = await cluster.ctlJson<NodesJson>(['nodes', 'list']);
    const logsBefore = await cluster.ctlJson<{ logs_version: number; logs: unknown[] }>(['logs', 'list']);
    const down = await cluster.down();
    expect(down.code).toBe(0);
    for (const node of cluster.info.nodes) expect(alive(node.pid)).toBe(false);

    await cluster.up();
    const nodesAfter = await cluster.ctlJson<NodesJson>(['nodes', 'list']);
    const logsAfter = await cluster.ctlJson<{ logs_version: number; logs: unknown[] }>(['logs', 'list']);
    expect(nodesAfter.nodes_config_version).toBeGreaterThan(nodesBefore.nodes_config_version);
    expect(nodesAfter.nodes.map((n) => [n.node_id, n.generation])).toEqual(nodesBefore.nodes.map((n) => [n.node_id, n.generation + 1]));
    expect(logsAfter.logs_version).toBeGreaterThanOrEqual(logsBefore.logs_version);
    expect(logsAfter.logs).toHaveLength(logsBefore.logs.length);
  });

  it('serves an OpenAPI document generated from the shared schemas', async () => {
    const response = await fetch(`${cluster.node('n1').address}/v1/openapi.json`);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/node', '/v1/metadata/{key}', '/v1/cluster/provision', '/health']));
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['NodesConfiguration', 'Logs', 'Ident', 'ErrorBody']));
  });

  it('answers errors as JSON {code, message, hint?} with a meaningful status', async () => {
    const address = cluster.node('n1').address;
    const missing = await fetch(`${address}/v1/metadata/no_such_key`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NOT_FOUND', message: "unknown metadata key 'no_such_key'" });
    const again = await fetch(`${address}/v1/cluster/provision`, { method: 'POST', body: '{}' });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: 'ALREADY_PROVISIONED' });
    const bad = await fetch(`${address}/v1/cluster/provision`, { method: 'POST', body: '{"num_partitions": 0}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('num_partitions');
  });
});
