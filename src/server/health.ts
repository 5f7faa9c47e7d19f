// What is wrong with this node's storage right now, as its stores find out: a log store or a
// partition store whose writes fail (a full disk, most often). The node reports it in its ident, so
// that `status`, `partitions list` and the cluster controller see it, not only the node's log.
import type { NodeProblem } from '../api/schemas';

export type StorageComponent = NodeProblem['component'];

export class StorageHealth {
  private readonly problems = new Map<StorageComponent, NodeProblem>();

  constructor(private readonly onChange: (problem: NodeProblem, resolved: boolean) => void) {}

  /** A write of `component` failed; the first failure of an episode sets its start. */
  failed(component: StorageComponent, err: Error): void {
    const current = this.problems.get(component);
    const problem = { component, message: err.message, since: current?.since ?? new Date().toISOString() };
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
