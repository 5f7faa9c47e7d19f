// `cairnctl nodes set-storage-state --nodes N3 --storage-state S [--force]`, and the seed's form
// `cairnctl replicated-loglet set-storage-state --node-id 3 --storage-state S --force`.
import { formatPlainId } from '../../../api/ids';
import type { StateChangeOutcome, StorageState } from '../../../api/schemas';
import type { CommandContext } from '../../context';
import { line, styled, table, type View } from '../../output/view';
import { STORAGE_STATE_TONE } from '../replicated-loglet/servers';
import { changeNodes, requestedBy, type ChangeArgs } from './change';

export interface SetStorageStateArgs extends ChangeArgs {
  storageState: StorageState;
  reason?: string;
}

function outcomeView(outcome: StateChangeOutcome): View {
  return {
    json: outcome,
    blocks: outcome.changes.map((c) =>
      outcome.dry_run
        ? line(`Node ${formatPlainId(c.node_id)} storage-state would be updated from ${c.from} to ${c.to} (dry run, nothing changed)`)
        : c.from === c.to
          ? line(`Node ${formatPlainId(c.node_id)} storage-state is already ${c.to}`)
          : line(`Node ${formatPlainId(c.node_id)} storage-state updated from ${c.from} to ${c.to}`),
    ),
  };
}

export function run(ctx: CommandContext, args: SetStorageStateArgs): Promise<View> {
  const names = args.ids.map(formatPlainId).join(', ');
  return changeNodes(
    ctx,
    args,
    'setStorageState',
    (nodes, dryRun) => ({ nodes, storage_state: args.storageState, force: args.force, dry_run: dryRun, reason: args.reason, requested_by: requestedBy() }),
    {
      question: `Change the storage-state of ${names} to ${args.storageState}${args.force ? ' (--force: safety checks skipped)' : ''}?`,
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
