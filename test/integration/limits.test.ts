// Size limits on the data path: a record exactly at bifrost.record-size-limit is replicated and read
// back; one byte over is refused with 413 in milliseconds, whether the sequencer is local or remote
// and also on the node-to-node append path, while small writes to the same log keep flowing; a
// batch that would exceed the message limit is split; and a peer message over the limit is refused
// without being buffered, the connection carrying on.
import http from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api/errors';
import { decodeFrameHeader, encodeFrame } from '../../src/server/bifrost/wire';
import { encodedPutSize, encodePut } from '../../src/server/bifrost/record';
import { encodePrefix, MessageKind, MessageReader, operationCode, PEER_PROTOCOL, type Message } from '../../src/server/transport/frames';
import { PeerClients } from '../../src/server/transport/peer-client';
import { partitionForKey } from '../../src/server/worker/partitioning';
import type { PartitionTable } from '../../src/api/schemas';
import { parseLogletId } from '../../src/api/ids';
import { TestCluster, waitUntil } from '../helpers/cluster';
import { get } from '../helpers/kv';

const MESSAGE_LIMIT = 1024 * 1024;
const RECORD_LIMIT = MESSAGE_LIMIT - 64 * 1024;

describe('record and message size limits', () => {
  let cluster: TestCluster;
  let table: PartitionTable;
  let logs: Array<{ log_id: number; sequencer_node_id: number; loglet_id: string }>;

  /** A key that lands in the given log. */
  const keyIn = (logId: number, prefix: string) => {
    for (let i = 0; ; i++) {
      const key = `${prefix}-${i}`;
      if (partitionForKey(key, table).log_id === logId) return key;
    }
  };
  const sequencerNode = (logId: number) => cluster.node(`n${logs.find((l) => l.log_id === logId)!.sequencer_node_id}`);
  const otherNode = (logId: number) => cluster.info.nodes.find((n) => n.name !== sequencerNode(logId).name)!;
  const put = async (ingress: string, key: string, body: Buffer) => {
    const started = performance.now();
    const response = await fetch(`${ingress}/kv/${key}`, { method: 'PUT', body });
    return { status: response.status, json: (await response.json()) as Record<string, unknown>, ms: performance.now() - started };
  };

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3, sets: [`networking.message-size-limit=${MESSAGE_LIMIT}`] });
    table = await cluster.partitionTable();
    logs = (await cluster.ctlJson(['logs', 'list'])).logs;
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('replicates a record exactly at the limit to every log-server and reads it back', async () => {
    const key = keyIn(1, 'edge');
    const value = Buffer.alloc(RECORD_LIMIT - encodedPutSize(key.length, 0), 7);
    expect(encodePut(key, value).length).toBe(RECORD_LIMIT);
    const result = await put(otherNode(1).ingress, key, value);
    expect(result.status).toBe(200);
    const read = await get(sequencerNode(1).ingress, key);
    expect(read.status).toBe(200);
    expect(read.body.equals(value)).toBe(true);
    const loglet = parseLogletId(logs.find((l) => l.log_id === 1)!.loglet_id);
    await waitUntil('all three log-servers to hold it', async () => {
      const states = await Promise.all(cluster.info.nodes.map(async (n) => (await (await fetch(`${n.address}/v1/log-server/loglets/${loglet}`)).json()) as { local_tail: number }));
      return states.every((s) => s.local_tail > (result.json.lsn as number));
    });
  });

  it('refuses one byte over with 413, local and remote sequencer and node to node, while small writes flow', async () => {
    const key = keyIn(2, 'over');
    const value = Buffer.alloc(RECORD_LIMIT - encodedPutSize(key.length, 0) + 1, 1);
    const expected = `record too large: ${RECORD_LIMIT + 1} bytes exceeds limit of ${RECORD_LIMIT} bytes (bifrost.record-size-limit)`;

    let flowing = true;
    const small: number[] = [];
    // ms of each successful small write
    let smallFailures = 0;
    const stream = (async () => {
      for (let i = 0; flowing; i++) {
        const r = await put(otherNode(2).ingress, keyIn(2, `small${i}`), Buffer.from(`v${i}`));
        if (r.status === 200) small.push(r.ms);
        else smallFailures++;
      }
    })();
    try {
      for (const node of [sequencerNode(2), otherNode(2)]) {
        for (let attempt = 0; attempt < 5; attempt++) {
          const result = await put(node.ingress, key, value);
          expect(result.status).toBe(413);
          expect(result.json).toMatchObject({ code: 'RECORD_TOO_LARGE', message: expected });
        }
      }
      // The node-to-node append path enforces the same limit on the same bytes.
      const peers = new PeerClients({ connectTimeoutMs: 2_000, messageLimit: MESSAGE_LIMIT });
      const direct = await peers
        .request(sequencerNode(2).address, 'append', { loglet_id: parseLogletId(logs.find((l) => l.log_id === 2)!.loglet_id) }, { timeoutMs: 5_000 }, [encodePut(key, value)])
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      peers.destroy();
      expect(direct).toBeInstanceOf(ApiError);
      expect(direct).toMatchObject({ code: 'RECORD_TOO_LARGE', status: 413, message: expected });
      // A client that asks first (Expect: 100-continue) is refused without sending the body.
      const asked = await new Promise<number>((resolve, reject) => {
        const req = http.request(`${otherNode(2).ingress}/kv/${key}`, { method: 'PUT', headers: { 'content-length': value.length, expect: '100-continue' } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('continue', () => reject(new Error('the server asked for the oversized body')));
        req.on('error', reject);
        req.flushHeaders();
      });
      expect(asked).toBe(413);
      await waitUntil('small writes to keep going', async () => small.length > 20);
    } finally {
      flowing = false;
      await stream;
    }
    // How fast the refusal is, and how little the writers notice, is measured by test/bench/oversize.mjs.
    expect(smallFailures).toBe(0);
    expect((await get(sequencerNode(2).ingress, key)).status).toBe(404);
  });

  it('splits concurrent large appends into batches that fit a message', async () => {
    const keys = Array.from({ length: 6 }, (_, i) => keyIn(3, `big${i}`));
    const value = Buffer.alloc(400 * 1024, 3);
    const results = await Promise.all(keys.map((key) => put(otherNode(3).ingress, key, value)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    for (const key of keys) expect((await get(otherNode(3).ingress, key)).body.equals(value)).toBe(true);
    const stats = (await (await fetch(`${sequencerNode(3).address}/v1/node/stats`)).json()) as {
      sequencers: Array<{ loglet_id: number; largest_batch_bytes: number }>;
      log_store: { largest_store_bytes: number };
    };
    const sequencer = stats.sequencers.find((s) => s.loglet_id === parseLogletId(logs.find((l) => l.log_id === 3)!.loglet_id))!;
    expect(sequencer.largest_batch_bytes).toBeGreaterThan(400 * 1024);
    expect(sequencer.largest_batch_bytes).toBeLessThanOrEqual(RECORD_LIMIT);
    for (const node of cluster.info.nodes) {
      const nodeStats = (await (await fetch(`${node.address}/v1/node/stats`)).json()) as { log_store: { largest_store_bytes: number } };
      expect(nodeStats.log_store.largest_store_bytes).toBeLessThan(MESSAGE_LIMIT);
    }
  });

  it('refuses a peer message over the limit without buffering it, and the connection carries on', async () => {
    const { socket, messages } = await openPeerConnection(sequencerNode(1).address);
    try {
      const state = encodeFrame({ loglet_id: parseLogletId(logs.find((l) => l.log_id === 1)!.loglet_id) }, []);
      const oversize = MESSAGE_LIMIT + 1;
      socket.write(encodePrefix(oversize, 1, MessageKind.Request, operationCode('store')));
      socket.write(Buffer.alloc(oversize, 9));
      socket.write(encodePrefix(state.length, 2, MessageKind.Request, operationCode('state')));
      socket.write(state);
      const [refused, answered] = [await messages.next(), await messages.next()];
      expect(refused).toMatchObject({ id: 1, kind: MessageKind.Failure });
      expect(decodeFrameHeader(refused!.payload)).toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
        message: `request body too large: ${oversize} bytes exceeds limit of ${MESSAGE_LIMIT} bytes (networking.message-size-limit, 1 MiB)`,
      });
      expect(answered).toMatchObject({ id: 2, kind: MessageKind.Answer });
      expect(decodeFrameHeader<{ local_tail: number }>(answered!.payload).local_tail).toBeGreaterThan(1);
    } finally {
      socket.destroy();
    }
  });
});

/** A raw peer connection (the upgrade handshake by hand), and the messages that come back on it. */
async function openPeerConnection(address: string): Promise<{ socket: Socket; messages: { next(): Promise<Message | undefined> } }> {
  const url = new URL(address);
  const socket = await new Promise<Socket>((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: '/', agent: false, headers: { connection: 'Upgrade', upgrade: PEER_PROTOCOL } });
    req.on('upgrade', (_res, upgraded: Socket) => resolve(upgraded));
    req.on('response', (res) => reject(new Error(`handshake answered HTTP ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
  const queue: Message[] = [];
  const waiting: Array<(message: Message | undefined) => void> = [];
  const reader = new MessageReader(
    MESSAGE_LIMIT,
    (message) => (waiting.length ? waiting.shift()!(message) : queue.push(message)),
    () => undefined,
  );
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  socket.on('close', () => waiting.splice(0).forEach((resolve) => resolve(undefined)));
  return { socket, messages: { next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiting.push(resolve))) } };
}
