// The log-server's HTTP endpoints (store, seal, state, records, digest) over its log store.
import { ApiError } from '../../api/errors';
import type { HttpServer } from '../http/server';
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

/** `readLimitBytes` caps what one read answers, so that a response always fits a message. */
export function bindLogServerRoutes(server: HttpServer, logStore: () => LogStoreHandle, readLimitBytes: number): void {
  // The frame goes to the log store's thread as received; it is decoded there.
  server.rawRoute('logServerStore', async ({ body }) => ({
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(await logStore().storeFrame(body)),
  }));
  server.route('logServerSeal', ({ json }) => logStore().seal((json as { loglet_id: number }).loglet_id));
  server.route('logServerState', ({ params }) => logStore().state(logletParam(params)));
  server.route('logServerTrim', ({ json }) => {
    const { loglet_id, trim_point } = json as { loglet_id: number; trim_point: number };
    return logStore().trim(loglet_id, trim_point);
  });
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
