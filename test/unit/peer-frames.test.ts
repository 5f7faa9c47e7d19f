// The peer transport's message reader on byte streams cut anywhere: prefixes and payloads split
// across chunks, empty payloads, and payloads over the limit skipped without being buffered.
import { describe, expect, it } from 'vitest';
import { encodePrefix, MessageKind, MessageReader, type Message } from '../../src/server/transport/frames';

const message = (id: number, payload: Buffer, kind: MessageKind = MessageKind.Request, operation = 3) =>
  Buffer.concat([encodePrefix(payload.length, id, kind, operation), payload]);

function readAll(stream: Buffer, chunkSizes: number[], limit = 1024) {
  const messages: Message[] = [];
  const oversize: Array<{ id: number; length: number }> = [];
  const reader = new MessageReader(limit, (m) => messages.push(m), (id, _kind, _operation, length) => oversize.push({ id, length }));
  let at = 0;
  for (let i = 0; at < stream.length; i++) {
    const size = chunkSizes[i % chunkSizes.length]!;
    reader.push(stream.subarray(at, at + size));
    at += size;
  }
  return { messages, oversize };
}

describe('MessageReader', () => {
  const stream = Buffer.concat([
    message(1, Buffer.from('first payload')),
    message(2, Buffer.alloc(0), MessageKind.Answer, 0),
    message(3, Buffer.alloc(2000, 7)), // over the limit of 1024
    message(4, Buffer.from('after the oversize one'), MessageKind.Failure, 6),
  ]);

  for (const chunks of [[stream.length], [1], [3, 7], [10], [11, 1, 999]]) {
    it(`reads the same messages from chunks of ${chunks.join(', ')} bytes`, () => {
      const { messages, oversize } = readAll(stream, chunks);
      expect(messages.map((m) => ({ id: m.id, kind: m.kind, operation: m.operation, payload: m.payload.toString() }))).toEqual([
        { id: 1, kind: MessageKind.Request, operation: 3, payload: 'first payload' },
        { id: 2, kind: MessageKind.Answer, operation: 0, payload: '' },
        { id: 4, kind: MessageKind.Failure, operation: 6, payload: 'after the oversize one' },
      ]);
      expect(oversize).toEqual([{ id: 3, length: 2000 }]);
    });
  }

  it('gives each payload a buffer of its own (records cached from it hold no more than it)', () => {
    const { messages } = readAll(stream, [stream.length]);
    for (const m of messages) {
      expect(m.payload.byteOffset).toBe(0);
      expect(m.payload.buffer.byteLength).toBe(m.payload.length);
    }
  });
});
