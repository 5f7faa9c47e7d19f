// `cairnctl logs seal <ids> [--reason] [-y]`.
import { formatLogletId } from '../../../api/ids';
import { findChain, tailSegment } from '../../../api/logs';
import type { SealOutcome } from '../../../api/schemas';
import { confirmChange } from '../../confirm';
import type { CommandContext } from '../../context';
import { CliError, EXIT, mapError } from '../../errors';
import { line, table, type Block, type View } from '../../output/view';

export interface SealArgs {
  ids: number[];
  reason?: string;
  segmentIndex?: number;
  yes?: boolean;
}

export async function run(ctx: CommandContext, args: SealArgs): Promise<View> {
  const cluster = await ctx.cluster();
  const logs = await cluster.metadata('bifrost_config');
  const missing = args.ids.filter((id) => !findChain(logs.value, id));
  if (missing.length) throw new CliError(`no such log: ${missing.join(', ')}`, EXIT.NOT_FOUND, 'see `cairnctl logs list`');
  const preview: View = {
    json: null,
    blocks: [
      table(
        ['LOG-ID', 'TAIL-SEGMENT', 'KIND', 'LOGLET-ID', 'SEQUENCER'],
        args.ids.map((id) => {
          const tail = tailSegment(findChain(logs.value, id)!);
          return [id, tail.index, tail.kind, tail.params ? formatLogletId(tail.params.loglet_id) : '', tail.params?.sequencer ?? ''];
        }),
      ),
    ],
  };
  await confirmChange(ctx, `Seal the tail segment of ${args.ids.length === 1 ? `log ${args.ids[0]}` : `${args.ids.length} logs`}?`, { yes: args.yes }, preview);

  const results: Array<{ log_id: number; outcome: SealOutcome | null; error: string | null }> = [];
  for (const id of args.ids) {
    try {
      const outcome = await cluster.admin('sealLog', { params: { log: id }, body: { reason: args.reason, segment_index: args.segmentIndex } });
      results.push({ log_id: id, outcome, error: null });
    } catch (err) {
      results.push({ log_id: id, outcome: null, error: mapError(err).message });
    }
  }
  const blocks: Block[] = results.flatMap((r) =>
    r.outcome
      ? [line({ icon: 'ok' }, ` log=${r.log_id} chain has been sealed`), line(` ├ Tail LSN: ${r.outcome.tail_lsn}`)]
      : [line({ icon: 'err' }, ` log=${r.log_id}: ${r.error}`)],
  );
  const failed = results.filter((r) => r.error);
  return {
    json: { results: results.map((r) => ({ log_id: r.log_id, ok: !r.error, tail_lsn: r.outcome?.tail_lsn ?? null, error: r.error })) },
    blocks,
    exitCode: failed.length ? EXIT.FAILED : EXIT.OK,
  };
}
