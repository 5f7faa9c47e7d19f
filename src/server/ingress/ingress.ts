// The key/value ingress: PUT /kv/:key appends the value to the key's partition log and answers once
// it is committed; GET /kv/:key answers from the partition store once it has applied everything that
// was committed when the request arrived (so a GET sees every PUT acknowledged before it).
import { ApiError } from '../../api/errors';
import type { Bifrost } from '../bifrost/bifrost';
import { encodedPutSize, encodePut, MAX_KEY_BYTES, recordTooLarge } from '../bifrost/record';
import { HttpServer } from '../http/server';
import type { Logger } from '../logger';
import type { MetadataManager } from '../metadata/manager';
import type { PartitionProcessor } from '../worker/processor';
import { partitionForKey } from '../worker/partitioning';
import type { PartitionStore } from '../worker/partition-store';

const READ_WAIT_MS = 10_000;

export interface IngressDeps {
  metadata: MetadataManager;
  bifrost: Bifrost;
  recordSizeLimit: number;
  processor: (partitionId: number) => PartitionProcessor | undefined;
  store: () => PartitionStore | undefined;
  logger: Logger;
  nodeName: string;
}

function checkKey(key: string): number {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes === 0 || bytes > MAX_KEY_BYTES) throw new ApiError('BAD_REQUEST', `key must be 1 to ${MAX_KEY_BYTES} bytes, got ${bytes}`);
  return bytes;
}

export function createIngress(deps: IngressDeps): HttpServer {
  const server = new HttpServer({ name: deps.nodeName, logger: deps.logger, bodyLimit: deps.recordSizeLimit, roles: ['http-ingress'] });

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
    const processor = deps.processor(partition.id);
    const store = deps.store();
    if (!processor || !store) throw new ApiError('NOT_READY', `partition ${partition.id} has no processor on ${deps.nodeName}`, 'send reads to a worker node');
    const tail = await deps.bifrost.tailLsn(partition.log_id);
    if (!(await processor.waitApplied(tail - 1, READ_WAIT_MS))) {
      throw new ApiError('NOT_READY', `partition ${partition.id} on ${deps.nodeName} has applied LSN ${processor.applied} of ${tail - 1}`, 'retry shortly');
    }
    const value = store.get(partition.id, key);
    if (value === undefined) throw new ApiError('NOT_FOUND', `no value for key '${key}'`);
    return { headers: { 'content-type': 'application/octet-stream' }, body: value };
  });

  return server;
}
