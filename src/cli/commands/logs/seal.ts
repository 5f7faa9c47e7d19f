// `cairnctl logs seal <ids> [--reason] [-y]`.
import { formatLogletId } from '../../../api/ids';
import { findChain, tailSegment } from '../../../api/logs';
import { confirmChange } from '../../confirm';
import type { CommandContext } from '../../context';
import { CliError, EXIT } from '../../errors';
import { eachItem, failuresOf, itemEntries } from '../../items';
import type { SealJson } from '../../output/documents';
import { line, table, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import type { sealSpec } from './index';

export const noSuchLog = (id: number) => new CliError(`no such log: ${id}`, EXIT.NOT_FOUND, 'see `cairnctl logs list`');

export async function run(ctx: CommandContext, args: ArgsOf<typeof sealSpec>): Promise<View> {
  const cluster = await ctx.cluster();
  const logs = await cluster.metadata('bifrost_config');
  const known = args.ids.filter((id) => findChain(logs.value, id));
  if (known.length) {
    const preview: View = {
      json: null,
      blocks: [
        table(
          ['LOG-ID', 'TAIL-SEGMENT', 'KIND', 'LOGLET-ID', 'SEQUENCER'],
          known.map((id) => {
            const tail = tailSegment(findChain(logs.value, id)!);
            return [id, tail.index, tail.kind, tail.params ? formatLogletId(tail.params.loglet_id) : '', tail.params?.sequencer ?? ''];
          }),
        ),
      ],
    };
    await confirmChange(ctx, `Seal the tail segment of ${known.length === 1 ? `log ${known[0]}` : `${known.length} logs`}?`, preview);
  }
  const results = await eachItem(args.ids, async (id) => {
    if (!known.includes(id)) throw noSuchLog(id);
    // Only the tail segment the preview showed: one the cluster controller added meanwhile stays open.
    const shown = tailSegment(findChain(logs.value, id)!).index;
    return cluster.admin('sealLog', { params: { log: id }, body: { reason: args.reason, segment_index: args.segmentIndex ?? shown } });
  });
  const json: SealJson = { results: itemEntries(results, (log_id, outcome) => ({ log_id, ok: !!outcome, tail_lsn: outcome?.tail_lsn ?? null })) };
  return {
    json,
    blocks: results.flatMap((r) => (r.value ? [line({ icon: 'ok' }, ` log=${r.item} chain has been sealed`), line(` ├ Tail LSN: ${r.value.tail_lsn}`)] : [])),
    failures: failuresOf(results, (id) => `log ${id}`),
  };
}
