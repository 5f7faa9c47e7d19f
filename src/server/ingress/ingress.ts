// The key/value ingress: PUT /kv/:key appends the value to the key's partition log and answers once
// it is committed; GET /kv/:key is answered by the partition's leader (here, or forwarded to it)
// once it has applied everything committed when the request arrived, so a GET sees every PUT
// acknowledged before it.
import { ApiError } from '../../api/errors';
import { HttpStatusError, type HttpClient } from '../../api/http-client';
import { routePath } from '../../api/routes';
import type { Bifrost } from '../bifrost/bifrost';
import { encodedPutSize, encodePut, MAX_KEY_BYTES, recordTooLarge } from '../bifrost/record';
import { HttpServer } from '../http/server';
import type { Logger } from '../logger';
import type { MetadataManager } from '../metadata/manager';
import { leaderAddress } from '../admin/service';
import { partitionForKey } from '../worker/partitioning';
import { readAsLeader, type WorkerDeps } from '../worker/service';

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

  server.raw(
    'PUT',
    '/kv/{key}',
    'none',
    async ({ params, body }) => {
      const key = params.key!;
      checkKey(key);
      const record = encodePut(key, body);
      const partition = partitionForKey(key, deps.metadata.require('partition_table').value);
      const result = await deps.bifrost.append(partition.log_id, [record]);
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
    const leader = leaderAddress(deps.metadata, partition.id);
    if (leader.id === deps.me()) return { headers: { 'content-type': 'application/octet-stream' }, body: await readAsLeader(deps.worker, partition.id, key) };
    const url = `${leader.address}${routePath('workerRead', { partition: partition.id, key })}`;
    const response = await deps.http.request(url, { timeoutMs: FORWARD_TIMEOUT_MS });
    if (response.status !== 200) {
      let body: unknown;
      try {
        body = JSON.parse(response.body.toString('utf8'));
      } catch {
        body = undefined;
      }
      const error = new HttpStatusError(response.status, url, body as never);
      throw new ApiError(response.status === 404 ? 'NOT_FOUND' : 'NOT_READY', error.message, error.body?.hint);
    }
    return { headers: { 'content-type': 'application/octet-stream' }, body: response.body };
  });

  return server;
}
