// `cairnctl logs find-tail <ids>`.
import type { LogTail } from '../../../api/schemas';
import type { CommandContext } from '../../context';
import { EXIT, mapError } from '../../errors';
import { styled, table, type Cell, type View } from '../../output/view';

export async function run(ctx: CommandContext, args: { ids: number[] }): Promise<View> {
  const cluster = await ctx.cluster();
  const results = await Promise.all(
    args.ids.map(async (id): Promise<{ log_id: number; tail: LogTail | null; error: string | null }> => {
      try {
        return { log_id: id, tail: await cluster.admin('findTail', { params: { log: id } }), error: null };
      } catch (err) {
        return { log_id: id, tail: null, error: mapError(err).message };
      }
    }),
  );
  const rows = results.map((r): Cell[] =>
    r.tail ? [r.log_id, r.tail.segment_index, r.tail.state, r.tail.tail_lsn] : [r.log_id, styled(r.error!, 'bad'), '', ''],
  );
  const failed = results.filter((r) => r.error);
  return {
    json: { logs: results.map((r) => (r.tail ? { ...r.tail, error: null } : { log_id: r.log_id, error: r.error })) },
    blocks: [table(['LOG-ID', 'SEGMENT', 'STATE', 'TAIL-LSN'], rows)],
    exitCode: failed.length ? EXIT.FAILED : EXIT.OK,
    warnings: failed.map((r) => `log ${r.log_id}: ${r.error}`),
  };
}
