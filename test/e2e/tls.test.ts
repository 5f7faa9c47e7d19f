// A 3-node cluster with TLS and mutual auth, on certificates this test makes with openssl: the
// admin API and the peer transport speak only TLS, appends replicate over it, cairnctl works with
// --tls-ca/--tls-cert/--tls-key (or --insecure-skip-tls-verify instead of the CA) and without a
// client certificate fails naming TLS and the flags; a client or a peer whose certificate another CA
// signed is refused (logged once per address); writes continue after kill -9 of a node.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api/errors';
import { PeerClients } from '../../src/server/transport/peer-client';
import { partitionForKey } from '../../src/server/worker/partitioning';
import { alive, TestCluster, waitUntil } from '../helpers/cluster';
import { get, putWithRetry } from '../helpers/kv';
import { generateCertificates, type KeyPair, type TestCertificates } from '../helpers/tls';

const REFUSAL_LOG = 'refused a client certificate';

interface LogRow {
  log_id: number;
  loglet_id: string;
}

describe('a cluster with TLS and mutual auth', () => {
  let certificatesDir: string;
  let certificates: TestCertificates;
  let cluster: TestCluster;
  const ingresses = () => cluster.info.nodes.map((n) => n.ingress);
  const nodePair = (name: string): KeyPair => ({ cert: certificates.nodeCert.replace('{node}', name), key: certificates.nodeKey.replace('{node}', name) });
  const pem = (file: string) => readFileSync(file, 'utf8');

  /** One HTTP request on a raw TLS connection presenting `pair`: the status line and body the node sent. */
  const rawRequest = (address: string, pair: KeyPair) =>
    new Promise<string>((resolve, reject) => {
      const url = new URL(address);
      const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca: pem(certificates.ca), cert: pem(pair.cert), key: pem(pair.key) }, () =>
        socket.write('GET /v1/node HTTP/1.1\r\nhost: cairn\r\nconnection: close\r\n\r\n'),
      );
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });

  beforeAll(async () => {
    certificatesDir = mkdtempSync(path.join(tmpdir(), 'cairn-tls-'));
    certificates = generateCertificates(certificatesDir, ['n1', 'n2', 'n3']);
    cluster = await TestCluster.start({ nodes: 3, tls: certificates });
  }, 120_000);
  afterAll(async () => {
    await cluster?.destroy();
    rmSync(certificatesDir, { recursive: true, force: true });
  });

  it('advertises https:// addresses and closes plain HTTP connections', async () => {
    for (const node of cluster.info.nodes) expect(node.address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const plain = cluster.node('n1').address.replace('https://', 'http://');
    await expect(fetch(`${plain}/v1/ident`)).rejects.toThrow();
  });

  it('replicates appends between the nodes over the TLS peer transport', async () => {
    for (let i = 0; i < 12; i++) {
      const outcome = await putWithRetry(ingresses(), `tls-${i}`, `value-${i}`, 30_000, i);
      expect(outcome.ok, `PUT tls-${i}: ${outcome.status} ${outcome.body}`).toBe(true);
    }
    for (let i = 0; i < 12; i++) {
      const read = await get(ingresses()[(i + 1) % 3]!, `tls-${i}`);
      expect(read.body.toString()).toBe(`value-${i}`);
    }
    // Each log's records are on two log-servers: every append went to at least one peer.
    const { logs } = await cluster.ctlJson<{ logs: LogRow[] }>(['logs', 'list']);
    for (const log of logs) {
      const info = await cluster.ctlJson<{ log_servers: Array<{ node_id: number; state: { local_tail: number } | null }> }>(['replicated-loglet', 'info', log.loglet_id]);
      const holding = info.log_servers.filter((server) => (server.state?.local_tail ?? 0) > 0);
      expect(holding.length, `log-servers holding records of loglet ${log.loglet_id}: ${JSON.stringify(info.log_servers)}`).toBeGreaterThanOrEqual(2);
    }
  }, 90_000);

  it('cairnctl works with --tls-ca, --tls-cert and --tls-key', async () => {
    const { client, ca } = certificates;
    const result = await cluster.ctl(['nodes', 'list', '-o', 'json', '--tls-ca', ca, '--tls-cert', client.cert, '--tls-key', client.key], {
      env: { CAIRN_TLS_CA: undefined, CAIRN_TLS_CERT: undefined, CAIRN_TLS_KEY: undefined },
    });
    expect(result.code, result.stderr).toBe(0);
    const { nodes } = JSON.parse(result.stdout) as { nodes: Array<{ name: string; address: string }> };
    expect(nodes.map((n) => n.name).sort()).toEqual(['n1', 'n2', 'n3']);
    for (const node of nodes) expect(node.address).toMatch(/^https:\/\//);
  });

  it('without a client certificate cairnctl fails naming TLS and the flags to use', async () => {
    const result = await cluster.ctl(['nodes', 'list'], { env: { CAIRN_TLS_CERT: undefined, CAIRN_TLS_KEY: undefined } });
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/error: TLS: n\d requires a client certificate signed by its CA \(tls\.ca-file\), and no client certificate was presented/);
    expect(result.stderr).toMatch(/hint: .*--tls-cert and --tls-key/);
  });

  it('without the CA cairnctl fails on the nodes\' certificates, pointing at --tls-ca', async () => {
    const result = await cluster.ctl(['status'], { env: { CAIRN_TLS_CA: undefined, CAIRN_INSECURE_SKIP_TLS_VERIFY: undefined, CAIRN_TLS_CERT: undefined, CAIRN_TLS_KEY: undefined } });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/TLS failed \(the node's certificate is not signed by a trusted CA/);
    expect(result.stderr).toMatch(/hint: pass the CA that signed the nodes' certificates with --tls-ca/);
  });

  it('--insecure-skip-tls-verify with the client certificate works without the CA', async () => {
    const result = await cluster.ctl(['nodes', 'list', '-o', 'json', '--insecure-skip-tls-verify'], { env: { CAIRN_TLS_CA: undefined } });
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { nodes: unknown[] }).nodes).toHaveLength(3);
  });

  it('refuses a client or a peer whose certificate another CA signed, logging it once per address', async () => {
    const n2 = cluster.node('n2');
    // The trusted client certificate gets an answer on the same kind of connection.
    expect(await rawRequest(n2.address, certificates.client)).toMatch(/^HTTP\/1\.1 200 /);
    const refused = await rawRequest(n2.address, certificates.foreign);
    expect(refused).toMatch(/^HTTP\/1\.1 401 /);
    expect(refused).toContain('"code":"CLIENT_CERTIFICATE_REFUSED"');
    expect(refused).toContain('the client certificate presented is not signed by its CA');

    const peersWith = (pair: KeyPair) =>
      new PeerClients({ connectTimeoutMs: 2_000, messageLimit: 1024 * 1024, tls: { ca: pem(certificates.ca), cert: pem(pair.cert), key: pem(pair.key), rejectUnauthorized: true } });
    const loglet0State = async (pair: KeyPair) => {
      const peers = peersWith(pair);
      try {
        return await peers.request<{ local_tail: number }>(n2.address, 'state', { loglet_id: 0 }, { timeoutMs: 5_000 });
      } catch (err) {
        return err;
      } finally {
        peers.destroy();
      }
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      const outcome = await loglet0State(certificates.foreign);
      expect(outcome).toBeInstanceOf(ApiError);
      expect(outcome).toMatchObject({ code: 'CLIENT_CERTIFICATE_REFUSED' });
    }
    expect(await loglet0State(nodePair('n1'))).toMatchObject({ local_tail: expect.any(Number) });

    // Refusals from 127.0.0.1 (this test's and the earlier cairnctl run's): one line.
    const refusalsLogged = () => readFileSync(n2.log, 'utf8').split(REFUSAL_LOG).length - 1;
    await waitUntil('n2 to log the refusal', async () => refusalsLogged() > 0);
    expect(refusalsLogged()).toBe(1);
  });

  it('keeps taking writes after kill -9 of a node', async () => {
    cluster.kill('n3');
    await waitUntil('n3 to die', async () => !alive(cluster.node('n3').pid));
    const survivors = ingresses().slice(0, 2);
    for (let i = 0; i < 12; i++) {
      const outcome = await putWithRetry(survivors, `after-kill-${i}`, `value-${i}`, 30_000, i);
      expect(outcome.ok, `PUT after-kill-${i}: ${outcome.status} ${outcome.body}`).toBe(true);
    }
    for (let i = 0; i < 12; i++) {
      const read = await get(survivors[(i + 1) % 2]!, `after-kill-${i}`);
      expect(read.body.toString()).toBe(`value-${i}`);
    }
    for (let i = 0; i < 12; i++) expect((await get(survivors[i % 2]!, `tls-${i}`)).body.toString()).toBe(`value-${i}`);
    // Whichever partitions n3 led or sequenced, every one of them took writes.
    const table = await cluster.partitionTable();
    const written = new Set(Array.from({ length: 12 }, (_, i) => partitionForKey(`after-kill-${i}`, table).id));
    expect([...written].sort()).toEqual(table.partitions.map((p) => p.id).sort());
  }, 120_000);
});
