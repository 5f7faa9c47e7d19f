// The binary frame of the data path (append, store, read): a JSON header and length-prefixed
// records, so that record bytes travel as they are, without base64 or JSON escaping.
//   [u32 header length][header JSON][u32 record length][record bytes]...

/** Bytes a record costs in a frame beyond its payload. */
export const RECORD_FRAMING_BYTES = 4;

export function frameSize(records: readonly Buffer[]): number {
  let size = 0;
  for (const record of records) size += RECORD_FRAMING_BYTES + record.length;
  return size;
}

export function encodeFrame(header: unknown, records: readonly Buffer[]): Buffer {
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.allocUnsafe(4 + head.length + frameSize(records));
  out.writeUInt32BE(head.length, 0);
  head.copy(out, 4);
  let at = 4 + head.length;
  for (const record of records) {
    out.writeUInt32BE(record.length, at);
    record.copy(out, at + 4);
    at += 4 + record.length;
  }
  return out;
}

export class FrameError extends Error {}

/** Only the header of a frame. */
export function decodeFrameHeader<H>(frame: Buffer): H {
  if (frame.length < 4) throw new FrameError('frame too short');
  const headLength = frame.readUInt32BE(0);
  if (4 + headLength > frame.length) throw new FrameError('frame header is truncated');
  return JSON.parse(frame.toString('utf8', 4, 4 + headLength)) as H;
}

/** Decodes a frame; the records are views into `frame` (no copies). */
export function decodeFrame<H>(frame: Buffer): { header: H; records: Buffer[] } {
  const header = decodeFrameHeader<H>(frame);
  const headLength = frame.readUInt32BE(0);
  const records: Buffer[] = [];
  let at = 4 + headLength;
  while (at < frame.length) {
    if (at + 4 > frame.length) throw new FrameError('record length is truncated');
    const length = frame.readUInt32BE(at);
    if (at + 4 + length > frame.length) throw new FrameError('record is truncated');
    records.push(frame.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return { header, records };
}
