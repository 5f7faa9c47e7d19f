// What set-storage-state, set-worker-state and remove share: read the nodes as they are, let the
// server check the change (dry run), show it and ask, then make it with the generations that were
// shown, so that a node that restarted meanwhile is not changed blindly.
import { hostname, userInfo } from 'node:os';
import type { RouteName, RouteResponse } from '../../../api/routes';
import type { NodesConfiguration } from '../../../api/schemas';
import { confirmChange } from '../../confirm';
import type { CommandContext } from '../../context';
import type { View } from '../../output/view';

export interface ChangeArgs {
  ids: number[];
  force?: boolean;
  dryRun?: boolean;
  yes?: boolean;
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
    preview: (plan: RouteResponse<N>, nodes: NodesConfiguration) => View;
    result: (outcome: RouteResponse<N>) => View;
  },
): Promise<View> {
  const cluster = await ctx.cluster();
  const nodes = (await cluster.metadata('nodes_config')).value;
  const refs = args.ids.map((id) => ({ id, generation: nodes.nodes.find((n) => n.id === id)?.generation }));
  const plan = await cluster.admin(route, { body: body(refs, true) });
  if (args.dryRun) return describe.result(plan);
  await confirmChange(ctx, describe.question, { yes: args.yes }, describe.preview(plan, nodes));
  return describe.result(await cluster.admin(route, { body: body(refs, false) }));
}
