// A small HTTP server on node:http (node:https with TLS) that enforces what the design asks of every
// listener: a body size limit checked before buffering, request and header timeouts, JSON errors
// `{code, message, hint?}`, auth per route, and with mutual TLS a trusted client certificate on every
// request and peer upgrade. JSON routes come from the shared route table (src/api/routes.ts).
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { z } from 'zod';
import { ApiError } from '../../api/errors';
import { TransportError } from '../../api/http-client';
import { LISTENER_HEADER, routes, type RouteAuth, type RouteName, type RouteResponse } from '../../api/routes';
import type { Role } from '../../api/schemas';
import type { ServerTlsOptions } from '../../api/tls';
import type { Logger } from '../logger';
import { formatSize } from '../size';

export const CLUSTER_SECRET_HEADER = 'x-cairn-cluster-secret';
/** Refused bodies up to this size are drained rather than cut off (see readBody). */
const DRAIN_LIMIT = 64 * 1024 * 1024;

export interface RequestContext {
  params: Record<string, string>;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** The raw body (already size-checked). */
  body: Buffer;
}

export interface JsonContext<B> extends RequestContext {
  json: B;
}

export interface RawResult {
  status?: number;
  headers?: Record<string, string>;
  body: Buffer | string;
}

type RawHandler = (ctx: RequestContext) => Promise<RawResult> | RawResult;

interface Binding {
  method: string;
  pattern: RegExp;
  paramNames: string[];
  auth: RouteAuth;
  role?: Role;
  /** Limit for this route's body (it may depend on the path); defaults to the server's. */
  bodyLimit?: number | ((params: Record<string, string>) => number);
  /** The error for a body over the limit (`declared`: known from Content-Length, so exact). */
  tooLarge?: TooLarge;
  handle: RawHandler;
}

export type TooLarge = (size: number, limit: number, ctx: { params: Record<string, string>; declared: boolean }) => ApiError;

export interface HttpServerOptions {
  name: string;
  logger: Logger;
  bodyLimit: number;
  roles: readonly Role[];
  adminToken?: string;
  clusterSecret?: string;
  /** Sent in LISTENER_HEADER: `node` (the admin API, the default) or `ingress`. */
  listener?: 'node' | 'ingress';
  /** Serve HTTPS (the node listener with tls.cert-file); with `clientAuth`, only to trusted client certificates. */
  tls?: ServerTlsOptions;
}

function compile(path: string): { pattern: RegExp; paramNames: string[] } {
  const paramNames: string[] = [];
  const source = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    paramNames.push(name);
    return '([^/]+)';
  });
  return { pattern: new RegExp(`^${source}$`), paramNames };
}

export class HttpServer {
  private readonly bindings: Binding[] = [];
  private readonly server: http.Server;
  /** Addresses already logged for a refused client certificate: a misconfigured peer retries all the time. */
  private readonly refusedCertificatesFrom = new Set<string>();

  constructor(private readonly options: HttpServerOptions) {
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => void this.dispatch(req, res, false);
    const { tls } = options;
    // A client certificate is asked for but not enforced by OpenSSL: a refusal in the handshake
    // reaches a TLS 1.3 client only as a closed connection, with no reason. The handshake completes,
    // and every request and upgrade on an untrusted connection is answered 401 with the reason
    // instead (as nginx does); nothing else is served on it.
    this.server = tls
      ? (https.createServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: tls.clientAuth, rejectUnauthorized: false }, onRequest) as unknown as http.Server)
      : http.createServer(onRequest);
    if (tls?.clientAuth) {
      this.server.on('secureConnection', (socket: TLSSocket) => {
        const refusal = this.certificateRefusal(socket);
        const from = socket.remoteAddress ?? 'unknown';
        if (!refusal || this.refusedCertificatesFrom.has(from)) return;
        this.refusedCertificatesFrom.add(from);
        this.options.logger.warn({ peer: from, reason: refusal.message }, 'refused a client certificate (logged once per address)');
      });
    }
    // A client that asks before sending a body (Expect: 100-continue, as curl does for large ones)
    // learns that it is too large without sending any of it.
    this.server.on('checkContinue', (req, res) => void this.dispatch(req, res, true));
    // A hung or slow client must not hold a request open for ever.
    this.server.requestTimeout = 120_000;
    this.server.headersTimeout = 15_000;
    this.server.keepAliveTimeout = 5_000;
  }

  /** Binds a JSON route of the shared table; the body is validated against the route's schema. */
  route<N extends RouteName>(
    name: N,
    handler: (ctx: JsonContext<unknown>) => Promise<RouteResponse<N>> | RouteResponse<N>,
  ): void {
    const spec = routes[name] as (typeof routes)[RouteName] & { body?: z.ZodType; role?: Role };
    const { pattern, paramNames } = compile(spec.path);
    this.bindings.push({
      method: spec.method,
      pattern,
      paramNames,
      auth: spec.auth,
      role: spec.role,
      handle: async (ctx) => {
        let json: unknown;
        if (spec.body) {
          let parsed: unknown;
          try {
            parsed = ctx.body.length ? JSON.parse(ctx.body.toString('utf8')) : {};
          } catch {
            throw new ApiError('BAD_REQUEST', 'request body is not valid JSON');
          }
          const result = spec.body.safeParse(parsed);
          if (!result.success) throw new ApiError('BAD_REQUEST', `invalid request body: ${z.prettifyError(result.error)}`);
          json = result.data;
        }
        const value = await handler({ ...ctx, json });
        return { body: JSON.stringify(value), headers: { 'content-type': 'application/json' } };
      },
    });
  }

  /** Binds a route with a raw body and response (binary data path, ingress). */
  raw(
    method: string,
    path: string,
    auth: RouteAuth,
    handler: RawHandler,
    options: { bodyLimit?: Binding['bodyLimit']; role?: Role; tooLarge?: TooLarge } = {},
  ): void {
    const { pattern, paramNames } = compile(path);
    this.bindings.push({ method, pattern, paramNames, auth, handle: handler, ...options });
  }

  /** Binds a route of the shared table whose body or response is a binary frame. */
  rawRoute(name: RouteName, handler: RawHandler): void {
    const spec = routes[name] as (typeof routes)[RouteName] & { role?: Role };
    this.raw(spec.method, spec.path, spec.auth, handler, { role: spec.role });
  }

  async listen(hostPort: string): Promise<AddressInfo> {
    const [host, port] = [hostPort.slice(0, hostPort.lastIndexOf(':')), Number(hostPort.slice(hostPort.lastIndexOf(':') + 1))];
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /**
   * Hands connections that ask to upgrade (the node-to-node transport) to `onUpgrade`; without it,
   * such a request is refused.
   */
  acceptUpgrades(onUpgrade: (req: http.IncomingMessage, socket: Socket, head: Buffer) => void): void {
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
      const refusal = this.certificateRefusal(socket);
      if (refusal) socket.end(rawErrorResponse(refusal));
      else onUpgrade(req, socket, head);
    });
  }

  /** With mutual TLS, the refusal a connection without a trusted client certificate gets. */
  private certificateRefusal(socket: Socket): ApiError | undefined {
    const tlsSocket = socket as TLSSocket;
    if (!this.options.tls?.clientAuth || tlsSocket.authorized) return undefined;
    const presented = Object.keys(tlsSocket.getPeerCertificate()).length > 0;
    const reason = presented
      ? `the client certificate presented is not signed by its CA (${tlsSocket.authorizationError})`
      : 'no client certificate was presented';
    return new ApiError(
      'CLIENT_CERTIFICATE_REFUSED',
      `TLS: ${this.options.name} requires a client certificate signed by its CA (tls.ca-file), and ${reason}`,
      "present a certificate signed by the cluster's CA: cairnctl's --tls-cert and --tls-key; a node presents its tls.cert-file",
    );
  }

  private authorized(auth: RouteAuth, headers: http.IncomingHttpHeaders): boolean {
    if (auth === 'none') return true;
    const { adminToken, clusterSecret } = this.options;
    const givenSecret = headers[CLUSTER_SECRET_HEADER];
    const secretOk = !!clusterSecret && sameSecret(typeof givenSecret === 'string' ? givenSecret : undefined, clusterSecret);
    if (auth === 'peer') return !clusterSecret || secretOk;
    // Peers may call admin endpoints (the controller probes /v1/node) with the cluster secret.
    if (!adminToken) return true;
    const bearer = headers.authorization?.startsWith('Bearer ') ? headers.authorization.slice('Bearer '.length) : undefined;
    return sameSecret(bearer, adminToken) || secretOk;
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse, expectsContinue: boolean): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.setHeader(LISTENER_HEADER, this.options.listener ?? 'node');
    let binding: Binding | undefined;
    let match: RegExpExecArray | null = null;
    let pathMatched = false;
    for (const candidate of this.bindings) {
      const m = candidate.pattern.exec(url.pathname);
      if (!m) continue;
      pathMatched = true;
      if (candidate.method === req.method) {
        binding = candidate;
        match = m;
        break;
      }
    }
    try {
      const refusal = this.certificateRefusal(req.socket);
      if (refusal) {
        req.resume();
        throw Object.assign(refusal, { closeConnection: true });
      }
      if (!binding || !match) {
        req.resume();
        throw pathMatched
          ? new ApiError('METHOD_NOT_ALLOWED', `${req.method} is not supported on ${url.pathname}`)
          : new ApiError('NOT_FOUND', `no such endpoint: ${req.method} ${url.pathname}`, 'see /v1/openapi.json for the API');
      }
      if (!this.authorized(binding.auth, req.headers)) {
        req.resume();
        throw new ApiError(
          'UNAUTHORIZED',
          binding.auth === 'peer' ? 'missing or wrong cluster secret' : 'missing or wrong admin token',
          binding.auth === 'peer' ? 'set the same cluster-secret on every node' : 'pass --token or set CAIRN_TOKEN',
        );
      }
      if (binding.role && !this.options.roles.includes(binding.role)) {
        req.resume();
        throw new ApiError('NOT_FOUND', `node ${this.options.name} does not run the ${binding.role} role`, `send this request to a node with the ${binding.role} role`);
      }
      const params: Record<string, string> = {};
      binding.paramNames.forEach((name, i) => {
        params[name] = decodeURIComponent(match![i + 1]!);
      });
      const limit = typeof binding.bodyLimit === 'function' ? binding.bodyLimit(params) : (binding.bodyLimit ?? this.options.bodyLimit);
      const tooLarge = binding.tooLarge;
      if (expectsContinue) {
        const declared = Number(req.headers['content-length'] ?? Number.NaN);
        if (Number.isFinite(declared) && declared > limit) {
          const error = tooLarge ? tooLarge(declared, limit, { params, declared: true }) : messageTooLarge(declared, limit, true);
          throw Object.assign(error, { closeConnection: true });
        }
        res.writeContinue();
      }
      const body = await readBody(req, limit, (size, declared) =>
        tooLarge ? tooLarge(size, limit, { params, declared }) : messageTooLarge(size, limit, declared),
      );
      const result = await binding.handle({ params, query: url.searchParams, headers: req.headers, body });
      if (!res.headersSent) {
        res.writeHead(result.status ?? 200, result.headers);
        res.end(result.body);
      }
    } catch (err) {
      this.sendError(req, res, err);
    }
  }

  private sendError(req: http.IncomingMessage, res: http.ServerResponse, err: unknown): void {
    const apiError = toApiError(err);
    if (apiError.status >= 500 && apiError.code === 'INTERNAL') {
      this.options.logger.error({ err, method: req.method, url: req.url }, 'request failed');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if ((err as { closeConnection?: boolean }).closeConnection) headers.connection = 'close';
    res.writeHead(apiError.status, headers);
    res.end(JSON.stringify(apiError.toBody()));
  }
}

/** An error answer written straight to a socket (a refused upgrade), closing the connection. */
export function rawErrorResponse(error: ApiError): string {
  const body = JSON.stringify(error.toBody());
  return `HTTP/1.1 ${error.status} ${http.STATUS_CODES[error.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/**
 * Whether a secret sent by a client is the expected one, in time that does not depend on where they
 * differ (digests first, as timingSafeEqual needs equal lengths).
 */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * What a failure becomes on the wire. A peer this node needed that did not answer is a 503 the
 * client may retry (a leader or sequencer that just died is replaced within seconds), never a 500.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof TransportError) {
    return new ApiError('UNAVAILABLE', `a node this request needed did not answer: ${err.message}`, 'retry in a moment; the cluster controller replaces a failed leader or sequencer within a few seconds');
  }
  return new ApiError('INTERNAL', err instanceof Error ? err.message : String(err));
}

/** Reads a request body, refusing as soon as it is known to exceed `limit`. */
export function readBody(req: http.IncomingMessage, limit: number, tooLarge: (size: number, declared: boolean) => ApiError): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    // The answer goes out at once. A body of reasonable size is drained (read and dropped) so that
    // the client, still sending it, reads the answer rather than a reset connection; a huge one
    // gets the connection closed.
    if (declared <= DRAIN_LIMIT) req.resume();
    else req.pause();
    return Promise.reject(Object.assign(tooLarge(declared, true), { closeConnection: declared > DRAIN_LIMIT }));
  }
  return new Promise((resolve, reject) => {
    // With a declared length the body is read into one buffer of its own (no concatenation).
    const into = Number.isFinite(declared) ? Buffer.allocUnsafeSlow(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size + chunk.length > limit || (into && size + chunk.length > into.length)) {
        req.removeAllListeners('data');
        req.pause();
        reject(Object.assign(tooLarge(size + chunk.length, false), { closeConnection: true }));
        return;
      }
      if (into) chunk.copy(into, size);
      else chunks.push(chunk);
      size += chunk.length;
    });
    req.on('end', () => resolve(into ? into.subarray(0, size) : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function messageTooLarge(size: number, limit: number, declared: boolean): ApiError {
  return new ApiError(
    'PAYLOAD_TOO_LARGE',
    `request body too large: ${declared ? size : `more than ${limit}`} bytes exceeds limit of ${limit} bytes (networking.message-size-limit, ${formatSize(limit)})`,
    'send a smaller body, or raise networking.message-size-limit on every node',
  );
}
