// `cairnctl nodes remove --nodes N4`: the node's id becomes a tombstone and is never reused.
import { formatPlainId } from '../../../api/ids';
import type { CommandContext } from '../../context';
import type { NodesRemoveJson } from '../../output/documents';
import { rolesCell } from '../../output/roles';
import { line, table, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import { changeNodes } from './change';
import type { removeSpec } from './index';

export function run(ctx: CommandContext, args: ArgsOf<typeof removeSpec>): Promise<View> {
  return changeNodes(ctx, args, 'removeNodes', (nodes, dryRun) => ({ nodes, force: args.force, dry_run: dryRun }), {
    question: `Remove ${args.nodes.map(formatPlainId).join(', ')} from the cluster for good?`,
    preview: (_, nodes) => ({
      json: null,
      blocks: [
        table(
          ['NODE', 'GEN', 'NAME', 'STORAGE-STATE', 'ROLES'],
          args.nodes.map((id) => {
            const node = nodes.nodes.find((n) => n.id === id)!;
            return [formatPlainId(id), node.generation, node.name, node.log_server.storage_state, rolesCell(node.roles)];
          }),
        ),
      ],
    }),
    result: (outcome) => ({
      json: { ...outcome, removed: outcome.removed.map(({ id, ...rest }) => ({ node_id: id, ...rest })) } satisfies NodesRemoveJson,
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
