// The calling end of the node-to-node transport: one long-lived connection per peer, opened on
// first use with an HTTP upgrade that carries the cluster secret, on which any number of requests
// are outstanding at once (over TLS, with the node's certificate, for an https:// peer). Failures
// are the HTTP client's kinds (refused, timeout, reset...), so that callers tell a dead or hung peer
// from an answer they did not like the same way as before.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { ApiError, isErrorCode } from '../../api/errors';
import { classifyFailure, TransportError } from '../../api/http-client';
import type { TlsClientOptions } from '../../api/tls';
import { decodeFrame, decodeFrameHeader, encodeFrame } from '../bifrost/wire';
import { CLUSTER_SECRET_HEADER, messageTooLarge } from '../http/server';
import { MessageKind, MessageReader, MessageWriter, operationCode, PEER_PROTOCOL, type PeerOperation } from './frames';

export interface PeerClientOptions {
  /** How long opening a connection (TCP and handshake) may take. */
  connectTimeoutMs: number;
  clusterSecret?: string;
  /** networking.message-size-limit, for requests and answers alike. */
  messageLimit: number;
  /** For https:// peers: the CA to trust and the certificate to present (the node's own). */
  tls?: TlsClientOptions;
}

export interface PeerCallOptions {
  timeoutMs: number;
}

/** How often outstanding requests are checked against their deadlines. */
const DEADLINE_CHECK_MS = 100;

export class PeerClients {
  private readonly connections = new Map<string, PeerConnection>();

  constructor(private readonly options: PeerClientOptions) {}

  /** Sends a request whose payload is a data-path frame; resolves with the answer's frame. */
  call(address: string, operation: PeerOperation, payload: Buffer, options: PeerCallOptions): Promise<Buffer> {
    return this.connection(address).call(operation, payload, options);
  }

  private connection(address: string): PeerConnection {
    let connection = this.connections.get(address);
    if (!connection) {
      connection = new PeerConnection(address, this.options);
      this.connections.set(address, connection);
    }
    return connection;
  }

  /** Sends a notice (a request that gets no answer); lost if the connection cannot be opened. */
  notify(address: string, operation: PeerOperation, header: unknown): void {
    this.connection(address).notify(operation, encodeFrame(header, []));
  }

  /** A request with a JSON header (and records); resolves with the answer's header. */
  async request<T>(address: string, operation: PeerOperation, header: unknown, options: PeerCallOptions, records: readonly Buffer[] = []): Promise<T> {
    return decodeFrameHeader<T>(await this.call(address, operation, encodeFrame(header, records), options));
  }

  /** As `request`, with the records of the answer. */
  async requestRecords<T>(address: string, operation: PeerOperation, header: unknown, options: PeerCallOptions): Promise<{ header: T; records: Buffer[] }> {
    return decodeFrame<T>(await this.call(address, operation, encodeFrame(header, []), options));
  }

  destroy(): void {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }
}

interface Outstanding {
  resolve: (answer: Buffer) => void;
  reject: (err: Error) => void;
  deadline: number;
}

class PeerConnection {
  private socket: Socket | undefined;
  private writer: MessageWriter | undefined;
  private opening = false;
  private readonly outstanding = new Map<number, Outstanding>();
  /** Requests and notices made while the connection opens. */
  private waiting: Array<{ id: number; kind: MessageKind; operation: number; payload: Buffer }> = [];
  private nextId = 1;
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly address: string,
    private readonly options: PeerClientOptions,
  ) {}

  call(operation: PeerOperation, payload: Buffer, options: PeerCallOptions): Promise<Buffer> {
    if (payload.length > this.options.messageLimit) return Promise.reject(messageTooLarge(payload.length, this.options.messageLimit, true));
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffff_ffff ? 1 : this.nextId + 1;
    const code = operationCode(operation);
    return new Promise<Buffer>((resolve, reject) => {
      this.outstanding.set(id, { resolve, reject, deadline: Date.now() + options.timeoutMs });
      this.watchDeadlines();
      this.send(id, MessageKind.Request, code, payload);
    });
  }

  notify(operation: PeerOperation, payload: Buffer): void {
    if (payload.length <= this.options.messageLimit) this.send(0, MessageKind.Notice, operationCode(operation), payload);
  }

  private send(id: number, kind: MessageKind, operation: number, payload: Buffer): void {
    if (this.writer) this.writer.send(id, kind, operation, payload);
    else {
      this.waiting.push({ id, kind, operation, payload });
      this.open();
    }
  }

  close(): void {
    this.socket?.destroy();
    this.lost(new TransportError('reset', this.address, 'this node is stopping'));
  }

  /** The request waiting for this answer, if it has not timed out or been aborted meanwhile. */
  private take(id: number): Outstanding | undefined {
    const waiter = this.outstanding.get(id);
    this.outstanding.delete(id);
    return waiter;
  }

  private open(): void {
    if (this.opening) return;
    this.opening = true;
    const url = new URL(this.address);
    const secure = url.protocol === 'https:';
    const req = (secure ? https : http).request({
      ...(secure ? this.options.tls : {}),
      host: url.hostname,
      port: url.port,
      path: '/v1/peer',
      agent: false,
      headers: {
        connection: 'Upgrade',
        upgrade: PEER_PROTOCOL,
        ...(this.options.clusterSecret ? { [CLUSTER_SECRET_HEADER]: this.options.clusterSecret } : {}),
      },
    });
    let done = false;
    const failed = (err: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      this.opening = false;
      this.lost(err);
    };
    // A stopped (SIGSTOP) peer accepts the TCP connection but never answers the handshake.
    const timer = setTimeout(() => failed(new TransportError('connect-timeout', this.address, '')), this.options.connectTimeoutMs);
    req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
      done = true;
      clearTimeout(timer);
      this.opening = false;
      this.attach(socket, head);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => failed(refusal(this.address, res.statusCode ?? 0, Buffer.concat(chunks))));
      res.on('error', (err) => failed(new TransportError(classifyFailure(err).kind, this.address, '')));
    });
    req.on('error', (err) => {
      const { kind, detail, tlsProblem } = classifyFailure(err);
      failed(new TransportError(kind, this.address, detail, tlsProblem));
    });
    req.end();
  }

  private attach(socket: Socket, head: Buffer): void {
    socket.setNoDelay(true);
    const reader = new MessageReader(
      this.options.messageLimit,
      (message) => {
        const waiter = this.take(message.id);
        if (message.kind === MessageKind.Answer) waiter?.resolve(message.payload);
        else waiter?.reject(peerFailure(this.address, message.payload));
      },
      (id, _kind, _operation, length) =>
        this.take(id)?.reject(new TransportError('other', this.address, `an answer of ${length} bytes is over networking.message-size-limit (${this.options.messageLimit})`)),
    );
    this.socket = socket;
    this.writer = new MessageWriter(socket);
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.lost(new TransportError('reset', this.address, ''));
    });
    if (head.length) reader.push(head);
    for (const message of this.waiting) this.writer.send(message.id, message.kind, message.operation, message.payload);
    this.waiting = [];
  }

  /** The connection is gone (or never came): every outstanding request fails with `err`. */
  private lost(err: Error): void {
    this.socket = undefined;
    this.writer = undefined;
    this.waiting = [];
    const outstanding = [...this.outstanding.values()];
    this.outstanding.clear();
    for (const waiter of outstanding) waiter.reject(err);
  }

  /** Fails requests past their deadline; runs only while requests are outstanding. */
  private watchDeadlines(): void {
    if (this.deadlineTimer) return;
    this.deadlineTimer = setInterval(() => {
      const now = Date.now();
      for (const [id, waiter] of this.outstanding) {
        if (waiter.deadline > now) continue;
        this.outstanding.delete(id);
        waiter.reject(new TransportError('timeout', this.address, ''));
      }
      if (this.outstanding.size === 0) {
        clearInterval(this.deadlineTimer);
        this.deadlineTimer = undefined;
      }
    }, DEADLINE_CHECK_MS);
    this.deadlineTimer.unref();
  }
}

/** The error a peer answered with, as the ApiError it was on the peer. */
function peerFailure(address: string, payload: Buffer): Error {
  const body = decodeFrameHeader<{ code?: unknown; message?: string; hint?: string }>(payload);
  if (isErrorCode(body.code)) return new ApiError(body.code, body.message ?? '', body.hint);
  return new ApiError('INTERNAL', `${address}: ${body.message ?? 'unreadable failure'}`);
}

/** The handshake was answered with a plain HTTP status: a wrong secret, or not a Cairn node. */
function refusal(address: string, status: number, body: Buffer): Error {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { code?: unknown; message?: string; hint?: string };
    if (isErrorCode(parsed.code)) return new ApiError(parsed.code, parsed.message ?? '', parsed.hint);
  } catch {
    // not JSON: not a Cairn node, or an older one
  }
  return new TransportError('other', address, `HTTP ${status} to the peer handshake; is it a Cairn node of the same version?`);
}
