// The object store under the snapshot repository: a flat namespace of keys ('0/latest.json') under
// the configured destination, with whole-object reads of small objects, streamed reads and writes
// of large ones, listing and deletion. `file://` and `s3://` implement it; the repository's layout,
// publish order, retention and checksums are written once above it (snapshot-repository.ts).
import type { Readable } from 'node:stream';

export interface ObjectStore {
  /** The destination as operators configured it (file:///..., s3://bucket/prefix), for views and messages. */
  readonly url: string;
  /** The URL of one object, for messages. */
  urlOf(key: string): string;
  /** A whole (small) object; undefined if there is none. */
  get(key: string): Promise<Buffer | undefined>;
  /** A large object as a stream; fails if there is none. */
  getStream(key: string): Promise<Readable>;
  /** Writes a small object, replacing it at once: a reader sees the old or the new content. */
  put(key: string, body: string | Buffer): Promise<void>;
  /** Writes a local file as an object, streamed (multipart on S3), durable once this resolves. */
  putFile(key: string, file: string): Promise<void>;
  /** Every key under `prefix` (which ends with '/'). */
  list(prefix: string): Promise<string[]>;
  /** Deletes objects; keys that do not exist are no error. */
  delete(keys: string[]): Promise<void>;
  close(): void;
}

/** A failure of the object store, already phrased for an operator (what, where, which setting). */
export class ObjectStoreError extends Error {
  constructor(
    message: string,
    readonly notFound = false,
  ) {
    super(message);
    this.name = 'ObjectStoreError';
  }
}
