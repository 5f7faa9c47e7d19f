// Talking to a log-server: in process when it is this node, over HTTP otherwise. Both go through
// the same interface, so the sequencer, the sealer and readers do not care which it is.
import { ApiError } from '../../api/errors';
import type { HttpClient } from '../../api/http-client';
import { HttpStatusError } from '../../api/http-client';
import { routePath } from '../../api/routes';
import { LogletDigest as LogletDigestSchema, LogletState as LogletStateSchema, StoreResult as StoreResultSchema } from '../../api/schemas';
import type { LogletDigest } from '../../api/schemas';
import { decodeFrame, encodeFrame } from '../bifrost/wire';
import type { LogletState, ReadResult, StoreRequest, StoreResult } from './log-store';
import type { LogStoreHandle } from './log-store-handle';

export interface LogServerClient {
  readonly nodeId: number;
  /** True for this node's own log-server (reached in process). */
  readonly local: boolean;
  store(request: StoreRequest, records: Buffer[]): Promise<StoreResult>;
  seal(logletId: number): Promise<LogletState>;
  trim(logletId: number, offset: number): Promise<LogletState>;
  state(logletId: number): Promise<LogletState>;
  read(logletId: number, from: number, maxRecords: number, maxBytes: number): Promise<ReadResult>;
  digest(logletId: number, from: number, to: number): Promise<LogletDigest>;
}

export class LocalLogServer implements LogServerClient {
  readonly local = true;

  constructor(
    readonly nodeId: number,
    private readonly logStore: LogStoreHandle,
  ) {}

  store(request: StoreRequest, records: Buffer[]): Promise<StoreResult> {
    return this.logStore.store(request, records);
  }

  seal(logletId: number): Promise<LogletState> {
    return this.logStore.seal(logletId);
  }

  trim(logletId: number, offset: number): Promise<LogletState> {
    return this.logStore.trim(logletId, offset);
  }

  state(logletId: number): Promise<LogletState> {
    return this.logStore.state(logletId);
  }

  read(logletId: number, from: number, maxRecords: number, maxBytes: number): Promise<ReadResult> {
    return this.logStore.read(logletId, from, maxRecords, maxBytes);
  }

  digest(logletId: number, from: number, to: number): Promise<LogletDigest> {
    return this.logStore.digest(logletId, from, to);
  }
}

export class RemoteLogServer implements LogServerClient {
  readonly local = false;

  constructor(
    readonly nodeId: number,
    private readonly address: string,
    private readonly http: HttpClient,
    private readonly timeoutMs: number,
    private readonly maxResponseBytes: number,
  ) {}

  async store(request: StoreRequest, records: Buffer[]): Promise<StoreResult> {
    const response = await this.http.request(`${this.address}${routePath('logServerStore')}`, {
      method: 'POST',
      body: encodeFrame(request, records),
      headers: { 'content-type': 'application/octet-stream' },
      timeoutMs: this.timeoutMs,
    });
    return StoreResultSchema.parse(parseJsonResponse(response.status, response.body, this.address));
  }

  seal(logletId: number): Promise<LogletState> {
    return this.http.call(this.address, 'logServerSeal', { body: { loglet_id: logletId }, timeoutMs: this.timeoutMs });
  }

  trim(logletId: number, offset: number): Promise<LogletState> {
    return this.http.call(this.address, 'logServerTrim', { body: { loglet_id: logletId, trim_point: offset }, timeoutMs: this.timeoutMs });
  }

  state(logletId: number): Promise<LogletState> {
    return this.http.call(this.address, 'logServerState', { params: { loglet: logletId }, timeoutMs: this.timeoutMs });
  }

  async read(logletId: number, from: number, maxRecords: number, maxBytes: number): Promise<ReadResult> {
    const query = `?from=${from}&max_records=${maxRecords}&max_bytes=${maxBytes}`;
    const response = await this.http.request(`${this.address}${routePath('logServerRecords', { loglet: logletId })}${query}`, {
      timeoutMs: this.timeoutMs,
      maxResponseBytes: this.maxResponseBytes,
    });
    if (response.status !== 200) parseJsonResponse(response.status, response.body, this.address);
    const { header, records } = decodeFrame<{ state: unknown; from: number }>(response.body);
    return { state: LogletStateSchema.parse(header.state), from: header.from, records };
  }

  async digest(logletId: number, from: number, to: number): Promise<LogletDigest> {
    const response = await this.http.request(`${this.address}${routePath('logServerDigest', { loglet: logletId })}?from=${from}&to=${to}`, {
      timeoutMs: this.timeoutMs,
    });
    return LogletDigestSchema.parse(parseJsonResponse(response.status, response.body, this.address));
  }
}

function parseJsonResponse(status: number, body: Buffer, address: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApiError('INTERNAL', `${address}: unreadable answer (HTTP ${status})`);
  }
  if (status >= 200 && status < 300) return parsed;
  throw new HttpStatusError(status, address, parsed as never);
}
