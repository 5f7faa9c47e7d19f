// Node configuration: one zod schema with dotted kebab-case keys, layered as
// --set flag > CAIRN_ environment variable > TOML file > default.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { ROLES, type Role } from '../api/schemas';
import { parseReplication, type ReplicationProperty } from '../api/ids';
import { readCertificates, readKeyPair, type ServerTlsOptions, type TlsClientOptions } from '../api/tls';
import { formatSize, parseDuration, parseSize } from './size';

/** Bytes a Store message needs beyond its records: header, per-record framing. */
export const MESSAGE_ENVELOPE_BYTES = 64 * 1024;

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;
/**
 * Replication batches: 1 MiB and 64 records (ArcadeDB's count). Ratis uses 4MB; at 1 MiB a node
 * receiving catch-up from two senders holds at most 2 x inflight-batches MiB of it at a time.
 */
const DEFAULT_BATCH_BYTES = MIB;

const sizeField = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' || typeof value === 'number' ? parseSize(value) : value),
    z
      .number({ error: 'expected a size such as 32MiB, 512KiB or a number of bytes' })
      .int()
      .min(min, { error: `must be at least ${formatSize(min)}` })
      .max(max, { error: `must be at most ${formatSize(max)}` }),
  );

const countField = (min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value),
    z
      .number({ error: 'expected a whole number' })
      .int({ error: 'expected a whole number' })
      .min(min, { error: `must be >= ${min}` })
      .max(max, { error: `must be <= ${max}` }),
  );

const listField = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (value) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value),
    z.array(item),
  );

const hostPort = z
  .string()
  .regex(/^[^\s:/]+:\d{1,5}$/, { error: 'expected host:port such as 127.0.0.1:5122' })
  .refine((value) => Number(value.split(':')[1]) <= 65535, { error: 'port must be <= 65535' });

const httpUrl = z
  .string()
  .regex(/^https?:\/\/[^\s/]+(\/.*)?$/, { error: 'expected an http:// URL such as http://127.0.0.1:5122' });

const booleanField = z.preprocess(
  (value) => (typeof value === 'string' && /^(true|false)$/i.test(value.trim()) ? value.trim().toLowerCase() === 'true' : value),
  z.boolean({ error: 'expected true or false' }),
);

/** A snapshot repository: file:///absolute/path, or s3://bucket with an optional key prefix. */
const snapshotDestination = z
  .string()
  .refine((value) => /^file:\/\/\/./.test(value) || /^s3:\/\/[^/?#]+(\/[^?#]*)?$/.test(value), {
    error: 'expected file:///absolute/path or s3://bucket/prefix (other object stores are not supported)',
  })
  .refine((value) => !value.startsWith('s3://') || /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/|$)/.test(value), {
    error: 'the bucket name must be 3 to 63 lower-case letters, digits, dots or hyphens',
  });

const durationField = z.preprocess(
  (value) => (typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : value),
  z.number({ error: 'expected a duration such as 500ms, 10s or 10m' }).int().min(0, { error: 'must not be negative' }),
);

const replicationField = z.preprocess(
  (value) => {
    if (typeof value === 'number') return { node: value };
    if (typeof value === 'string') {
      try {
        return parseReplication(value);
      } catch {
        return value;
      }
    }
    return value;
  },
  z.object({ node: z.int().min(1), zone: z.int().min(1).optional(), region: z.int().min(1).optional() }, {
    error: 'expected a replication such as 2 or {node: 2}',
  }),
);

const RawConfig = z.strictObject({
  'cluster-name': z.string().min(1).default('localcluster'),
  'node-name': z.string().min(1).regex(/^[A-Za-z0-9._-]+$/, { error: 'use letters, digits, dot, dash or underscore' }).optional(),
  'force-node-id': countField(1, 2 ** 31).optional(),
  roles: listField(z.enum(ROLES)).optional(),
  'base-dir': z.string().min(1).default('./cairn-data'),
  'bind-address': hostPort.default('127.0.0.1:5122'),
  'advertised-address': httpUrl.optional(),
  location: z.string().default(''),
  'cluster-secret': z.string().min(1).optional(),
  'default-num-partitions': countField(1, 65535).default(4),
  'default-replication': replicationField.default({ node: 2 }),
  'default-partition-replication': z
    .union([z.literal('everywhere'), replicationField], { error: 'expected "everywhere", a number or {node: 2}' })
    .optional(),
  admin: z
    .strictObject({ token: z.string().min(1).optional(), 'log-trim-delay': durationField.default(600_000) })
    .default({ 'log-trim-delay': 600_000 }),
  worker: z
    .strictObject({
      snapshots: z
        .strictObject({
          destination: snapshotDestination.optional(),
          'num-retained': countField(1, 1000).default(1),
          'aws-region': z.string().min(1).optional(),
          'aws-endpoint-url': httpUrl.optional(),
          'aws-allow-http': booleanField.optional(),
          'aws-access-key-id': z.string().min(1).optional(),
          'aws-secret-access-key': z.string().min(1).optional(),
          'aws-session-token': z.string().min(1).optional(),
          'aws-profile': z.string().min(1).optional(),
        })
        .default({ 'num-retained': 1 }),
    })
    .default({ snapshots: { 'num-retained': 1 } }),
  tls: z
    .strictObject({
      'cert-file': z.string().min(1).optional(),
      'key-file': z.string().min(1).optional(),
      'ca-file': z.string().min(1).optional(),
      'client-auth': booleanField.optional(),
    })
    .default({}),
  ingress: z.strictObject({ 'bind-address': hostPort.default('127.0.0.1:8080') }).default({ 'bind-address': '127.0.0.1:8080' }),
  'metadata-client': z
    .strictObject({
      type: z.enum(['embedded', 'etcd'], { error: 'expected "embedded" or "etcd"' }).default('embedded'),
      addresses: listField(httpUrl).optional(),
      'key-prefix': z.string().regex(/^\/.*\/$/, { error: 'expected a key prefix that starts and ends with /, such as /cairn/prod/' }).optional(),
      timeout: durationField.default(3_000),
    })
    .default({ type: 'embedded', timeout: 3_000 }),
  networking: z
    .strictObject({ 'message-size-limit': sizeField(256 * KIB, GIB).default(32 * MIB) })
    .default({ 'message-size-limit': 32 * MIB }),
  bifrost: z
    .strictObject({
      'record-size-limit': sizeField(1, GIB).optional(),
      replication: z
        .strictObject({
          'batch-bytes': sizeField(1, GIB).optional(),
          'batch-records': countField(1, 1_000_000).default(64),
          'inflight-batches': countField(1, 1024).default(4),
          'sequencer-buffer-bytes': sizeField(1, 4 * GIB).default(16 * MIB),
        })
        .default({ 'batch-records': 64, 'inflight-batches': 4, 'sequencer-buffer-bytes': 16 * MIB }),
    })
    .default({ replication: { 'batch-records': 64, 'inflight-batches': 4, 'sequencer-buffer-bytes': 16 * MIB } }),
  log: z
    .strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info') })
    .default({ level: 'info' }),
});

export interface NodeConfig {
  clusterName: string;
  nodeName: string;
  /** The plain id a new node registers with instead of max id + 1. */
  forceNodeId: number | undefined;
  roles: Role[];
  baseDir: string;
  bindAddress: string;
  advertisedAddress: string;
  /** TLS on the node's listener (admin API and peer transport) and for its calls to peers; off when undefined. */
  tls: NodeTls | undefined;
  location: string;
  clusterSecret: string | undefined;
  adminToken: string | undefined;
  defaultNumPartitions: number;
  defaultReplication: ReplicationProperty;
  /** Partition replication at provisioning: everywhere, or a replication property (default: the log replication). */
  defaultPartitionReplication: 'everywhere' | ReplicationProperty | undefined;
  /** How long the archived LSN must hold before the controller trims a log to it. */
  logTrimDelayMs: number;
  /** The snapshot repository, if configured. */
  snapshotDestination: SnapshotDestination | undefined;
  snapshotsRetained: number;
  ingressBindAddress: string;
  metadataClient: MetadataClientConfig;
  messageSizeLimit: number;
  recordSizeLimit: number;
  replicationBatchBytes: number;
  replicationBatchRecords: number;
  replicationInflightBatches: number;
  /** Per sequencer: records kept in memory for peers (uncommitted ones wait for room). */
  sequencerBufferBytes: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
}

/** The node's TLS settings (file paths, absolute; the files were readable and valid at start-up). */
export interface NodeTls {
  certFile: string;
  keyFile: string;
  /** The cluster's CA: peers' certificates are checked against it (else against the system's roots). */
  caFile: string | undefined;
  /** Mutual TLS: every client must present a certificate signed by caFile. */
  clientAuth: boolean;
}

/**
 * Where snapshots go: a folder, or a bucket and key prefix of an S3-compatible store. `url` is the
 * destination as operators see it (never with credentials). Unset S3 settings are left to the AWS
 * SDK's own sources (AWS_* environment variables, profiles, instance roles).
 */
export type SnapshotDestination =
  | { kind: 'file'; url: string; path: string }
  | {
      kind: 's3';
      url: string;
      bucket: string;
      /** The key prefix, without a trailing slash ('' for the bucket's root). */
      prefix: string;
      region: string | undefined;
      /** An explicit endpoint (MinIO, other S3-compatible stores), and which setting gave it. */
      endpoint: { url: string; source: string } | undefined;
      credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string | undefined } | undefined;
      profile: string | undefined;
    };

export interface MetadataClientConfig {
  type: 'embedded' | 'etcd';
  /** embedded: the metadata-server node's address (this node if it has the role); etcd: the members' client URLs. */
  addresses: string[];
  /** etcd only: every key lives under it. */
  keyPrefix: string;
  /** Bounds connecting to the store and each request to it. */
  timeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  sets?: string[];
}

type Flat = Map<string, { value: unknown; source: string }>;

/** Every dotted key the schema knows, for env-var lookup and error messages. */
export function knownKeys(): string[] {
  const keys: string[] = [];
  const walk = (shape: Record<string, z.ZodType>, prefix: string) => {
    for (const [key, schema] of Object.entries(shape)) {
      const inner = unwrap(schema);
      if (inner instanceof z.ZodObject) walk(inner.shape as Record<string, z.ZodType>, `${prefix}${key}.`);
      else keys.push(`${prefix}${key}`);
    }
  };
  walk(RawConfig.shape as Record<string, z.ZodType>, '');
  return keys;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  while (current instanceof z.ZodDefault || current instanceof z.ZodOptional) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

export function envVarName(key: string): string {
  return `CAIRN_${key.toUpperCase().replace(/\./g, '__').replace(/-/g, '_')}`;
}

function flatten(doc: Record<string, unknown>, source: string, into: Flat, prefix = ''): void {
  for (const [key, value] of Object.entries(doc)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      flatten(value as Record<string, unknown>, source, into, `${prefix}${key}.`);
    } else {
      into.set(`${prefix}${key}`, { value, source });
    }
  }
}

function unflatten(flat: Flat): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, { value }] of flat) {
    const parts = key.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (next === undefined || next === null || typeof next !== 'object') node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]!] = value;
  }
  return root;
}

/** Parses `KEY=VALUE` (the value may itself contain `=`). */
export function parseSet(text: string): { key: string; value: string } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ConfigError([`--set '${text}': expected KEY=VALUE such as networking.message-size-limit=32MiB`]);
  return { key: text.slice(0, eq).trim(), value: text.slice(eq + 1).trim() };
}

/** The configuration with its secrets replaced (for --dump-config and `cairnctl config get --node`). */
export function redactedConfig(config: NodeConfig): NodeConfig {
  const hidden = '(redacted)';
  const destination = config.snapshotDestination;
  return {
    ...config,
    adminToken: config.adminToken && hidden,
    clusterSecret: config.clusterSecret && hidden,
    snapshotDestination:
      destination?.kind === 's3' && destination.credentials
        ? { ...destination, credentials: { ...destination.credentials, secretAccessKey: hidden, sessionToken: destination.credentials.sessionToken && hidden } }
        : destination,
  };
}

export function loadConfig(sources: ConfigSources): NodeConfig {
  const flat: Flat = new Map();
  if (sources.file) {
    let text: string;
    try {
      text = readFileSync(sources.file, 'utf8');
    } catch (err) {
      throw new ConfigError([`cannot read config file ${sources.file}: ${(err as Error).message}`]);
    }
    let doc: Record<string, unknown>;
    try {
      doc = parseToml(text) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError([`config file ${sources.file} is not valid TOML: ${(err as Error).message.split('\n')[0]}`]);
    }
    flatten(doc, `file ${sources.file}`, flat);
  }
  const env = sources.env ?? {};
  for (const key of knownKeys()) {
    const value = env[envVarName(key)];
    if (value !== undefined && value !== '') flat.set(key, { value, source: `env ${envVarName(key)}` });
  }
  for (const set of sources.sets ?? []) {
    const { key, value } = parseSet(set);
    flat.set(key, { value, source: '--set' });
  }

  const result = RawConfig.safeParse(unflatten(flat));
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.flatMap((issue) => {
        if (issue.code === 'unrecognized_keys') {
          return issue.keys.map((key) => {
            const dotted = [...issue.path.map(String), key].join('.');
            const origin = flat.get(dotted)?.source ?? [...flat.entries()].find(([k]) => k.startsWith(`${dotted}.`))?.[1].source;
            return `unknown key '${dotted}'${origin ? ` (from ${origin})` : ''}; known keys: ${knownKeys().join(', ')}`;
          });
        }
        const parts = issue.path.map(String);
        const dotted = parts.join('.');
        // For a list item (roles.1) the value and its source belong to the list (roles).
        let origin: { value: unknown; source: string } | undefined;
        for (let n = parts.length; n > 0 && !origin; n--) origin = flat.get(parts.slice(0, n).join('.'));
        const shown = origin ? ` = ${JSON.stringify(origin.value)} (from ${origin.source})` : '';
        return [`${dotted}${shown}: ${issue.message}`];
      }),
    );
  }
  return resolve(result.data, env);
}

const S3_ONLY_KEYS = ['aws-region', 'aws-endpoint-url', 'aws-allow-http', 'aws-access-key-id', 'aws-secret-access-key', 'aws-session-token', 'aws-profile'] as const;

/** The snapshot destination and its S3 settings, checked together; problems are added to `problems`. */
function resolveSnapshotDestination(
  snapshots: z.infer<typeof RawConfig>['worker']['snapshots'],
  env: NodeJS.ProcessEnv,
  problems: string[],
): SnapshotDestination | undefined {
  const { destination } = snapshots;
  const key = (name: string) => `worker.snapshots.${name}`;
  if (!destination || destination.startsWith('file://')) {
    const stray = S3_ONLY_KEYS.filter((name) => snapshots[name] !== undefined);
    if (stray.length) {
      problems.push(
        `${stray.map(key).join(', ')} ${stray.length === 1 ? 'applies' : 'apply'} only to an s3:// destination, and worker.snapshots.destination is ${destination ?? 'not set'}; remove ${stray.length === 1 ? 'it' : 'them'} or set an s3://bucket/prefix destination`,
      );
    }
    return destination ? { kind: 'file', url: destination, path: fileURLToPath(destination) } : undefined;
  }
  const [, bucket, rawPrefix = ''] = /^s3:\/\/([^/]+)\/?(.*)$/.exec(destination)!;
  const prefix = rawPrefix.replace(/\/+$/, '');
  const endpointUrl = snapshots['aws-endpoint-url'] ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const endpointSource = snapshots['aws-endpoint-url'] ? key('aws-endpoint-url') : env.AWS_ENDPOINT_URL_S3 ? 'AWS_ENDPOINT_URL_S3' : 'AWS_ENDPOINT_URL';
  if (endpointUrl && !/^https?:\/\/[^\s/]+/.test(endpointUrl)) {
    problems.push(`${endpointSource} = ${JSON.stringify(endpointUrl)}: expected an http(s):// URL such as https://minio.example:9000`);
  }
  if (endpointUrl?.startsWith('http://') && snapshots['aws-allow-http'] !== true) {
    problems.push(`${endpointSource} = ${JSON.stringify(endpointUrl)} is plain HTTP: set ${key('aws-allow-http')} = true to allow it, or use https://`);
  }
  const id = snapshots['aws-access-key-id'];
  const secret = snapshots['aws-secret-access-key'];
  if ((id === undefined) !== (secret === undefined)) {
    problems.push(`${key(id === undefined ? 'aws-secret-access-key' : 'aws-access-key-id')} is set without ${key(id === undefined ? 'aws-access-key-id' : 'aws-secret-access-key')}: set both, or neither to use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile`);
  }
  if (snapshots['aws-session-token'] !== undefined && id === undefined) {
    problems.push(`${key('aws-session-token')} needs ${key('aws-access-key-id')} and ${key('aws-secret-access-key')}`);
  }
  const region = snapshots['aws-region'] ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region && !snapshots['aws-profile'] && !env.AWS_PROFILE) {
    problems.push(`${key('aws-region')} is required for the s3:// destination ${destination} (or AWS_REGION, or a profile that sets one); S3-compatible stores such as MinIO accept any name, e.g. us-east-1`);
  }
  return {
    kind: 's3',
    url: `s3://${bucket}${prefix ? `/${prefix}` : ''}`,
    bucket: bucket!,
    prefix,
    region,
    endpoint: endpointUrl ? { url: endpointUrl.replace(/\/+$/, ''), source: endpointSource } : undefined,
    credentials: id && secret ? { accessKeyId: id, secretAccessKey: secret, sessionToken: snapshots['aws-session-token'] } : undefined,
    profile: snapshots['aws-profile'],
  };
}

/** The tls section, checked as a whole (both halves of the key pair, a CA only with them, readable
 *  files); problems are added to `problems`. */
function resolveTls(tls: z.infer<typeof RawConfig>['tls'], problems: string[]): NodeTls | undefined {
  const { 'cert-file': certFile, 'key-file': keyFile, 'ca-file': caFile, 'client-auth': clientAuth } = tls;
  if (!certFile || !keyFile) {
    if (certFile || keyFile) {
      const [given, missing] = certFile ? ['tls.cert-file', 'tls.key-file'] : ['tls.key-file', 'tls.cert-file'];
      problems.push(`${given} is set without ${missing}: TLS needs the node's certificate and its private key; set both, or neither to serve plain HTTP`);
    } else if (caFile) {
      problems.push(
        'tls.ca-file is set without tls.cert-file and tls.key-file: a CA alone does not turn TLS on, since the listener needs a certificate of its own; set them too, or remove tls.ca-file',
      );
    }
    if (clientAuth && !caFile) problems.push('tls.client-auth = true needs tls.cert-file, tls.key-file and tls.ca-file (the CA client certificates must be signed by)');
    return undefined;
  }
  if (clientAuth && !caFile) problems.push('tls.client-auth = true needs tls.ca-file: the CA that client certificates must be signed by');
  const resolved = { certFile: path.resolve(certFile), keyFile: path.resolve(keyFile), caFile: caFile && path.resolve(caFile), clientAuth: clientAuth ?? !!caFile };
  try {
    loadNodeTls(resolved);
  } catch (err) {
    problems.push((err as Error).message);
  }
  return resolved;
}

/**
 * The node's TLS files, read: what its listener serves, and what it presents (its own certificate,
 * as a client certificate) and trusts when it calls its peers.
 */
export function loadNodeTls(tls: NodeTls): { server: ServerTlsOptions; client: TlsClientOptions } {
  const pair = readKeyPair({ cert: 'tls.cert-file', key: 'tls.key-file' }, { cert: tls.certFile, key: tls.keyFile });
  const ca = tls.caFile ? readCertificates('tls.ca-file', tls.caFile).pem : undefined;
  return { server: { ...pair, ca, clientAuth: tls.clientAuth }, client: { ...pair, ca, rejectUnauthorized: true } };
}

function resolve(raw: z.infer<typeof RawConfig>, env: NodeJS.ProcessEnv): NodeConfig {
  const messageSizeLimit = raw.networking['message-size-limit'];
  const maxRecord = messageSizeLimit - MESSAGE_ENVELOPE_BYTES;
  const recordSizeLimit = raw.bifrost['record-size-limit'] ?? maxRecord;
  const problems: string[] = [];
  if (recordSizeLimit > maxRecord) {
    problems.push(
      `bifrost.record-size-limit (${formatSize(recordSizeLimit)}) must not exceed networking.message-size-limit ` +
        `(${formatSize(messageSizeLimit)}) minus ${formatSize(MESSAGE_ENVELOPE_BYTES)} of framing = ${formatSize(maxRecord)}; ` +
        'lower bifrost.record-size-limit or raise networking.message-size-limit',
    );
  }
  const batchBytes = raw.bifrost.replication['batch-bytes'] ?? Math.min(DEFAULT_BATCH_BYTES, maxRecord);
  if (batchBytes > maxRecord) {
    problems.push(
      `bifrost.replication.batch-bytes (${formatSize(batchBytes)}) must not exceed networking.message-size-limit ` +
        `(${formatSize(messageSizeLimit)}) minus ${formatSize(MESSAGE_ENVELOPE_BYTES)} of framing = ${formatSize(maxRecord)}; ` +
        'lower bifrost.replication.batch-bytes or raise networking.message-size-limit',
    );
  }
  const metadata = raw['metadata-client'];
  // With etcd the store is etcd's: no node serves the embedded one.
  const roles = raw.roles ?? ROLES.filter((role) => metadata.type !== 'etcd' || role !== 'metadata-server');
  if (roles.length === 0) problems.push('roles: at least one role is required');
  if (metadata.type === 'etcd' && roles.includes('metadata-server')) {
    problems.push(
      'roles includes metadata-server, which serves the embedded metadata store, but metadata-client.type is "etcd"; remove the role (etcd is the store) or use metadata-client.type = "embedded"',
    );
  }
  if (metadata.type === 'etcd' && !metadata.addresses?.length) {
    problems.push('metadata-client.addresses is required with metadata-client.type = "etcd": the etcd members\' client URLs, such as http://10.0.0.1:2379,http://10.0.0.2:2379');
  }
  const snapshotDestination = resolveSnapshotDestination(raw.worker.snapshots, env, problems);
  const tls = resolveTls(raw.tls, problems);
  const bindAddress = raw['bind-address'];
  // With TLS the listener speaks nothing else: peers and clients must use https://.
  const scheme = tls ? 'https' : 'http';
  const advertisedAddress = (raw['advertised-address'] ?? `${scheme}://${bindAddress}`).replace(/\/+$/, '');
  if (tls && !advertisedAddress.startsWith('https://')) {
    problems.push(
      `advertised-address = ${JSON.stringify(advertisedAddress)} is plain HTTP, but with tls.cert-file set the node's listener speaks only TLS; use https://${advertisedAddress.replace(/^http:\/\//, '')} (or leave advertised-address out)`,
    );
  }
  if (problems.length) throw new ConfigError(problems);

  return {
    clusterName: raw['cluster-name'],
    nodeName: raw['node-name'] ?? hostname(),
    forceNodeId: raw['force-node-id'],
    roles: [...new Set(roles)].sort(),
    baseDir: path.resolve(raw['base-dir']),
    bindAddress,
    advertisedAddress,
    tls,
    location: raw.location,
    clusterSecret: raw['cluster-secret'],
    adminToken: raw.admin.token,
    defaultNumPartitions: raw['default-num-partitions'],
    defaultReplication: raw['default-replication'],
    defaultPartitionReplication: raw['default-partition-replication'],
    logTrimDelayMs: raw.admin['log-trim-delay'],
    snapshotDestination,
    snapshotsRetained: raw.worker.snapshots['num-retained'],
    ingressBindAddress: raw.ingress['bind-address'],
    metadataClient: {
      type: metadata.type,
      addresses: (metadata.addresses ?? [advertisedAddress]).map((a) => a.replace(/\/+$/, '')),
      keyPrefix: metadata['key-prefix'] ?? `/cairn/${raw['cluster-name']}/`,
      timeoutMs: metadata.timeout,
    },
    messageSizeLimit,
    recordSizeLimit,
    replicationBatchBytes: batchBytes,
    replicationBatchRecords: raw.bifrost.replication['batch-records'],
    replicationInflightBatches: raw.bifrost.replication['inflight-batches'],
    sequencerBufferBytes: raw.bifrost.replication['sequencer-buffer-bytes'],
    logLevel: raw.log.level,
  };
}
