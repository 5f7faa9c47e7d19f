// The snapshot repository, over an object store (file:// or s3://, see object-store.ts), in the
// reference's layout: per partition a `latest.json` (the only object ever rewritten) and one folder
// per snapshot, `lsn_<20-digit LSN>-<snapshot id>/` with the data (`partition.sqlite`) and
// `metadata.json` (each file's size and SHA-256). A snapshot is published by writing its data, then
// its metadata, then `latest.json`: a crash or an outage part way never publishes a partial one.
// Snapshots beyond the number retained are deleted only after the new `latest.json` is written.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { SnapshotDestination } from '../config';
import type { ExportedSnapshotFile } from './partition-store';
import type { ObjectStore } from './object-store';
import { FileObjectStore } from './object-store-file';

export const RetainedSnapshot = z.object({
  snapshot_id: z.string(),
  min_applied_lsn: z.int().min(0),
  created_at: z.string(),
  path: z.string(),
});

export const LatestSnapshot = z.object({
  version: z.literal('V2'),
  partition_id: z.int().min(0),
  log_id: z.int().min(0),
  cluster_name: z.string(),
  cluster_fingerprint: z.string(),
  node_name: z.string(),
  created_at: z.string(),
  snapshot_id: z.string(),
  min_applied_lsn: z.int().min(0),
  path: z.string(),
  retained_snapshots: z.array(RetainedSnapshot),
});
export type LatestSnapshot = z.infer<typeof LatestSnapshot>;

export const SnapshotMetadata = z.object({
  version: z.literal('V1'),
  cluster_name: z.string(),
  cluster_fingerprint: z.string(),
  partition_id: z.int().min(0),
  node_name: z.string(),
  created_at: z.string(),
  snapshot_id: z.string(),
  key_range: z.object({ start: z.int(), end: z.int() }),
  log_id: z.int().min(0),
  min_applied_lsn: z.int().min(0),
  files: z.array(z.object({ name: z.string(), size: z.int(), sha256: z.string() })),
});
export type SnapshotMetadata = z.infer<typeof SnapshotMetadata>;

const DATA_FILE = 'partition.sqlite';
const METADATA_FILE = 'metadata.json';
const LATEST_FILE = 'latest.json';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `snap_` and a time-ordered base62 id (timestamp, then randomness), like the reference's. */
export function newSnapshotId(now = Date.now()): string {
  let time = '';
  for (let t = now; t > 0; t = Math.floor(t / 62)) time = BASE62[t % 62] + time;
  const random = [...randomBytes(12)].map((b) => BASE62[b % 62]).join('');
  return `snap_${time.padStart(8, '0')}${random}`;
}

export function snapshotDirName(lsn: number, id: string): string {
  return `lsn_${String(lsn).padStart(20, '0')}-${id}`;
}

/** The LSN a snapshot folder's name carries, or undefined for a name that is not one. */
function folderLsn(name: string): number | undefined {
  const match = /^lsn_(\d{20})-/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** The archived LSN: that of the oldest retained snapshot, which trimming must not pass. */
export function archivedLsnOf(latest: LatestSnapshot | undefined): number | null {
  if (!latest) return null;
  return Math.min(latest.min_applied_lsn, ...latest.retained_snapshots.map((s) => s.min_applied_lsn));
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export interface SnapshotIdentity {
  clusterName: string;
  clusterFingerprint: string;
  nodeName: string;
}

/** A snapshot's data, downloaded and checked, in the node's staging folder until `discard`. */
export interface LocalSnapshot {
  file: string;
  metadata: SnapshotMetadata;
  discard(): Promise<void>;
}

/**
 * The object store a destination names. The AWS SDK is a bundle of its own (dist/s3-store.cjs, which
 * the build substitutes for this require), loaded only for an s3:// destination, so that nodes
 * without one and the CLI never load it.
 */
function openObjectStore(destination: SnapshotDestination): ObjectStore {
  if (destination.kind === 'file') return new FileObjectStore(destination.url, destination.path);
  const { S3ObjectStore } = require('./object-store-s3') as typeof import('./object-store-s3');
  return new S3ObjectStore(destination);
}

export class SnapshotRepository {
  /**
   * `stagingDir` (on the node's disk) holds exports on their way up and downloads on their way in;
   * whatever a previous process left there is removed now.
   */
  static async open(destination: SnapshotDestination, stagingDir: string): Promise<SnapshotRepository> {
    await rm(stagingDir, { recursive: true, force: true });
    await mkdir(stagingDir, { recursive: true });
    return new SnapshotRepository(openObjectStore(destination), stagingDir);
  }

  constructor(
    private readonly store: ObjectStore,
    private readonly stagingDir: string,
  ) {}

  /** The repository's URL as configured (file:///..., s3://bucket/prefix). */
  get url(): string {
    return this.store.url;
  }

  close(): void {
    this.store.close();
  }

  /** The partition's `latest.json`, read now; undefined when it has no snapshot. */
  async latest(partitionId: number): Promise<LatestSnapshot | undefined> {
    const key = `${partitionId}/${LATEST_FILE}`;
    return this.parse(key, await this.store.get(key), LatestSnapshot);
  }

  private parse<T>(key: string, body: Buffer | undefined, schema: z.ZodType<T>): T | undefined {
    if (!body) return undefined;
    try {
      return schema.parse(JSON.parse(body.toString('utf8')));
    } catch (err) {
      const reason = err instanceof z.ZodError ? z.prettifyError(err).replace(/\n\s*/g, '; ') : (err as Error).message;
      throw new Error(`${this.store.urlOf(key)} is not a valid ${path.posix.basename(key)}: ${reason}`);
    }
  }

  /**
   * Publishes a new snapshot and deletes the ones no longer retained. `exportTo` writes the
   * partition's data into the local file it is given and says at which LSN, how large and with which
   * SHA-256. If anything fails before `latest.json` is written, what was uploaded is removed again
   * (best effort; the next publication sweeps what is left) and the previous snapshot stays valid.
   */
  async publish(
    partition: { id: number; log_id: number; key_range: { start: number; end: number } },
    identity: SnapshotIdentity,
    retained: number,
    exportTo: (file: string) => Promise<ExportedSnapshotFile>,
  ): Promise<LatestSnapshot> {
    const snapshotId = newSnapshotId();
    const local = path.join(this.stagingDir, snapshotId);
    const uploaded: string[] = [];
    let pointerWritten = false;
    try {
      await mkdir(local);
      const data = await exportTo(path.join(local, DATA_FILE));
      const folder = `${partition.id}/${snapshotDirName(data.lsn, snapshotId)}`;
      const createdAt = new Date().toISOString();
      const metadata: SnapshotMetadata = {
        version: 'V1',
        cluster_name: identity.clusterName,
        cluster_fingerprint: identity.clusterFingerprint,
        partition_id: partition.id,
        node_name: identity.nodeName,
        created_at: createdAt,
        snapshot_id: snapshotId,
        key_range: partition.key_range,
        log_id: partition.log_id,
        min_applied_lsn: data.lsn,
        files: [{ name: DATA_FILE, size: data.size, sha256: data.sha256 }],
      };
      uploaded.push(`${folder}/${DATA_FILE}`);
      await this.store.putFile(`${folder}/${DATA_FILE}`, path.join(local, DATA_FILE));
      uploaded.push(`${folder}/${METADATA_FILE}`);
      await this.store.put(`${folder}/${METADATA_FILE}`, json(metadata));

      const previous = await this.latest(partition.id);
      // A newer snapshot got there first (another leader, for a moment): it stays the latest.
      if (previous && previous.min_applied_lsn > data.lsn) {
        await this.store.delete(uploaded);
        return previous;
      }
      const kept = [
        { snapshot_id: snapshotId, min_applied_lsn: data.lsn, created_at: createdAt, path: path.posix.basename(folder) },
        ...(previous?.retained_snapshots ?? []),
      ]
        .sort((a, b) => b.min_applied_lsn - a.min_applied_lsn)
        .slice(0, retained);
      const latest: LatestSnapshot = {
        version: 'V2',
        partition_id: partition.id,
        log_id: partition.log_id,
        cluster_name: identity.clusterName,
        cluster_fingerprint: identity.clusterFingerprint,
        node_name: identity.nodeName,
        created_at: createdAt,
        snapshot_id: snapshotId,
        min_applied_lsn: data.lsn,
        path: path.posix.basename(folder),
        retained_snapshots: kept,
      };
      // From here on the snapshot may be published even if the answer is lost: keep its objects.
      pointerWritten = true;
      await this.store.put(`${partition.id}/${LATEST_FILE}`, json(latest));
      return latest;
    } catch (err) {
      if (!pointerWritten) await this.store.delete(uploaded).catch(() => undefined);
      throw err;
    } finally {
      await rm(local, { recursive: true, force: true });
    }
  }

  /**
   * Deletes the snapshot folders of a partition that `latest` does not retain and that are no newer
   * than its newest snapshot: those it dropped, and what failed publications left behind. (A newer
   * unreferenced folder may be another node's upload in progress.) Returns the folders deleted.
   */
  async prune(latest: LatestSnapshot): Promise<string[]> {
    const kept = new Set(latest.retained_snapshots.map((s) => s.path));
    const doomed = (await this.store.list(`${latest.partition_id}/`)).filter((key) => {
      const folder = key.split('/')[1]!;
      const lsn = folderLsn(folder);
      return lsn !== undefined && lsn <= latest.min_applied_lsn && !kept.has(folder);
    });
    await this.store.delete(doomed);
    return [...new Set(doomed.map((key) => key.split('/')[1]!))];
  }

  /**
   * Downloads a retained snapshot's data into the staging folder, checked on the way: it belongs to
   * this cluster, and its size and SHA-256 are the ones its metadata records.
   */
  async download(partitionId: number, snapshot: { path: string }, clusterFingerprint: string): Promise<LocalSnapshot> {
    const folder = `${partitionId}/${snapshot.path}`;
    const metadataKey = `${folder}/${METADATA_FILE}`;
    const metadata = this.parse(metadataKey, await this.store.get(metadataKey), SnapshotMetadata);
    if (!metadata) throw new Error(`latest.json points at ${this.store.urlOf(folder)}/, which has no ${METADATA_FILE}`);
    if (metadata.cluster_fingerprint !== clusterFingerprint) {
      throw new Error(
        `cluster fingerprint mismatch: the snapshot ${metadata.snapshot_id} belongs to cluster '${metadata.cluster_name}' (${metadata.cluster_fingerprint}), this is ${clusterFingerprint}. This often happens if this cluster is reusing a snapshot repository path from a different cluster`,
      );
    }
    const expected = metadata.files.find((f) => f.name === DATA_FILE);
    if (!expected) throw new Error(`${this.store.urlOf(metadataKey)} lists no ${DATA_FILE}`);
    const dataKey = `${folder}/${DATA_FILE}`;
    const dir = path.join(this.stagingDir, `${metadata.snapshot_id}-restore-${randomBytes(4).toString('hex')}`);
    const discard = () => rm(dir, { recursive: true, force: true });
    try {
      await mkdir(dir);
      const file = path.join(dir, DATA_FILE);
      const hash = createHash('sha256');
      let size = 0;
      const digest = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      });
      const source = await this.store.getStream(dataKey);
      await pipeline(source, digest, createWriteStream(file)).catch((err: Error) => {
        throw new Error(`cannot download ${this.store.urlOf(dataKey)}: ${err.message}`);
      });
      const sha256 = hash.digest('hex');
      if (size !== expected.size || sha256 !== expected.sha256) {
        throw new Error(
          `snapshot object ${this.store.urlOf(dataKey)} is damaged: it has ${size} bytes with SHA-256 ${sha256}, its ${METADATA_FILE} records ${expected.size} bytes with SHA-256 ${expected.sha256}`,
        );
      }
      return { file, metadata, discard };
    } catch (err) {
      await discard();
      throw err;
    }
  }
}
