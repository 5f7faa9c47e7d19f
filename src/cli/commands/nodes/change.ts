// What set-storage-state, set-worker-state and remove share: read the nodes as they are, let the
// server check the change (dry run), show it and ask, then make it with the generations that were
// shown, so that a node that restarted meanwhile is not changed blindly. A change that would change
// nothing is not asked about.
import { hostname, userInfo } from 'node:os';
import type { RouteName, RouteResponse } from '../../../api/routes';
import type { NodesConfiguration } from '../../../api/schemas';
import { distinct } from '../../args';
import { confirmChange } from '../../confirm';
import type { CommandContext } from '../../context';
import type { View } from '../../output/view';

export interface ChangeArgs {
  nodes: number[];
  dryRun: boolean;
}

export function requestedBy(): string {
  try {
    return `${userInfo().username}@${hostname()} via cairnctl`;
  } catch {
    return 'cairnctl';
  }
}

export async function changeNodes<N extends RouteName>(
  ctx: CommandContext,
  args: ChangeArgs,
  route: N,
  body: (refs: Array<{ id: number; generation?: number }>, dryRun: boolean) => unknown,
  describe: {
    question: string;
    /** True if the plan would leave everything as it is. */
    noop?: (plan: RouteResponse<N>) => boolean;
    preview: (plan: RouteResponse<N>, nodes: NodesConfiguration) => View;
    result: (outcome: RouteResponse<N>) => View;
  },
): Promise<View> {
  const cluster = await ctx.cluster();
  const nodes = (await cluster.metadata('nodes_config')).value;
  const refs = distinct(args.nodes).map((id) => ({ id, generation: nodes.nodes.find((n) => n.id === id)?.generation }));
  const plan = await cluster.admin(route, { body: body(refs, true) });
  if (args.dryRun) return describe.result(plan);
  if (describe.noop?.(plan)) return describe.result({ ...plan, dry_run: false });
  await confirmChange(ctx, describe.question, describe.preview(plan, nodes));
  return describe.result(await cluster.admin(route, { body: body(refs, false) }));
}
