// `cairnctl nodes set-worker-state --nodes N2 --worker-state S [--force]`.
import { formatPlainId } from '../../../api/ids';
import type { WorkerState } from '../../../api/schemas';
import type { CommandContext } from '../../context';
import { line, table, type View } from '../../output/view';
import { changeNodes, type ChangeArgs } from './change';

export function run(ctx: CommandContext, args: ChangeArgs & { workerState: WorkerState }): Promise<View> {
  return changeNodes(
    ctx,
    args,
    'setWorkerState',
    (nodes, dryRun) => ({ nodes, worker_state: args.workerState, force: args.force, dry_run: dryRun }),
    {
      question: `Change the worker-state of ${args.ids.map(formatPlainId).join(', ')} to ${args.workerState}?`,
      preview: (plan) => ({ json: null, blocks: [table(['NODE', 'GEN', 'WORKER-STATE', 'NEW-WORKER-STATE'], plan.changes.map((c) => [formatPlainId(c.node_id), c.generational_id, c.from, c.to]))] }),
      result: (outcome) => ({
        json: outcome,
        blocks: outcome.changes.map((c) =>
          line(outcome.dry_run ? `${c.generational_id} worker-state would be updated from ${c.from} to ${c.to} (dry run, nothing changed)` : `${c.generational_id} worker-state has been updated from ${c.from} to ${c.to}`),
        ),
      }),
    },
  );
}
