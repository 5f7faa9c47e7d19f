// `cairnctl nodes remove --nodes N4`: the node's id becomes a tombstone and is never reused.
import { formatPlainId } from '../../../api/ids';
import type { CommandContext } from '../../context';
import { line, table, type View } from '../../output/view';
import { changeNodes, type ChangeArgs } from './change';

export function run(ctx: CommandContext, args: ChangeArgs): Promise<View> {
  return changeNodes(ctx, args, 'removeNodes', (nodes, dryRun) => ({ nodes, force: args.force, dry_run: dryRun }), {
    question: `Remove ${args.ids.map(formatPlainId).join(', ')} from the cluster for good?`,
    preview: (_, nodes) => ({
      json: null,
      blocks: [
        table(
          ['NODE', 'GEN', 'NAME', 'STORAGE-STATE', 'ROLES'],
          args.ids.map((id) => {
            const node = nodes.nodes.find((n) => n.id === id)!;
            return [formatPlainId(id), node.generation, node.name, node.log_server.storage_state, node.roles.join(' | ')];
          }),
        ),
      ],
    }),
    result: (outcome) => ({
      json: outcome,
      blocks: [
        line(
          outcome.dry_run
            ? `Would remove nodes [${outcome.removed.map((t) => formatPlainId(t.id)).join(',')}] (dry run, nothing changed)`
            : `Successfully removed nodes [${outcome.removed.map((t) => formatPlainId(t.id)).join(',')}]`,
        ),
      ],
    }),
  });
}
