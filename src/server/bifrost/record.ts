// Records as the ingress writes them, and the one record-size check of the data path.
//   [kind u8][key length u16][write id: 12 bytes][key][value]
// The write id names one client write: an append retried after an ambiguous failure (its sequencer
// died or was sealed after storing it) carries the same id, so that the partition applies it once.
import { randomBytes } from 'node:crypto';
import { ApiError } from '../../api/errors';

export const RECORD_PUT = 2;
export const WRITE_ID_BYTES = 12;
/** kind (1 byte) + key length (2 bytes) + write id */
const RECORD_HEADER_BYTES = 3 + WRITE_ID_BYTES;
export const MAX_KEY_BYTES = 1024;

export interface PutRecord {
  key: string;
  value: Buffer;
  writeId: Buffer;
}

/** This process's writes: a random producer (8 bytes) and a counter (4 bytes). */
const producer = randomBytes(8);
let writeCounter = 0;

export function nextWriteId(): Buffer {
  const id = Buffer.allocUnsafe(WRITE_ID_BYTES);
  producer.copy(id, 0);
  id.writeUInt32BE(writeCounter, 8);
  writeCounter = (writeCounter + 1) >>> 0;
  return id;
}

export function encodedPutSize(keyBytes: number, valueBytes: number): number {
  return RECORD_HEADER_BYTES + keyBytes + valueBytes;
}

export function encodePut(key: string, value: Buffer, writeId: Buffer = nextWriteId()): Buffer {
  const keyBytes = Buffer.from(key, 'utf8');
  const out = Buffer.allocUnsafe(encodedPutSize(keyBytes.length, value.length));
  out.writeUInt8(RECORD_PUT, 0);
  out.writeUInt16BE(keyBytes.length, 1);
  writeId.copy(out, 3);
  keyBytes.copy(out, RECORD_HEADER_BYTES);
  value.copy(out, RECORD_HEADER_BYTES + keyBytes.length);
  return out;
}

export function decodeRecord(record: Buffer): PutRecord {
  if (record.length < RECORD_HEADER_BYTES || record.readUInt8(0) !== RECORD_PUT) {
    throw new Error(`unknown record kind ${record.length ? record.readUInt8(0) : 'empty'}`);
  }
  const keyLength = record.readUInt16BE(1);
  return {
    key: record.toString('utf8', RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + keyLength),
    value: record.subarray(RECORD_HEADER_BYTES + keyLength),
    writeId: record.subarray(3, RECORD_HEADER_BYTES),
  };
}

/**
 * `bifrost.record-size-limit`, on the encoded bytes every replica stores. Called for every append,
 * whether it reaches the sequencer in process or over the network, and by the ingress before it
 * reads a body whose declared length is already too much.
 */
export function enforceRecordSize(encodedBytes: number, limit: number): void {
  if (encodedBytes > limit) throw recordTooLarge(encodedBytes, limit);
}

export function recordTooLarge(encodedBytes: number, limit: number): ApiError {
  return new ApiError(
    'RECORD_TOO_LARGE',
    `record too large: ${encodedBytes} bytes exceeds limit of ${limit} bytes (bifrost.record-size-limit)`,
    'split the value, or raise bifrost.record-size-limit (at most networking.message-size-limit minus 64 KiB)',
    { size_bytes: encodedBytes, limit_bytes: limit },
  );
}
