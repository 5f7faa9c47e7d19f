// The [worker.snapshots] settings: a file:// or s3:// destination, the S3 keys checked together,
// the standard AWS_* variables as fallbacks, each problem naming the key and what to do.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/server/config';

const destination = (sets: string[], env: NodeJS.ProcessEnv = {}) => loadConfig({ sets, env }).snapshotDestination;
const problems = (sets: string[], env: NodeJS.ProcessEnv = {}): string => {
  try {
    loadConfig({ sets, env });
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a configuration error');
};

describe('worker.snapshots settings', () => {
  it('reads an s3:// destination into bucket and prefix, with the settings that go with it', () => {
    expect(
      destination([
        'worker.snapshots.destination=s3://cairn-snaps/prod/c1/',
        'worker.snapshots.aws-region=eu-central-1',
        'worker.snapshots.aws-endpoint-url=https://minio.example:9000/',
        'worker.snapshots.aws-access-key-id=minio',
        'worker.snapshots.aws-secret-access-key=minio-secret',
      ]),
    ).toEqual({
      kind: 's3',
      url: 's3://cairn-snaps/prod/c1',
      bucket: 'cairn-snaps',
      prefix: 'prod/c1',
      region: 'eu-central-1',
      endpoint: { url: 'https://minio.example:9000', source: 'worker.snapshots.aws-endpoint-url' },
      credentials: { accessKeyId: 'minio', secretAccessKey: 'minio-secret', sessionToken: undefined },
      profile: undefined,
    });
    expect(destination(['worker.snapshots.destination=s3://cairn-snaps'], { AWS_REGION: 'us-west-2' })).toMatchObject({ prefix: '', url: 's3://cairn-snaps', region: 'us-west-2', credentials: undefined });
    expect(destination(['worker.snapshots.destination=file:///var/lib/cairn/snapshots'])).toEqual({ kind: 'file', url: 'file:///var/lib/cairn/snapshots', path: '/var/lib/cairn/snapshots' });
    expect(destination([])).toBeUndefined();
  });

  it('takes the endpoint from AWS_ENDPOINT_URL(_S3) and says which one is plain HTTP', () => {
    const env = { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' };
    expect(problems(['worker.snapshots.destination=s3://b-1/p'], env)).toContain('AWS_ENDPOINT_URL = "http://127.0.0.1:9000" is plain HTTP: set worker.snapshots.aws-allow-http = true to allow it, or use https://');
    expect(destination(['worker.snapshots.destination=s3://b-1/p', 'worker.snapshots.aws-allow-http=true'], env)).toMatchObject({ endpoint: { url: 'http://127.0.0.1:9000', source: 'AWS_ENDPOINT_URL' } });
    expect(destination(['worker.snapshots.destination=s3://b-1/p'], { ...env, AWS_ENDPOINT_URL_S3: 'https://s3.internal' })).toMatchObject({ endpoint: { url: 'https://s3.internal', source: 'AWS_ENDPOINT_URL_S3' } });
  });

  it('refuses what cannot work, naming the key', () => {
    expect(problems(['worker.snapshots.destination=s3://Bad_Bucket/p', 'worker.snapshots.aws-region=x'])).toContain(
      'worker.snapshots.destination = "s3://Bad_Bucket/p" (from --set): the bucket name must be 3 to 63 lower-case letters, digits, dots or hyphens',
    );
    expect(problems(['worker.snapshots.destination=s3://bucket/p?region=x'])).toContain('expected file:///absolute/path or s3://bucket/prefix');
    expect(problems(['worker.snapshots.destination=/var/snapshots'])).toContain('expected file:///absolute/path or s3://bucket/prefix');
    expect(problems(['worker.snapshots.destination=s3://bucket/p'])).toContain('worker.snapshots.aws-region is required for the s3:// destination s3://bucket/p');
    expect(problems(['worker.snapshots.destination=s3://bucket/p', 'worker.snapshots.aws-region=x', 'worker.snapshots.aws-secret-access-key=s'])).toContain(
      'worker.snapshots.aws-secret-access-key is set without worker.snapshots.aws-access-key-id',
    );
    expect(problems(['worker.snapshots.destination=s3://bucket/p', 'worker.snapshots.aws-region=x', 'worker.snapshots.aws-allow-http=maybe'])).toContain(
      'worker.snapshots.aws-allow-http = "maybe" (from --set): expected true or false',
    );
    expect(problems(['worker.snapshots.destination=file:///srv/snaps', 'worker.snapshots.aws-region=eu-west-1'])).toContain(
      'worker.snapshots.aws-region applies only to an s3:// destination, and worker.snapshots.destination is file:///srv/snaps; remove it',
    );
  });
});
