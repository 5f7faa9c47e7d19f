// `cairnctl logs find-tail <ids>`.
import type { CommandContext } from '../../context';
import { eachItem, failuresOf, itemEntries } from '../../items';
import type { FindTailJson } from '../../output/documents';
import { table, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import type { findTailSpec } from './index';

export async function run(ctx: CommandContext, args: ArgsOf<typeof findTailSpec>): Promise<View> {
  const cluster = await ctx.cluster();
  const results = await eachItem(args.ids, (id) => cluster.admin('findTail', { params: { log: id } }), { parallel: true });
  const json: FindTailJson = {
    logs: itemEntries(results, (log_id, tail) => ({ log_id, segment_index: tail?.segment_index ?? null, state: tail?.state ?? null, tail_lsn: tail?.tail_lsn ?? null })),
  };
  const found = results.flatMap((r) => (r.value ? [r.value] : []));
  return {
    json,
    blocks: found.length ? [table(['LOG-ID', 'SEGMENT', 'STATE', 'TAIL-LSN'], found.map((t) => [t.log_id, t.segment_index, t.state, t.tail_lsn]))] : [],
    failures: failuresOf(results, (id) => `log ${id}`),
  };
}
