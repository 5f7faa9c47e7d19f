// `cairnctl nodes set-worker-state --nodes N2 --worker-state S [--force]`.
import { formatPlainId } from '../../../api/ids';
import type { CommandContext } from '../../context';
import type { NodeChangeJson } from '../../output/documents';
import { line, table, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import { changeNodes } from './change';
import type { setWorkerStateSpec } from './index';

export function run(ctx: CommandContext, args: ArgsOf<typeof setWorkerStateSpec>): Promise<View> {
  return changeNodes(
    ctx,
    args,
    'setWorkerState',
    (nodes, dryRun) => ({ nodes, worker_state: args.workerState, force: args.force, dry_run: dryRun }),
    {
      question: `Change the worker-state of ${args.nodes.map(formatPlainId).join(', ')} to ${args.workerState}?`,
      noop: (plan) => plan.changes.every((c) => c.from === c.to),
      preview: (plan) => ({ json: null, blocks: [table(['NODE', 'GEN', 'WORKER-STATE', 'NEW-WORKER-STATE'], plan.changes.map((c) => [formatPlainId(c.node_id), c.generational_id, c.from, c.to]))] }),
      result: (outcome) => {
        const json: NodeChangeJson = outcome;
        return {
          json,
          blocks: outcome.changes.map((c) =>
            line(
              c.from === c.to
                ? `${c.generational_id} worker-state is already ${c.to}`
                : outcome.dry_run
                  ? `${c.generational_id} worker-state would be updated from ${c.from} to ${c.to} (dry run, nothing changed)`
                  : `${c.generational_id} worker-state has been updated from ${c.from} to ${c.to}`,
            ),
          ),
        };
      },
    },
  );
}
