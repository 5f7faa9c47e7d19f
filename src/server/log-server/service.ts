// The log-server's HTTP endpoints (store, seal, state, records, digest) over its LogStore.
import { ApiError } from '../../api/errors';
import { decodeFrame, encodeFrame, FrameError } from '../bifrost/wire';
import type { HttpServer } from '../http/server';
import type { LogStore, StoreRequest } from './log-store';

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

/** `readLimitBytes` caps what one read answers, so that a response always fits a message. */
export function bindLogServerRoutes(server: HttpServer, logStore: () => LogStore, readLimitBytes: number): void {
  server.rawRoute('logServerStore', async ({ body }) => {
    let frame: { header: StoreRequest; records: Buffer[] };
    try {
      frame = decodeFrame<StoreRequest>(body);
    } catch (err) {
      throw new ApiError('BAD_REQUEST', `malformed store frame: ${(err as FrameError).message}`);
    }
    const result = await logStore().store(frame.header, frame.records);
    return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
  });
  server.route('logServerSeal', ({ json }) => logStore().seal((json as { loglet_id: number }).loglet_id));
  server.route('logServerState', ({ params }) => logStore().state(logletParam(params)));
  server.rawRoute('logServerRecords', ({ params, query }) => {
    const result = logStore().read(
      logletParam(params),
      intParam(query, 'from', 1, 1),
      intParam(query, 'max_records', 64, 1),
      Math.min(intParam(query, 'max_bytes', readLimitBytes, 1), readLimitBytes),
    );
    return {
      headers: { 'content-type': 'application/octet-stream' },
      body: encodeFrame({ state: result.state, from: result.from }, result.records),
    };
  });
  server.route('logServerDigest', ({ params, query }) => {
    const loglet = logletParam(params);
    const store = logStore();
    const state = store.state(loglet);
    const from = intParam(query, 'from', state.trim_point + 1, 1);
    const to = intParam(query, 'to', state.local_tail, 1);
    return { state, runs: store.digest(loglet, from, to) };
  });
}
