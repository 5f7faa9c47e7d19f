import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, envVarName, loadConfig } from '../../src/server/config';
import { parseSize } from '../../src/server/size';
import { generateCertificates } from '../helpers/tls';

/** This file's temporary folders (config files, certificates), removed when it ends. */
const dir = mkdtempSync(path.join(tmpdir(), 'cairn-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const file = (toml: string) => {
  const p = path.join(dir, `node-${++files}.toml`);
  writeFileSync(p, toml);
  return p;
};

const problems = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a configuration error');
};

describe('configuration', () => {
  it('layers --set over environment over file over defaults', () => {
    const config = file('node-name = "from-file"\ncluster-name = "c1"\n[networking]\nmessage-size-limit = "16MiB"\n');
    const loaded = loadConfig({
      file: config,
      env: { CAIRN_NODE_NAME: 'from-env', CAIRN_NETWORKING__MESSAGE_SIZE_LIMIT: '8MiB' },
      sets: ['networking.message-size-limit=4MiB'],
    });
    expect(loaded.nodeName).toBe('from-env');
    expect(loaded.clusterName).toBe('c1');
    expect(loaded.messageSizeLimit).toBe(4 * 1024 * 1024);
    expect(loaded.recordSizeLimit).toBe(4 * 1024 * 1024 - 64 * 1024);
    expect(loaded.replicationBatchRecords).toBe(64);
    expect(loaded.advertisedAddress).toBe('http://127.0.0.1:5122');
  });

  it('maps dotted kebab keys to environment names', () => {
    expect(envVarName('bifrost.replication.batch-bytes')).toBe('CAIRN_BIFROST__REPLICATION__BATCH_BYTES');
  });

  it('names the key, the value and the rule for a bad value', () => {
    const message = problems(() => loadConfig({ sets: ['bifrost.replication.batch-records=0'] }));
    expect(message).toContain('bifrost.replication.batch-records = "0" (from --set): must be >= 1');
    expect(problems(() => loadConfig({ sets: ['bifrost.replication.batch-records=-5'] }))).toContain('must be >= 1');
    expect(problems(() => loadConfig({ sets: ['networking.message-size-limit=lots'] }))).toContain(
      'networking.message-size-limit = "lots" (from --set): expected a size such as 32MiB',
    );
    expect(problems(() => loadConfig({ env: { CAIRN_ROLES: 'worker,cook' } }))).toMatch(/roles.*from env CAIRN_ROLES/);
  });

  it('names an unknown key and where it came from', () => {
    const config = file('[bifrost]\nrecord-limit = "1MiB"\n');
    const message = problems(() => loadConfig({ file: config }));
    expect(message).toContain(`unknown key 'bifrost.record-limit' (from file ${config})`);
  });

  it('refuses incompatible limits naming both keys', () => {
    const message = problems(() => loadConfig({ sets: ['networking.message-size-limit=1MiB', 'bifrost.record-size-limit=2MiB'] }));
    expect(message).toContain('bifrost.record-size-limit (2 MiB) must not exceed networking.message-size-limit (1 MiB)');
    const batch = problems(() => loadConfig({ sets: ['networking.message-size-limit=1MiB', 'bifrost.replication.batch-bytes=4MiB'] }));
    expect(batch).toContain('bifrost.replication.batch-bytes (4 MiB) must not exceed networking.message-size-limit (1 MiB)');
  });

  it('parses sizes with units', () => {
    expect(parseSize('32MiB')).toBe(32 * 1024 * 1024);
    expect(parseSize('512 KiB')).toBe(512 * 1024);
    expect(parseSize('1MB')).toBe(1_000_000);
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('12 parsecs')).toBeNaN();
  });
});

const destination = (sets: string[], env: NodeJS.ProcessEnv = {}) => loadConfig({ sets, env }).snapshotDestination;
const problemsOf = (sets: string[], env: NodeJS.ProcessEnv = {}) => problems(() => loadConfig({ sets, env }));

// The [worker.snapshots] settings: a file:// or s3:// destination, the S3 keys checked together,
// the standard AWS_* variables as fallbacks, each problem naming the key and what to do.
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
    expect(problemsOf(['worker.snapshots.destination=s3://b-1/p'], env)).toContain('AWS_ENDPOINT_URL = "http://127.0.0.1:9000" is plain HTTP: set worker.snapshots.aws-allow-http = true to allow it, or use https://');
    expect(destination(['worker.snapshots.destination=s3://b-1/p', 'worker.snapshots.aws-allow-http=true'], env)).toMatchObject({ endpoint: { url: 'http://127.0.0.1:9000', source: 'AWS_ENDPOINT_URL' } });
    expect(destination(['worker.snapshots.destination=s3://b-1/p'], { ...env, AWS_ENDPOINT_URL_S3: 'https://s3.internal' })).toMatchObject({ endpoint: { url: 'https://s3.internal', source: 'AWS_ENDPOINT_URL_S3' } });
  });

  it('refuses what cannot work, naming the key', () => {
    expect(problemsOf(['worker.snapshots.destination=s3://Bad_Bucket/p', 'worker.snapshots.aws-region=x'])).toContain(
      'worker.snapshots.destination = "s3://Bad_Bucket/p" (from --set): the bucket name must be 3 to 63 lower-case letters, digits, dots or hyphens',
    );
    expect(problemsOf(['worker.snapshots.destination=s3://bucket/p?region=x'])).toContain('expected file:///absolute/path or s3://bucket/prefix');
    expect(problemsOf(['worker.snapshots.destination=/var/snapshots'])).toContain('expected file:///absolute/path or s3://bucket/prefix');
    expect(problemsOf(['worker.snapshots.destination=s3://bucket/p'])).toContain('worker.snapshots.aws-region is required for the s3:// destination s3://bucket/p');
    expect(problemsOf(['worker.snapshots.destination=s3://bucket/p', 'worker.snapshots.aws-region=x', 'worker.snapshots.aws-secret-access-key=s'])).toContain(
      'worker.snapshots.aws-secret-access-key is set without worker.snapshots.aws-access-key-id',
    );
    expect(problemsOf(['worker.snapshots.destination=s3://bucket/p', 'worker.snapshots.aws-region=x', 'worker.snapshots.aws-allow-http=maybe'])).toContain(
      'worker.snapshots.aws-allow-http = "maybe" (from --set): expected true or false',
    );
    expect(problemsOf(['worker.snapshots.destination=file:///srv/snaps', 'worker.snapshots.aws-region=eu-west-1'])).toContain(
      'worker.snapshots.aws-region applies only to an s3:// destination, and worker.snapshots.destination is file:///srv/snaps; remove it',
    );
  });
});

describe('tls settings', () => {
  const certificates = generateCertificates(mkdtempSync(path.join(dir, 'tls-')), ['n1']);
  const nodeCert = certificates.nodeCert.replace('{node}', 'n1');
  const nodeKey = certificates.nodeKey.replace('{node}', 'n1');
  const load = (sets: string[]) => loadConfig({ sets: ['bind-address=127.0.0.1:7000', ...sets] });

  it('is off by default; with a certificate the node advertises https://, and with a CA it requires client certificates', () => {
    expect(load([])).toMatchObject({ tls: undefined, advertisedAddress: 'http://127.0.0.1:7000' });
    expect(load([`tls.cert-file=${nodeCert}`, `tls.key-file=${nodeKey}`])).toMatchObject({
      tls: { certFile: nodeCert, keyFile: nodeKey, caFile: undefined, clientAuth: false },
      advertisedAddress: 'https://127.0.0.1:7000',
      metadataClient: { addresses: ['https://127.0.0.1:7000'] },
    });
    const mutual = [`tls.cert-file=${nodeCert}`, `tls.key-file=${nodeKey}`, `tls.ca-file=${certificates.ca}`];
    expect(load(mutual).tls).toMatchObject({ caFile: certificates.ca, clientAuth: true });
    expect(load([...mutual, 'tls.client-auth=false']).tls).toMatchObject({ clientAuth: false });
  });

  it('refuses settings that cannot work, naming the key and the file', () => {
    expect(problems(() => load([`tls.key-file=${nodeKey}`]))).toContain('tls.key-file is set without tls.cert-file');
    expect(problems(() => load([`tls.ca-file=${certificates.ca}`]))).toContain('tls.ca-file is set without tls.cert-file and tls.key-file: a CA alone does not turn TLS on');
    expect(problems(() => load([`tls.cert-file=${nodeCert}`, `tls.key-file=${nodeKey}`, 'tls.client-auth=true']))).toContain('tls.client-auth = true needs tls.ca-file');
    expect(problems(() => load(['tls.cert-file=/no/such.crt', `tls.key-file=${nodeKey}`]))).toContain('tls.cert-file /no/such.crt: cannot read it (no such file)');
    expect(problems(() => load([`tls.cert-file=${nodeKey}`, `tls.key-file=${nodeKey}`]))).toContain(`tls.cert-file ${nodeKey}: not a PEM certificate`);
    expect(problems(() => load([`tls.cert-file=${nodeCert}`, `tls.key-file=${certificates.client.key}`]))).toContain(
      `tls.key-file ${certificates.client.key} is not the private key of the certificate in tls.cert-file ${nodeCert}`,
    );
    expect(problems(() => load([`tls.cert-file=${nodeCert}`, `tls.key-file=${nodeKey}`, 'advertised-address=http://10.0.0.1:7000']))).toContain(
      'advertised-address = "http://10.0.0.1:7000" is plain HTTP, but with tls.cert-file set the node\'s listener speaks only TLS; use https://10.0.0.1:7000',
    );
  });
});
