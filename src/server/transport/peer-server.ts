// The serving end of the node-to-node transport. A peer upgrades an HTTP connection to the node's
// listener (`Upgrade: cairn-peer/1`) and is let in only with the cluster secret; from then on the
// connection carries framed requests, each handed to the operation's handler and answered as soon
// as it finishes, in any order.
import type http from 'node:http';
import type { Socket } from 'node:net';
import { ApiError } from '../../api/errors';
import { decodeFrameHeader, encodeFrame } from '../bifrost/wire';
import { CLUSTER_SECRET_HEADER, messageTooLarge, rawErrorResponse, sameSecret, toApiError } from '../http/server';
import type { Logger } from '../logger';
import { MessageKind, MessageReader, MessageWriter, operationCode, operationName, PEER_PROTOCOL, type Message, type PeerOperation } from './frames';

/** Takes a request's payload (a data-path frame it owns) and returns the answer's. */
export type PeerHandler = (payload: Buffer) => Promise<Buffer>;

/** A handler for an operation whose request and answer are JSON headers without records. */
export function headerOperation<H>(handle: (header: H) => Promise<unknown>): PeerHandler {
  return async (payload) => encodeFrame(await handle(decodeFrameHeader<H>(payload)), []);
}

export interface PeerServerOptions {
  name: string;
  logger: Logger;
  /** networking.message-size-limit: larger requests are refused without being buffered. */
  messageLimit: number;
  clusterSecret?: string;
}

export class PeerServer {
  private readonly handlers = new Map<number, PeerHandler>();
  private readonly sockets = new Set<Socket>();
  /** Addresses already logged for a wrong secret: a misconfigured peer retries all the time. */
  private readonly refusedFrom = new Set<string>();

  constructor(private readonly options: PeerServerOptions) {}

  handle(operation: PeerOperation, handler: PeerHandler): void {
    this.handlers.set(operationCode(operation), handler);
  }

  /** Takes over a connection whose request asked for an upgrade. */
  upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    if (req.headers.upgrade?.toLowerCase() !== PEER_PROTOCOL) {
      socket.end(rawErrorResponse(new ApiError('BAD_REQUEST', `unknown upgrade protocol '${req.headers.upgrade}'`, `peers speak ${PEER_PROTOCOL}`)));
      return;
    }
    const secret = req.headers[CLUSTER_SECRET_HEADER];
    if (this.options.clusterSecret && !sameSecret(typeof secret === 'string' ? secret : undefined, this.options.clusterSecret)) {
      const from = socket.remoteAddress ?? 'unknown';
      if (!this.refusedFrom.has(from)) {
        this.refusedFrom.add(from);
        this.options.logger.warn({ peer: from }, 'refused a peer connection: missing or wrong cluster secret (logged once per address)');
      }
      socket.end(rawErrorResponse(new ApiError('UNAUTHORIZED', `${this.options.name} refused the peer connection: missing or wrong cluster secret`, 'set the same cluster-secret on every node')));
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${PEER_PROTOCOL}\r\nconnection: Upgrade\r\n\r\n`);
    this.serve(socket, head);
  }

  /** Closes every peer connection (the node is stopping). */
  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private serve(socket: Socket, head: Buffer): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const writer = new MessageWriter(socket);
    const fail = (message: Pick<Message, 'id' | 'operation'>, err: unknown) => {
      const error = toApiError(err);
      if (error.code === 'INTERNAL') this.options.logger.error({ err, operation: operationName(message.operation) }, 'peer request failed');
      if (!socket.destroyed) writer.send(message.id, MessageKind.Failure, message.operation, encodeFrame(error.toBody(), []));
    };
    const reader = new MessageReader(
      this.options.messageLimit,
      (message) => {
        if (message.kind === MessageKind.Notice) return this.notice(message);
        // Answers only ever travel to the calling end.
        if (message.kind !== MessageKind.Request) return;
        const handler = this.handlers.get(message.operation);
        if (!handler) {
          const name = operationName(message.operation) ?? `#${message.operation}`;
          fail(message, new ApiError('NOT_FOUND', `node ${this.options.name} does not serve '${name}' (not a role it runs)`, 'send it to a node with that role'));
          return;
        }
        // A handler that throws before its first await (a malformed header) fails this request only.
        new Promise<Buffer>((resolve) => resolve(handler(message.payload))).then((answer) => {
          if (!socket.destroyed) writer.send(message.id, MessageKind.Answer, message.operation, answer);
        }, (err: unknown) => fail(message, err));
      },
      (id, _kind, operation, length) => fail({ id, operation }, messageTooLarge(length, this.options.messageLimit, true)),
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    // A peer that went away: its requests' answers have nowhere to go.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    if (head.length) reader.push(head);
  }

  /** A notice is advisory: it is handled if this node can, and neither answered nor failed. */
  private notice(message: Message): void {
    const handler = this.handlers.get(message.operation);
    if (!handler) return;
    new Promise<Buffer>((resolve) => resolve(handler(message.payload))).catch((err: unknown) =>
      this.options.logger.debug({ err, operation: operationName(message.operation) }, 'peer notice not taken'),
    );
  }
}
