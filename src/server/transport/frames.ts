// The node-to-node transport's framing. After an HTTP upgrade handshake, a connection carries
// messages in both directions, each a fixed prefix and a payload:
//   [u32 payload length][u32 request id][u8 kind][u8 operation][payload]
// The payload is a data-path frame (bifrost/wire.ts: a JSON header and length-prefixed records), so
// record bytes travel as they are. Requests and answers are matched by id, so that many requests
// share a connection and are answered in whatever order they finish.

import type { Socket } from 'node:net';

/** The protocol named in the upgrade handshake. */
export const PEER_PROTOCOL = 'cairn-peer/1';

export const PREFIX_BYTES = 10;

/**
 * `Failure`: an answer whose payload's header is an error body `{code, message, hint?}`.
 * `Notice`: a request that gets no answer (advisory news such as a released global tail; losing one
 * costs nothing, so it is not worth an answer message).
 */
export const MessageKind = { Request: 0, Answer: 1, Failure: 2, Notice: 3 } as const;
export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind];

/** The operations peers ask of each other; the number is what travels. */
export const PEER_OPERATIONS = ['store', 'seal', 'trim', 'state', 'read', 'digest', 'append', 'tail', 'release'] as const;
export type PeerOperation = (typeof PEER_OPERATIONS)[number];

export function operationCode(operation: PeerOperation): number {
  return PEER_OPERATIONS.indexOf(operation);
}

export function operationName(code: number): PeerOperation | undefined {
  return PEER_OPERATIONS[code];
}

export function encodePrefix(payloadLength: number, id: number, kind: MessageKind, operation: number): Buffer {
  const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
  prefix.writeUInt32BE(payloadLength, 0);
  prefix.writeUInt32BE(id, 4);
  prefix.writeUInt8(kind, 8);
  prefix.writeUInt8(operation, 9);
  return prefix;
}

/**
 * Writes messages to a connection. The messages written in one turn of the event loop leave in one
 * system call (the socket is corked until the next tick): under load, stores and answers to one
 * peer go out together.
 */
export class MessageWriter {
  private corked = false;

  constructor(private readonly socket: Socket) {}

  send(id: number, kind: MessageKind, operation: number, payload: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(encodePrefix(payload.length, id, kind, operation));
    this.socket.write(payload);
  }
}

export interface Message {
  id: number;
  kind: MessageKind;
  operation: number;
  /**
   * The payload in a buffer of its own: the records a log-server stores from it stay in its record
   * cache as views into it, which then hold only the payload, not the chunk it arrived in.
   */
  payload: Buffer;
}

/**
 * Cuts a byte stream into messages. A payload over `limit` is not buffered: its bytes are skipped
 * and `onOversize` gets the message's id and length, so that the request alone is refused and the
 * connection carries on.
 */
export class MessageReader {
  private readonly prefix = Buffer.allocUnsafe(PREFIX_BYTES);
  private prefixFilled = 0;
  private payload: Buffer | undefined;
  private payloadFilled = 0;
  private skipping = 0;

  constructor(
    private readonly limit: number,
    private readonly onMessage: (message: Message) => void,
    private readonly onOversize: (id: number, kind: MessageKind, operation: number, length: number) => void,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.skipping > 0) {
        const skipped = Math.min(this.skipping, chunk.length - at);
        this.skipping -= skipped;
        at += skipped;
        continue;
      }
      if (this.payload) {
        const copied = chunk.copy(this.payload, this.payloadFilled, at, Math.min(chunk.length, at + this.payload.length - this.payloadFilled));
        this.payloadFilled += copied;
        at += copied;
        if (this.payloadFilled === this.payload.length) this.complete(this.payload);
        continue;
      }
      const copied = chunk.copy(this.prefix, this.prefixFilled, at, Math.min(chunk.length, at + PREFIX_BYTES - this.prefixFilled));
      this.prefixFilled += copied;
      at += copied;
      if (this.prefixFilled < PREFIX_BYTES) continue;
      const length = this.prefix.readUInt32BE(0);
      if (length > this.limit) {
        this.prefixFilled = 0;
        this.skipping = length;
        this.onOversize(this.prefix.readUInt32BE(4), this.prefix.readUInt8(8) as MessageKind, this.prefix.readUInt8(9), length);
        continue;
      }
      this.payload = Buffer.allocUnsafeSlow(length);
      this.payloadFilled = 0;
      if (length === 0) this.complete(this.payload);
    }
  }

  private complete(payload: Buffer): void {
    this.payload = undefined;
    this.prefixFilled = 0;
    this.onMessage({ id: this.prefix.readUInt32BE(4), kind: this.prefix.readUInt8(8) as MessageKind, operation: this.prefix.readUInt8(9), payload });
  }
}
