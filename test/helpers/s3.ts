// A real S3-compatible endpoint for tests: s3rver on a free 127.0.0.1 port with its objects in a
// temporary folder, one bucket, stopped (and restartable on the same port) by the test. Also the
// node settings that point a snapshot repository at it, and a client to look at what is stored.
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

export const BUCKET = 'cairn-snaps';
/** s3rver's one known key pair. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export class TestS3 {
  private server: S3rver | undefined;
  private http: Server | undefined;
  private port = 0;
  private trap: ((request: IncomingMessage) => boolean) | undefined;
  /** A client of the endpoint, for looking at what is stored. */
  client!: S3Client;

  private constructor(private readonly dir: string) {}

  static async start(): Promise<TestS3> {
    const s3 = new TestS3(mkdtempSync(path.join(tmpdir(), 'cairn-s3rver-')));
    await s3.resume();
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    s3.client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: CREDENTIALS,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return s3;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `--set` values for a node whose repository is `s3://cairn-snaps/<prefix>` on this endpoint. */
  settings(prefix: string): string[] {
    return [
      `worker.snapshots.destination=s3://${BUCKET}/${prefix}`,
      `worker.snapshots.aws-endpoint-url=${this.endpoint}`,
      'worker.snapshots.aws-allow-http=true',
      'worker.snapshots.aws-region=us-east-1',
      `worker.snapshots.aws-access-key-id=${CREDENTIALS.accessKeyId}`,
      `worker.snapshots.aws-secret-access-key=${CREDENTIALS.secretAccessKey}`,
    ];
  }

  /** Starts (again) with the same objects, on the same port once it has one. */
  async resume(): Promise<void> {
    this.server = new S3rver({ address: '127.0.0.1', port: this.port, silent: true, directory: this.dir, configureBuckets: [{ name: BUCKET }] });
    const address = await this.server.run();
    this.port = address.port;
    const http = (this.server as unknown as { httpServer: Server }).httpServer;
    const [serve] = http.listeners('request') as Array<(request: IncomingMessage, response: ServerResponse) => void>;
    http.removeAllListeners('request');
    http.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (this.trap?.(request)) {
        this.trap = undefined;
        request.socket.destroy();
        void this.stop();
        return;
      }
      serve!(request, response);
    });
    this.http = http;
  }

  /** An outage: the endpoint stops answering, open connections included. */
  async stop(): Promise<void> {
    if (!this.http) return;
    const closed = new Promise((resolve) => this.http!.close(resolve));
    this.http.closeAllConnections();
    await closed;
    this.http = undefined;
    this.server = undefined;
  }

  /**
   * An outage at a chosen moment: the first request `matches` accepts brings the endpoint down
   * before s3rver sees it, that request's connection included (say, the second part of a multipart
   * upload, or the write of latest.json).
   */
  failOn(matches: (request: IncomingMessage) => boolean): void {
    this.trap = matches;
  }

  async destroy(): Promise<void> {
    await this.stop();
    this.client?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Every key under a prefix of the bucket. */
  async keys(prefix: string): Promise<string[]> {
    const answer = await this.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    return (answer.Contents ?? []).map((o) => o.Key!).sort();
  }

  async get(key: string): Promise<Buffer> {
    const answer = await this.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return Buffer.from(await answer.Body!.transformToByteArray());
  }

  async put(key: string, body: string | Buffer): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  }

  async deleteAll(prefix: string): Promise<void> {
    const keys = await this.keys(prefix);
    if (keys.length) await this.client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
  }
}
