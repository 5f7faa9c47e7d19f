// `cairnctl nodes set-storage-state --nodes N3 --storage-state S [--force]`, and the seed's form
// `cairnctl replicated-loglet set-storage-state --node-id 3 --storage-state S --force`.
import { formatPlainId } from '../../../api/ids';
import type { StateChangeOutcome, StorageState } from '../../../api/schemas';
import type { CommandContext } from '../../context';
import type { NodeChangeJson } from '../../output/documents';
import { line, styled, table, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import { STORAGE_STATE_TONE } from '../replicated-loglet/servers';
import { changeNodes, requestedBy } from './change';
import type { setStorageStateSpec } from './index';

function outcomeView(outcome: StateChangeOutcome): View {
  const json: NodeChangeJson = outcome;
  return {
    json,
    blocks: outcome.changes.map((c) =>
      c.from === c.to
        ? line(`Node ${formatPlainId(c.node_id)} storage-state is already ${c.to}`)
        : outcome.dry_run
          ? line(`Node ${formatPlainId(c.node_id)} storage-state would be updated from ${c.from} to ${c.to} (dry run, nothing changed)`)
          : line(`Node ${formatPlainId(c.node_id)} storage-state updated from ${c.from} to ${c.to}`),
    ),
  };
}

export function run(ctx: CommandContext, args: ArgsOf<typeof setStorageStateSpec>): Promise<View> {
  const names = args.nodes.map(formatPlainId).join(', ');
  return changeNodes(
    ctx,
    args,
    'setStorageState',
    (nodes, dryRun) => ({ nodes, storage_state: args.storageState, force: args.force, dry_run: dryRun, reason: args.reason, requested_by: requestedBy() }),
    {
      question: `Change the storage-state of ${names} to ${args.storageState}${args.force ? ' (--force: safety checks skipped)' : ''}?`,
      noop: (plan) => plan.changes.every((c) => c.from === c.to),
      preview: (plan) => ({
        json: null,
        blocks: [
          table(
            ['NODE', 'GEN', 'STORAGE-STATE', 'NEW-STORAGE-STATE'],
            plan.changes.map((c) => [formatPlainId(c.node_id), c.generational_id, styled(c.from, STORAGE_STATE_TONE[c.from as StorageState]), styled(c.to, STORAGE_STATE_TONE[c.to as StorageState])]),
          ),
        ],
      }),
      result: outcomeView,
    },
  );
}
