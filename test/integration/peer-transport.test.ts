// The node-to-node transport with a cluster secret: the cluster replicates over it, a peer with a
// wrong or missing secret is refused at the handshake (and each refusing node logs it once per
// address, not once per attempt), and the right secret is let in.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api/errors';
import { PeerClients } from '../../src/server/transport/peer-client';
import { TestCluster, waitUntil } from '../helpers/cluster';
import { get, putWithRetry } from '../helpers/kv';

const SECRET = 'peer-transport-test-secret';
const REFUSAL_LOG = 'refused a peer connection';

describe('the peer transport with a cluster secret', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3, sets: [`cluster-secret=${SECRET}`] });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  const clients = (clusterSecret?: string) => new PeerClients({ connectTimeoutMs: 2_000, messageLimit: 1024 * 1024, clusterSecret });
  const loglet0State = (peers: PeerClients, address: string) =>
    peers.request<{ local_tail: number }>(address, 'state', { loglet_id: 0 }, { timeoutMs: 5_000 }).then(
      (state) => state,
      (err: unknown) => err,
    );

  it('replicates writes between nodes that share the secret', async () => {
    const ingresses = cluster.info.nodes.map((n) => n.ingress);
    for (let i = 0; i < 12; i++) {
      const outcome = await putWithRetry(ingresses, `secret-${i}`, `value-${i}`);
      expect(outcome.ok, `PUT secret-${i}: ${outcome.status} ${outcome.body}`).toBe(true);
    }
    for (let i = 0; i < 12; i++) {
      const read = await get(ingresses[(i + 1) % 3]!, `secret-${i}`);
      expect(read.body.toString()).toBe(`value-${i}`);
    }
  });

  it('refuses a wrong or missing secret at the handshake, logging it once', async () => {
    const n2 = cluster.node('n2');
    const refusalsLogged = () => readFileSync(n2.log, 'utf8').split(REFUSAL_LOG).length - 1;
    expect(refusalsLogged()).toBe(0);
    for (const secret of ['not-the-secret', 'also-wrong', undefined]) {
      const peers = clients(secret);
      for (let attempt = 0; attempt < 3; attempt++) {
        const outcome = await loglet0State(peers, n2.address);
        expect(outcome).toBeInstanceOf(ApiError);
        expect(outcome).toMatchObject({ code: 'UNAUTHORIZED', hint: 'set the same cluster-secret on every node' });
        expect((outcome as Error).message).toContain('missing or wrong cluster secret');
      }
      peers.destroy();
    }
    // Nine refused attempts from this address, one line.
    await waitUntil('n2 to log the refusal', async () => refusalsLogged() > 0);
    expect(refusalsLogged()).toBe(1);

    const admitted = clients(SECRET);
    const state = await loglet0State(admitted, n2.address);
    admitted.destroy();
    expect(state).toMatchObject({ local_tail: expect.any(Number) });
  });
});
