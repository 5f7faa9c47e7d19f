// The one HTTP client of the project (CLI and node-to-node), on undici. Failures are classified so
// that callers can tell an unreachable or hung node from an answer they did not like.
import Agent from 'undici/lib/dispatcher/agent.js';
import undiciRequest from 'undici/lib/api/api-request.js';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import { ErrorBody } from './schemas';
import { LISTENER_HEADER, routePath, routes, type RouteName, type RouteResponse } from './routes';
import type { TlsClientOptions } from './tls';

export type TransportFailure = 'refused' | 'connect-timeout' | 'timeout' | 'reset' | 'dns' | 'tls' | 'other';

/**
 * Why a TLS connection failed: the node's certificate is not trusted, has expired or does not name
 * the address; the address speaks plain HTTP; the node refused our client certificate (or the lack
 * of one) in the handshake; something else.
 */
export type TlsProblem = 'untrusted' | 'expired' | 'hostname' | 'not-tls' | 'client-certificate' | 'other';

/** The request never got an HTTP answer. */
export class TransportError extends Error {
  constructor(
    readonly kind: TransportFailure,
    readonly url: string,
    detail: string,
    /** With kind 'tls': what was wrong, for the hint. */
    readonly tlsProblem?: TlsProblem,
  ) {
    // The node's address is what an operator acts on; the path is in `url`.
    super(`${originOf(url)}: ${describeFailure(kind)}${detail ? ` (${detail})` : ''}`);
    this.name = 'TransportError';
  }
}

/** The node answered with a non-2xx status. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    readonly body: ErrorBody | undefined,
    /** What kind of listener answered (LISTENER_HEADER), if it said. */
    readonly listener?: string,
  ) {
    super(body?.message ?? `${url}: HTTP ${status}`);
    this.name = 'HttpStatusError';
  }

  get code(): string | undefined {
    return this.body?.code;
  }
}

/** The node answered 2xx with a body this client does not understand (version skew?). */
export class ResponseShapeError extends Error {
  constructor(
    readonly url: string,
    readonly issues: string,
  ) {
    super(`${url}: unexpected response from server (version skew?)`);
    this.name = 'ResponseShapeError';
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function describeFailure(kind: TransportFailure): string {
  switch (kind) {
    case 'refused':
      return 'connection refused';
    case 'connect-timeout':
      return 'connect timed out';
    case 'timeout':
      return 'no answer in time';
    case 'reset':
      return 'connection reset';
    case 'dns':
      return 'host not found';
    case 'tls':
      return 'TLS failed';
    default:
      return 'request failed';
  }
}

/** OpenSSL's and Node's codes for a certificate the client does not trust. */
const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
]);

/** The TLS failure behind `code`, with a detail an operator can act on; undefined when it is not one. */
function tlsFailure(code: string, message: string): { detail: string; problem: TlsProblem } | undefined {
  if (UNTRUSTED_CODES.has(code)) return { problem: 'untrusted', detail: `the node's certificate is not signed by a trusted CA: ${code}` };
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return { problem: 'expired', detail: `the node's certificate is not valid now: ${code}` };
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return { problem: 'hostname', detail: `the node's certificate does not name this address: ${message}` };
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') return { problem: 'not-tls', detail: 'the address answers in plain HTTP, not TLS' };
  // Alerts the server sent in the handshake about our certificate (TLS 1.2, or servers other than Cairn's).
  if (/^ERR_SSL_(TLSV13_ALERT_CERTIFICATE_REQUIRED|TLSV1_ALERT_UNKNOWN_CA|SSLV3_ALERT_BAD_CERTIFICATE|SSLV3_ALERT_CERTIFICATE_(EXPIRED|UNKNOWN|REVOKED|UNSUPPORTED)|TLSV1_ALERT_ACCESS_DENIED)$/.test(code)) {
    return { problem: 'client-certificate', detail: `the node refused our client certificate: ${code}` };
  }
  if (/^ERR_(SSL|TLS)_/.test(code) || /^(CERT|UNABLE_TO)_/.test(code)) return { problem: 'other', detail: `${code}: ${message}` };
  return undefined;
}

export function classifyFailure(err: unknown): { kind: TransportFailure; detail: string; tlsProblem?: TlsProblem } {
  const e = err as { code?: string; name?: string; message?: string; cause?: unknown };
  const code = e?.code ?? (e?.cause as { code?: string } | undefined)?.code;
  if (e?.name === 'TimeoutError') return { kind: 'timeout', detail: '' };
  const tls = code ? tlsFailure(code, e?.message ?? '') : undefined;
  if (tls) return { kind: 'tls', detail: tls.detail, tlsProblem: tls.problem };
  switch (code) {
    case 'ECONNREFUSED':
      return { kind: 'refused', detail: '' };
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { kind: 'connect-timeout', detail: '' };
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return { kind: 'timeout', detail: '' };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return { kind: 'reset', detail: '' };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { kind: 'dns', detail: '' };
    default:
      return { kind: 'other', detail: e?.message ?? String(err) };
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  body?: Buffer | string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Responses larger than this are refused rather than buffered. */
  maxResponseBytes?: number;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface HttpClientOptions {
  connectTimeoutMs: number;
  /** Sent with every request, e.g. the cluster secret or an admin bearer token. */
  headers?: Record<string, string>;
  keepAliveTimeoutMs?: number;
  connectionsPerOrigin?: number;
  /** For https:// addresses: the CA to trust, the client certificate to present. */
  tls?: TlsClientOptions;
}

const DEFAULT_MAX_RESPONSE = 64 * 1024 * 1024;

export class HttpClient {
  private readonly agent: Dispatcher;

  constructor(private readonly options: HttpClientOptions) {
    this.agent = new Agent({
      connect: { timeout: options.connectTimeoutMs, ...options.tls },
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 4000,
      connections: options.connectionsPerOrigin ?? null,
    });
  }

  async request(url: string, options: RequestOptions): Promise<RawResponse> {
    const { origin, pathname, search } = new URL(url);
    // The timeouts bound waiting for the headers and each pause of the body; no timer signal is
    // built per request, as that is a measurable share of a small request's cost.
    const signal = options.signal;
    let response: Dispatcher.ResponseData;
    try {
      response = await undiciRequest.call(this.agent, {
        origin,
        path: `${pathname}${search}`,
        method: options.method ?? 'GET',
        headers: { ...this.options.headers, ...options.headers },
        body: options.body,
        signal,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      const { kind, detail, tlsProblem } = classifyFailure(err);
      throw new TransportError(kind, url, detail, tlsProblem);
    }
    const limit = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE;
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > limit) {
          response.body.destroy();
          throw new TransportError('other', url, `response larger than ${limit} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      if (err instanceof TransportError || options.signal?.aborted) throw err;
      const { kind, detail } = classifyFailure(err);
      throw new TransportError(kind, url, detail);
    }
    return { status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) };
  }

  /** A JSON request; non-2xx answers become HttpStatusError, bodies are checked against `schema`. */
  async json<S extends z.ZodType>(url: string, schema: S, options: RequestOptions & { json?: unknown }): Promise<z.infer<S>> {
    const { json, ...rest } = options;
    const response = await this.request(url, {
      ...rest,
      ...(json !== undefined
        ? { body: JSON.stringify(json), headers: { 'content-type': 'application/json', ...rest.headers } }
        : {}),
    });
    let parsed: unknown;
    try {
      parsed = response.body.length ? JSON.parse(response.body.toString('utf8')) : undefined;
    } catch {
      parsed = undefined;
    }
    if (response.status < 200 || response.status >= 300) {
      const body = ErrorBody.safeParse(parsed);
      const listener = response.headers[LISTENER_HEADER];
      throw new HttpStatusError(response.status, url, body.success ? body.data : undefined, typeof listener === 'string' ? listener : undefined);
    }
    const result = schema.safeParse(parsed);
    if (!result.success) throw new ResponseShapeError(url, result.error.message);
    return result.data;
  }

  /** Calls a route of the node API (src/api/routes.ts) on the node at `baseUrl`. */
  call<N extends RouteName>(
    baseUrl: string,
    name: N,
    options: {
      params?: Record<string, string | number>;
      query?: Record<string, string | number | undefined>;
      body?: unknown;
      timeoutMs: number;
      signal?: AbortSignal;
    },
  ): Promise<RouteResponse<N>> {
    const route = routes[name];
    const query = Object.entries(options.query ?? {}).filter((e): e is [string, string | number] => e[1] !== undefined);
    const search = query.length ? `?${new URLSearchParams(query.map(([k, v]): [string, string] => [k, String(v)]))}` : '';
    return this.json(`${baseUrl.replace(/\/+$/, '')}${routePath(name, options.params)}${search}`, route.response, {
      method: route.method,
      json: options.body,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    }) as Promise<RouteResponse<N>>;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  destroy(): void {
    void this.agent.destroy().catch(() => undefined);
  }
}
