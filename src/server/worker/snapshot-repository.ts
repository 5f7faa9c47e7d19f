// The snapshot repository, on a file:// destination: per partition a `latest.json` (the only file
// that is ever rewritten, by rename) and one folder per snapshot,
// `lsn_<20-digit LSN>-<snapshot id>/` with `metadata.json` and the data (`partition.sqlite`), each
// folder written under a temporary name and renamed into place, so that a reader never sees a
// half-written snapshot. Snapshots beyond `retained` are pruned.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

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

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function writeAtomically(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

export interface SnapshotIdentity {
  clusterName: string;
  clusterFingerprint: string;
  nodeName: string;
}

export class SnapshotRepository {
  constructor(readonly root: string) {}

  private partitionDir(partitionId: number): string {
    return path.join(this.root, String(partitionId));
  }

  latest(partitionId: number): LatestSnapshot | undefined {
    const file = path.join(this.partitionDir(partitionId), 'latest.json');
    if (!existsSync(file)) return undefined;
    return LatestSnapshot.parse(JSON.parse(readFileSync(file, 'utf8')));
  }

  /** The archived LSN: that of the oldest retained snapshot, which trimming must not pass. */
  archivedLsn(partitionId: number): number | undefined {
    const latest = this.latest(partitionId);
    return latest ? Math.min(...latest.retained_snapshots.map((s) => s.min_applied_lsn)) : undefined;
  }

  /**
   * Publishes a new snapshot and prunes old ones. `exportTo` writes the partition's data into the
   * file it is given (inside a hidden staging folder of the repository, so nothing is copied twice)
   * and returns the LSN it is at; a failed export leaves nothing behind.
   */
  publish(
    partition: { id: number; log_id: number; key_range: { start: number; end: number } },
    identity: SnapshotIdentity,
    retained: number,
    exportTo: (file: string) => number,
  ): LatestSnapshot {
    const dir = this.partitionDir(partition.id);
    mkdirSync(dir, { recursive: true });
    const snapshotId = newSnapshotId();
    const staging = path.join(dir, `.staging-${snapshotId}`);
    mkdirSync(staging);
    let lsn: number;
    try {
      lsn = exportTo(path.join(staging, DATA_FILE));
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
    const name = snapshotDirName(lsn, snapshotId);
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
      min_applied_lsn: lsn,
      files: [{ name: DATA_FILE, size: statSync(path.join(staging, DATA_FILE)).size, sha256: sha256(path.join(staging, DATA_FILE)) }],
    };
    writeFileSync(path.join(staging, 'metadata.json'), `${JSON.stringify(metadata, null, 2)}\n`);
    renameSync(staging, path.join(dir, name));

    const previous = this.latest(partition.id)?.retained_snapshots ?? [];
    const kept = [{ snapshot_id: snapshotId, min_applied_lsn: lsn, created_at: createdAt, path: name }, ...previous]
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
      min_applied_lsn: lsn,
      path: name,
      retained_snapshots: kept,
    };
    writeAtomically(path.join(dir, 'latest.json'), `${JSON.stringify(latest, null, 2)}\n`);
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith('lsn_') && !kept.some((k) => k.path === entry)) rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
    return latest;
  }

  /**
   * The data file of a retained snapshot, checked: it belongs to this cluster and its bytes are the
   * ones the metadata describes.
   */
  open(partitionId: number, snapshot: { path: string }, clusterFingerprint: string): { file: string; metadata: SnapshotMetadata } {
    const dir = path.join(this.partitionDir(partitionId), snapshot.path);
    const metadata = SnapshotMetadata.parse(JSON.parse(readFileSync(path.join(dir, 'metadata.json'), 'utf8')));
    if (metadata.cluster_fingerprint !== clusterFingerprint) {
      throw new Error(
        `cluster fingerprint mismatch: the snapshot ${metadata.snapshot_id} belongs to cluster '${metadata.cluster_name}' (${metadata.cluster_fingerprint}), this is ${clusterFingerprint}. This often happens if this cluster is reusing a snapshot repository path from a different cluster`,
      );
    }
    const file = path.join(dir, DATA_FILE);
    const expected = metadata.files.find((f) => f.name === DATA_FILE);
    if (!expected || sha256(file) !== expected.sha256) throw new Error(`snapshot ${metadata.snapshot_id} is damaged: ${DATA_FILE} does not match its checksum`);
    return { file, metadata };
  }
}
