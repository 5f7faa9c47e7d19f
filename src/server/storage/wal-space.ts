// Room for the log store's WAL, made before its first commit. Under steady load the WAL runs through
// its whole bound before it starts over (the checkpoint thread never finds it wholly copied while
// commits keep coming), so after every start it grows to WAL_PAGES_BOUND frames. While it grows,
// each commit's fdatasync must also journal the file's new size; once the file is that large,
// commits overwrite blocks it already has. Writing the zeros up front, as etcd preallocates its WAL
// segments, gives a node's first minutes under load the commits of the later ones (see README,
// "Log-server"). Zeros past the last frame are what SQLite itself leaves there after it starts the
// WAL over: recovery stops at the first frame whose checksum fails.
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { freeDiskBytes } from '../health';
import type { Logger } from '../logger';
import { WAL_PAGES_BOUND } from './checkpointer';
import type { Db } from './sqlite';

const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;
const CHUNK_BYTES = 1 << 20;
/** The zeros are written only when the disk has this many times their size free. */
const FREE_SPACE_FACTOR = 4;

/** The size of a WAL of WAL_PAGES_BOUND frames of `pageSize` bytes. */
export function walBytesAtBound(pageSize: number): number {
  return WAL_HEADER_BYTES + WAL_PAGES_BOUND * (FRAME_HEADER_BYTES + pageSize);
}

/**
 * Extends `db`'s WAL file with zeros to WAL_PAGES_BOUND frames. Call it before anything else can
 * write the WAL (no other connection open, no transaction): it writes past the file's end only.
 * Best effort: on a disk short of space, or on any failure, the WAL just grows as it would have.
 */
export function preallocateWal(db: Db, logger: Logger): void {
  const file = `${db.name}-wal`;
  const target = walBytesAtBound(db.pragma('page_size', { simple: true }) as number);
  let fd: number;
  try {
    fd = openSync(file, 'r+');
  } catch {
    return; // no WAL yet: SQLite creates it at the first write
  }
  let size = 0;
  try {
    size = fstatSync(fd).size;
    if (size >= target) return;
    if ((freeDiskBytes(path.dirname(file)) ?? 0) < FREE_SPACE_FACTOR * (target - size)) {
      logger.info({ wal: file, bytes: target - size }, 'disk short of space: the WAL grows as it is written, not up front');
      return;
    }
    const zeros = Buffer.alloc(CHUNK_BYTES);
    for (let at = size; at < target; at += CHUNK_BYTES) writeSync(fd, zeros, 0, Math.min(CHUNK_BYTES, target - at), at);
    fdatasyncSync(fd);
  } catch (err) {
    logger.warn({ wal: file, err: (err as Error).message }, 'could not make room for the WAL up front; it grows as it is written');
    try {
      ftruncateSync(fd, size);
    } catch {
      // the zeros past the last frame are harmless
    }
  } finally {
    closeSync(fd);
  }
}
