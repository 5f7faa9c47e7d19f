// Warning lines for a node's failing stores (a full disk, say), shared by `status` and
// `replicated-loglet servers`.
import type { NodeProblem } from '../../api/schemas';

/** One warning line per store of a node whose writes fail. */
export function describeProblems(node: string, problems: readonly NodeProblem[]): string[] {
  return problems.map((p) => `${node}: ${p.component} writes fail since ${p.since}: ${p.message}`);
}
