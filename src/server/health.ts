// What is wrong with this node's storage right now, as its stores find out: a log store or a
// partition store whose writes fail (a full disk, most often). The node reports it in its ident, so
// that `status`, `partitions list` and the cluster controller see it, not only the node's log.
import { statfsSync } from 'node:fs';
import type { NodeProblem } from '../api/schemas';

/** Less free space than this on base-dir's disk, and a failed write or start is put down to a full disk. */
export const FULL_DISK_BYTES = 1024 * 1024;

/** The bytes free on the disk of `dir` (for this user), or undefined if that cannot be told. */
export function freeDiskBytes(dir: string): number | undefined {
  try {
    const disk = statfsSync(dir);
    return disk.bavail * disk.bsize;
  } catch {
    return undefined;
  }
}

export type StorageComponent = NodeProblem['component'];

export class StorageHealth {
  private readonly problems = new Map<StorageComponent, NodeProblem>();

  /** `baseDir`: where the stores live, so that a failure on a full disk says so. */
  constructor(
    private readonly onChange: (problem: NodeProblem, resolved: boolean) => void,
    private readonly baseDir?: string,
  ) {}

  /**
   * A write of `component` failed; the first failure of an episode sets its start. On a full disk
   * SQLite may say only "disk I/O error" (its shared-memory index could not grow), so the message
   * then names the cause.
   */
  failed(component: StorageComponent, err: Error): void {
    const current = this.problems.get(component);
    const free = this.baseDir === undefined ? undefined : freeDiskBytes(this.baseDir);
    const full = free !== undefined && free < FULL_DISK_BYTES;
    const message = full ? `${err.message} (the disk is full: ${free} bytes free under base-dir ${this.baseDir}; free space on it, and writes resume by themselves)` : err.message;
    const problem = { component, message, since: current?.since ?? new Date().toISOString() };
    this.problems.set(component, problem);
    if (!current) this.onChange(problem, false);
  }

  /** A write of `component` succeeded: whatever was wrong with it is over. */
  ok(component: StorageComponent): void {
    const current = this.problems.get(component);
    if (!current) return;
    this.problems.delete(component);
    this.onChange(current, true);
  }

  list(): NodeProblem[] {
    return [...this.problems.values()];
  }
}
