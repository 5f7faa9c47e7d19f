// The log-server's operations over its log store: for peers on the node-to-node transport (store,
// seal, trim, state, read, digest), and as HTTP endpoints for operators and checks (state, records,
// digest).
import { ApiError } from '../../api/errors';
import { decodeFrameHeader, encodeFrame } from '../bifrost/wire';
import { failpoint } from '../failpoints';
import type { HttpServer } from '../http/server';
import { headerOperation, type PeerServer } from '../transport/peer-server';
import type { ReadRequest, TailRelease } from './client';
import type { LogStoreHandle } from './log-store-handle';

function intParam(query: URLSearchParams, name: string, fallback: number, min = 0): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new ApiError('BAD_REQUEST', `?${name}=${raw}: expected a whole number >= ${min}`);
  return value;
}

function logletParam(params: Record<string, string>): number {
  const value = Number(params.loglet);
  if (!Number.isSafeInteger(value) || value < 0) throw new ApiError('BAD_REQUEST', `invalid loglet id '${params.loglet}': expected a raw number`);
  return value;
}

/** `readLimitBytes` caps what one read answers, so that an answer always fits a message. */
export function bindLogServerOperations(peer: PeerServer, logStore: () => LogStoreHandle, readLimitBytes: number): void {
  peer.handle('store', async (payload) => encodeFrame(await logStore().storeFrame(payload), []));
  peer.handle(
    'release',
    headerOperation(async ({ loglet_id, known_global_tail }: TailRelease) => {
      // A test stands here for releases lost on the way (a notice is gone with its connection).
      failpoint('release-lost');
      logStore().release(loglet_id, known_global_tail);
      return null; // a notice: nothing is answered
    }),
  );
  peer.handle('seal', headerOperation(({ loglet_id }: { loglet_id: number }) => logStore().seal(loglet_id)));
  peer.handle('trim', headerOperation(({ loglet_id, trim_point }: { loglet_id: number; trim_point: number }) => logStore().trim(loglet_id, trim_point)));
  peer.handle('state', headerOperation(({ loglet_id }: { loglet_id: number }) => logStore().state(loglet_id)));
  peer.handle('digest', headerOperation(({ loglet_id, from, to }: { loglet_id: number; from: number; to: number }) => logStore().digest(loglet_id, from, to)));
  peer.handle('read', (payload) => {
    const read = decodeFrameHeader<ReadRequest>(payload);
    return logStore().readFrame(read.loglet_id, read.from, read.max_records, Math.min(read.max_bytes, readLimitBytes));
  });
}

/** `readLimitBytes` caps what one read answers, so that a response always fits a message. */
export function bindLogServerRoutes(server: HttpServer, logStore: () => LogStoreHandle, readLimitBytes: number): void {
  server.route('logServerState', ({ params }) => logStore().state(logletParam(params)));
  server.rawRoute('logServerRecords', async ({ params, query }) => ({
    headers: { 'content-type': 'application/octet-stream' },
    body: await logStore().readFrame(
      logletParam(params),
      intParam(query, 'from', 1, 1),
      intParam(query, 'max_records', 64, 1),
      Math.min(intParam(query, 'max_bytes', readLimitBytes, 1), readLimitBytes),
    ),
  }));
  server.route('logServerDigest', ({ params, query }) =>
    logStore().digest(logletParam(params), intParam(query, 'from', 1, 1), intParam(query, 'to', Number.MAX_SAFE_INTEGER, 1)),
  );
}
