// The key/value ingress: PUT /kv/:key appends the value to the key's partition log and answers once
// it is committed; GET /kv/:key is answered by a replica of the partition (the leader first, here or
// forwarded; another replica if it cannot) once that replica has applied everything committed when
// the request arrived, so a GET sees every PUT acknowledged before it.
import { ApiError } from '../../api/errors';
import { HttpStatusError, type HttpClient } from '../../api/http-client';
import { routePath } from '../../api/routes';
import { epochKey } from '../../api/schemas';
import type { Bifrost } from '../bifrost/bifrost';
import { encodedPutSize, encodePut, MAX_KEY_BYTES, recordTooLarge } from '../bifrost/record';
import { HttpServer } from '../http/server';
import type { Logger } from '../logger';
import type { MetadataManager } from '../metadata/manager';
import { nodeMetrics } from '../metrics';
import { partitionForKey } from '../worker/partitioning';
import { readKey, type WorkerDeps } from '../worker/service';

const FORWARD_TIMEOUT_MS = 15_000;

export interface IngressDeps {
  metadata: MetadataManager;
  bifrost: Bifrost;
  http: HttpClient;
  worker: WorkerDeps;
  me: () => number | undefined;
  recordSizeLimit: number;
  logger: Logger;
  nodeName: string;
}

function checkKey(key: string): number {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes === 0 || bytes > MAX_KEY_BYTES) throw new ApiError('BAD_REQUEST', `key must be 1 to ${MAX_KEY_BYTES} bytes, got ${bytes}`);
  return bytes;
}

export function createIngress(deps: IngressDeps): HttpServer {
  const server = new HttpServer({ name: deps.nodeName, logger: deps.logger, bodyLimit: deps.recordSizeLimit, roles: ['http-ingress'], listener: 'ingress' });
  const metrics = nodeMetrics();

  server.raw(
    'PUT',
    '/kv/{key}',
    'none',
    async ({ params, body }) => {
      const started = performance.now();
      const key = params.key!;
      checkKey(key);
      const record = encodePut(key, body);
      const partition = partitionForKey(key, deps.metadata.require('partition_table').value);
      const result = await deps.bifrost.append(partition.log_id, [record]).catch((err: unknown) => {
        metrics.ingressAppended(started, false);
        throw err;
      });
      metrics.ingressAppended(started, true);
      return {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ key, partition_id: partition.id, log_id: partition.log_id, lsn: result.first_lsn }),
      };
    },
    {
      // The largest value that fits the record limit with this key: a longer body is refused from
      // its declared length, before any of it is read (or as soon as too much of it came).
      bodyLimit: (params) => Math.max(0, deps.recordSizeLimit - encodedPutSize(Buffer.byteLength(params.key ?? '', 'utf8'), 0)),
      tooLarge: (size, _limit, { params }) => recordTooLarge(encodedPutSize(Buffer.byteLength(params.key ?? '', 'utf8'), size), deps.recordSizeLimit),
    },
  );

  server.raw('GET', '/kv/{key}', 'none', async ({ params }) => {
    const key = params.key!;
    checkKey(key);
    const partition = partitionForKey(key, deps.metadata.require('partition_table').value);
    // The leader first; a replica that cannot answer (gone, stopped, behind) passes the read on.
    let failure: unknown;
    for (const replica of readOrder(deps.metadata, partition.id)) {
      try {
        const body = replica.id === deps.me() ? await readKey(deps.worker, partition.id, key) : await forwardRead(deps, replica, partition.id, key);
        return { headers: { 'content-type': 'application/octet-stream' }, body };
      } catch (err) {
        // A missing key is missing on every replica (each answers only once it is current).
        if (err instanceof ApiError && err.code === 'NOT_FOUND') throw err;
        failure = err;
      }
    }
    throw failure instanceof ApiError
      ? failure
      : new ApiError('NOT_READY', `no replica of partition ${partition.id} could answer${failure ? `: ${(failure as Error).message}` : ''}`, 'retry in a moment');
  });

  return server;
}

/** The replicas of a partition, its leader first, with their addresses. */
function readOrder(metadata: MetadataManager, partitionId: number): Array<{ id: number; address: string }> {
  const epoch = metadata.get(epochKey(partitionId))?.value;
  const nodes = metadata.require('nodes_config').value.nodes;
  const ids = epoch ? [...(epoch.leader !== null ? [epoch.leader] : []), ...epoch.replica_set.filter((id) => id !== epoch.leader)] : [];
  const replicas = ids.flatMap((id) => nodes.filter((n) => n.id === id).map((n) => ({ id, address: n.address })));
  if (!replicas.length) throw new ApiError('NOT_READY', `partition ${partitionId} has no replica right now`, 'the cluster controller places one on an alive worker; retry shortly');
  return replicas;
}

/** A read answered by another node's replica. */
async function forwardRead(deps: IngressDeps, replica: { id: number; address: string }, partitionId: number, key: string): Promise<Buffer> {
  const url = `${replica.address}${routePath('workerRead', { partition: partitionId, key })}`;
  const response = await deps.http.request(url, { timeoutMs: FORWARD_TIMEOUT_MS }).catch((err: Error) => {
    throw new ApiError('UNAVAILABLE', `N${replica.id}, a replica of partition ${partitionId}, did not answer: ${err.message}`, 'retry in a moment; leadership moves to another replica within about 2 s');
  });
  if (response.status === 200) return response.body;
  let body: unknown;
  try {
    body = JSON.parse(response.body.toString('utf8'));
  } catch {
    body = undefined;
  }
  const error = new HttpStatusError(response.status, url, body as never);
  throw new ApiError(response.status === 404 ? 'NOT_FOUND' : 'NOT_READY', error.message, error.body?.hint);
}
