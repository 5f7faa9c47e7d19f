// The s3:// object store, through the AWS SDK v3: objects under `<prefix>/` of a bucket on AWS S3
// or an S3-compatible store (MinIO and the like, through worker.snapshots.aws-endpoint-url). Large
// objects go up as multipart uploads, each part streamed from its range of the file. Built into a
// bundle of its own (dist/s3-store.cjs) that only nodes with an s3:// destination load. Failures
// become ObjectStoreErrors that name the object, the endpoint and the setting to look at.
//
// Not @aws-sdk/lib-storage's Upload: it gathers each part in memory (Buffer.concat) and the signer
// then hashes it on the event loop; with a 256 MiB snapshot that measured about +60 MiB of RSS and
// stalls near 100 ms in the node (test/bench/snapshot.mjs), against +35 MiB and the machine's
// baseline for parts streamed from the file. The data's integrity is checked end to end by the
// repository's SHA-256 on restore.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type ListObjectsV2CommandOutput,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { SnapshotDestination } from '../config';
import { ObjectStoreError, type ObjectStore } from './object-store';

type S3Destination = Extract<SnapshotDestination, { kind: 's3' }>;

/** Parts of 16 MiB (S3 wants 5 MiB to 5 GiB, at most 10,000 of them), four in flight. */
const PART_BYTES = 16 * 1024 * 1024;
const MAX_PARTS = 10_000;
const PARTS_IN_FLIGHT = 4;
const ATTEMPTS = 3;
const DELETE_BATCH = 1000;
const CONNECT_TIMEOUT_MS = 3_000;
const SOCKET_IDLE_TIMEOUT_MS = 30_000;

/** Errors of the connection itself (nothing answered), as opposed to answers from S3. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const REFUSED_CREDENTIALS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'ExpiredToken', 'InvalidToken']);

interface SdkError extends Error {
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

export class S3ObjectStore implements ObjectStore {
  readonly url: string;
  private readonly client: S3Client;
  /** For requests whose body is a stream, which the SDK cannot send again: they are retried here. */
  private readonly streamingClient: S3Client;

  constructor(private readonly destination: S3Destination) {
    this.url = destination.url;
    // This SDK release supports Node 20; its notice that later ones will need Node 22 is not the
    // operator's concern on every start.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const config: S3ClientConfig = {
      region: destination.region,
      endpoint: destination.endpoint?.url,
      // A custom endpoint (MinIO, an IP address) rarely resolves bucket host names.
      forcePathStyle: destination.endpoint !== undefined,
      credentials: destination.credentials,
      profile: destination.profile,
      // The repository checks its own SHA-256 of every data object; S3-compatible stores do not all
      // accept the SDK's newer checksum headers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: SOCKET_IDLE_TIMEOUT_MS },
    };
    this.client = new S3Client({ ...config, maxAttempts: ATTEMPTS });
    this.streamingClient = new S3Client({ ...config, maxAttempts: 1 });
  }

  urlOf(key: string): string {
    return `${this.url}/${key}`;
  }

  private objectKey(key: string): string {
    return this.destination.prefix ? `${this.destination.prefix}/${key}` : key;
  }

  private endpoint(): string {
    const { endpoint, region } = this.destination;
    return endpoint ? `the S3 endpoint ${endpoint.url} (${endpoint.source})` : `AWS S3 in region ${region ?? '(from the AWS profile)'}`;
  }

  /** An SDK failure as an operator reads it: what, where, and which setting to look at. */
  private failure(action: string, key: string, err: unknown): ObjectStoreError {
    const e = err as SdkError;
    const name = e.name || e.Code || 'Error';
    const target = this.urlOf(key);
    const status = e.$metadata?.httpStatusCode;
    if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchBucket')) {
      return new ObjectStoreError(`${target} does not exist`, true);
    }
    if ((e.code && UNREACHABLE.has(e.code)) || name === 'TimeoutError') {
      return new ObjectStoreError(`cannot reach ${this.endpoint()} to ${action} ${target}: ${e.message}`);
    }
    if (name === 'NoSuchBucket') {
      return new ObjectStoreError(`the bucket '${this.destination.bucket}' does not exist at ${this.endpoint()}: create it, or correct worker.snapshots.destination`);
    }
    if (name === 'CredentialsProviderError') {
      return new ObjectStoreError(
        `no AWS credentials to ${action} ${target}: set worker.snapshots.aws-access-key-id and aws-secret-access-key, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile (${e.message})`,
      );
    }
    if (REFUSED_CREDENTIALS.has(name) || status === 403) {
      return new ObjectStoreError(
        `${this.endpoint()} refused to ${action} ${target}: ${name}: ${e.message}; check worker.snapshots.aws-access-key-id and aws-secret-access-key (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)`,
      );
    }
    if (/region is missing/i.test(e.message)) {
      return new ObjectStoreError(`no region for ${this.url}: set worker.snapshots.aws-region (or AWS_REGION)`);
    }
    return new ObjectStoreError(`cannot ${action} ${target} at ${this.endpoint()}: ${name}: ${e.message}`);
  }

  private async attempt<T>(action: string, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw this.failure(action, key, err);
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.destination.bucket, Key: this.objectKey(key) }));
      return Buffer.from(await answer.Body!.transformToByteArray());
    } catch (err) {
      const failure = this.failure('read', key, err);
      if (failure.notFound) return undefined;
      throw failure;
    }
  }

  getStream(key: string): Promise<Readable> {
    return this.attempt('read', key, async () => {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.destination.bucket, Key: this.objectKey(key) }));
      return answer.Body as Readable;
    });
  }

  async put(key: string, body: string | Buffer): Promise<void> {
    await this.attempt('write', key, () => this.client.send(new PutObjectCommand({ Bucket: this.destination.bucket, Key: this.objectKey(key), Body: body })));
  }

  async putFile(key: string, file: string): Promise<void> {
    const target = { Bucket: this.destination.bucket, Key: this.objectKey(key) };
    const { size } = await stat(file);
    /** Sends `length` bytes of the file from `start` as a fresh stream on each attempt. */
    const sendRange = async <T>(start: number, length: number, send: (body: { Body: Readable; ContentLength: number }) => Promise<T>) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await send({ Body: createReadStream(file, { start, end: start + length - 1 }), ContentLength: length });
        } catch (err) {
          if (attempt >= ATTEMPTS) throw err;
          await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
        }
      }
    };
    if (size <= PART_BYTES) {
      await this.attempt('upload', key, () => sendRange(0, size, (body) => this.streamingClient.send(new PutObjectCommand({ ...target, ...body }))));
      return;
    }
    const partBytes = Math.max(PART_BYTES, Math.ceil(size / MAX_PARTS));
    const count = Math.ceil(size / partBytes);
    const { UploadId } = await this.attempt('upload', key, () => this.client.send(new CreateMultipartUploadCommand(target)));
    try {
      const etags: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(PARTS_IN_FLIGHT, count) }, async () => {
          for (let part = next++; part < count; part = next++) {
            const start = part * partBytes;
            const answer = await sendRange(start, Math.min(partBytes, size - start), (body) =>
              this.streamingClient.send(new UploadPartCommand({ ...target, UploadId, PartNumber: part + 1, ...body })),
            );
            etags[part] = answer.ETag!;
          }
        }),
      );
      await this.client.send(
        new CompleteMultipartUploadCommand({ ...target, UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
      );
    } catch (err) {
      // The parts uploaded so far are billed until aborted; an abort that fails too is left to the
      // bucket's lifecycle rules for incomplete uploads.
      await this.client.send(new AbortMultipartUploadCommand({ ...target, UploadId })).catch(() => undefined);
      throw this.failure('upload', key, err);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const strip = this.destination.prefix ? this.destination.prefix.length + 1 : 0;
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await this.attempt('list', prefix, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.destination.bucket, Prefix: this.objectKey(prefix), ContinuationToken: token })),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key.slice(strip));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const answer = await this.attempt('delete', batch[0]!, () =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.destination.bucket,
            Delete: { Objects: batch.map((key) => ({ Key: this.objectKey(key) })), Quiet: true },
          }),
        ),
      );
      const failed = answer.Errors?.[0];
      if (failed) throw new ObjectStoreError(`${this.endpoint()} refused to delete s3://${this.destination.bucket}/${failed.Key}: ${failed.Code}: ${failed.Message}`);
    }
  }

  close(): void {
    this.client.destroy();
    this.streamingClient.destroy();
  }
}
