// The object stores under the snapshot repository, against the real thing: a folder for file://, an
// S3-compatible endpoint (s3rver) for s3://. Both keep the same contract (whole and streamed reads,
// atomic small writes, multipart file uploads, listing, deletion), and an S3 failure names the
// object, the endpoint and the setting to look at.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotDestination } from '../../src/server/config';
import type { ObjectStore } from '../../src/server/worker/object-store';
import { FileObjectStore } from '../../src/server/worker/object-store-file';
import { S3ObjectStore } from '../../src/server/worker/object-store-s3';
import { BUCKET, TestS3 } from '../helpers/s3';

const scratch = mkdtempSync(path.join(tmpdir(), 'cairn-object-store-'));
let s3: TestS3;

const s3Destination = (overrides: Partial<Extract<SnapshotDestination, { kind: 's3' }>> = {}): Extract<SnapshotDestination, { kind: 's3' }> => ({
  kind: 's3',
  url: `s3://${BUCKET}/store-test`,
  bucket: BUCKET,
  prefix: 'store-test',
  region: 'us-east-1',
  endpoint: { url: s3.endpoint, source: 'worker.snapshots.aws-endpoint-url' },
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', sessionToken: undefined },
  profile: undefined,
  ...overrides,
});

beforeAll(async () => {
  s3 = await TestS3.start();
});
afterAll(async () => {
  await s3?.destroy();
  rmSync(scratch, { recursive: true, force: true });
});

const stores: Array<[string, () => ObjectStore]> = [
  ['file://', () => new FileObjectStore(pathToFileURL(path.join(scratch, 'repository')).href, path.join(scratch, 'repository'))],
  ['s3://', () => new S3ObjectStore(s3Destination())],
];

describe.each(stores)('the %s object store', (_scheme, open) => {
  it('reads, writes, streams, lists and deletes objects by key', async () => {
    const store = open();
    try {
      expect(await store.get('0/latest.json')).toBeUndefined();
      await store.put('0/latest.json', '{"v":1}');
      await store.put('0/latest.json', Buffer.from('{"v":2}'));
      expect((await store.get('0/latest.json'))!.toString()).toBe('{"v":2}');

      // Larger than two S3 parts (16 MiB each): a multipart upload, streamed back.
      const file = path.join(scratch, 'data.bin');
      const data = randomBytes(33 * 1024 * 1024 + 5);
      writeFileSync(file, data);
      await store.putFile('0/lsn_00000000000000000007-snap_x/partition.sqlite', file);
      const small = path.join(scratch, 'small.bin');
      writeFileSync(small, 'tiny');
      await store.putFile('0/lsn_00000000000000000007-snap_x/metadata.json', small);
      const back = await buffer(await store.getStream('0/lsn_00000000000000000007-snap_x/partition.sqlite'));
      expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));

      expect(await store.list('0/')).toEqual(['0/latest.json', '0/lsn_00000000000000000007-snap_x/metadata.json', '0/lsn_00000000000000000007-snap_x/partition.sqlite']);
      expect(await store.list('1/')).toEqual([]);
      await expect(store.getStream('0/missing')).rejects.toMatchObject({ notFound: true, message: expect.stringContaining(store.urlOf('0/missing')) });

      await store.delete(['0/lsn_00000000000000000007-snap_x/partition.sqlite', '0/lsn_00000000000000000007-snap_x/metadata.json', '0/never-was']);
      expect(await store.list('0/')).toEqual(['0/latest.json']);
      expect(store.urlOf('0/latest.json')).toBe(`${store.url}/0/latest.json`);
    } finally {
      store.close();
    }
  });
});

describe('the file:// object store', () => {
  it('leaves nothing visible of a write that failed, and no temporary files after one that worked', async () => {
    const root = path.join(scratch, 'atomic');
    const store = new FileObjectStore(pathToFileURL(root).href, root);
    await store.put('3/latest.json', 'first');
    await expect(store.putFile('3/lsn_00000000000000000001-snap_y/partition.sqlite', path.join(scratch, 'no-such-file'))).rejects.toThrow(
      `cannot write ${store.urlOf('3/lsn_00000000000000000001-snap_y/partition.sqlite')}`,
    );
    expect(await store.list('3/')).toEqual(['3/latest.json']);
    expect(readdirSync(path.join(root, '3'), { recursive: true }).sort()).toEqual(['latest.json', 'lsn_00000000000000000001-snap_y']);
    expect(readdirSync(path.join(root, '3', 'lsn_00000000000000000001-snap_y'))).toEqual([]);
  });
});

describe('the s3:// object store, when S3 says no', () => {
  it('names a missing bucket, refused credentials and an endpoint that does not answer', async () => {
    const noBucket = new S3ObjectStore(s3Destination({ bucket: 'no-such-bucket', url: 's3://no-such-bucket/p' }));
    await expect(noBucket.put('0/latest.json', '{}')).rejects.toThrow(
      `the bucket 'no-such-bucket' does not exist at the S3 endpoint ${s3.endpoint} (worker.snapshots.aws-endpoint-url): create it, or correct worker.snapshots.destination`,
    );
    noBucket.close();

    const wrongKey = new S3ObjectStore(s3Destination({ credentials: { accessKeyId: 'NOT-THIS', secretAccessKey: 'NOR-THIS', sessionToken: undefined } }));
    await expect(wrongKey.get('0/latest.json')).rejects.toThrow(
      new RegExp(`^the S3 endpoint ${s3.endpoint} \\(worker.snapshots.aws-endpoint-url\\) refused to read s3://${BUCKET}/store-test/0/latest.json: InvalidAccessKeyId: .*; check worker.snapshots.aws-access-key-id and aws-secret-access-key`),
    );
    wrongKey.close();

    const nobody = new S3ObjectStore(s3Destination({ endpoint: { url: 'http://127.0.0.1:9', source: 'worker.snapshots.aws-endpoint-url' } }));
    const file = path.join(scratch, 'unsent.bin');
    writeFileSync(file, randomBytes(1024));
    await expect(nobody.putFile('0/x/partition.sqlite', file)).rejects.toThrow(
      `cannot reach the S3 endpoint http://127.0.0.1:9 (worker.snapshots.aws-endpoint-url) to upload s3://${BUCKET}/store-test/0/x/partition.sqlite: connect ECONNREFUSED 127.0.0.1:9`,
    );
    nobody.close();
  });
});
