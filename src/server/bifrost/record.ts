// Records as the ingress writes them, and the one record-size check of the data path.
import { ApiError } from '../../api/errors';

export const RECORD_PUT = 1;
/** kind (1 byte) + key length (2 bytes) */
const RECORD_HEADER_BYTES = 3;
export const MAX_KEY_BYTES = 1024;

export interface PutRecord {
  key: string;
  value: Buffer;
}

export function encodedPutSize(keyBytes: number, valueBytes: number): number {
  return RECORD_HEADER_BYTES + keyBytes + valueBytes;
}

export function encodePut(key: string, value: Buffer): Buffer {
  const keyBytes = Buffer.from(key, 'utf8');
  const out = Buffer.allocUnsafe(encodedPutSize(keyBytes.length, value.length));
  out.writeUInt8(RECORD_PUT, 0);
  out.writeUInt16BE(keyBytes.length, 1);
  keyBytes.copy(out, 3);
  value.copy(out, 3 + keyBytes.length);
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
