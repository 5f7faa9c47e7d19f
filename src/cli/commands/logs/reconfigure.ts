// `cairnctl logs reconfigure -l <ids> [--sequencer N] [--nodeset ...] [--replication RP] [--dry-run] [-y]`.
import { formatLogletId, formatNodeSet, formatReplication } from '../../../api/ids';
import type { ReconfigureLogRequest, SealOutcome } from '../../../api/schemas';
import { distinct } from '../../args';
import { confirmChange } from '../../confirm';
import type { CommandContext } from '../../context';
import { eachItem, failuresOf, itemEntries, type ItemResult } from '../../items';
import type { ReconfigureJson } from '../../output/documents';
import { line, table, type Block, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import type { reconfigureSpec } from './index';
import { sequencerFields } from './sequencer';

function outcomeBlocks(outcome: SealOutcome): Block[] {
  const sealed = outcome.sealed_segment;
  const added = outcome.new_segment;
  return [
    line({ icon: 'ok' }, ` Log ${outcome.dry_run ? 'reconfiguration plan' : 'reconfiguration'} (${outcome.log_id})`),
    line(` └ Segment Index: ${added?.index ?? sealed.index}`),
    line(outcome.dry_run ? 'Segment to seal' : 'Sealed segment'),
    line(` ├ Index: ${sealed.index}`),
    line(` ├ Tail LSN: ${outcome.tail_lsn}`),
    line(` ├ Provider: ${sealed.kind}`),
    ...(sealed.params
      ? [
          line(` ├ Loglet ID: ${formatLogletId(sealed.params.loglet_id)}`),
          line(` ├ Sequencer: ${sealed.params.sequencer}`),
          line(` ├ Replication: ${formatReplication(sealed.params.replication)}`),
          line(` └ Node Set: ${formatNodeSet(sealed.params.nodeset)}`),
        ]
      : []),
    ...(added?.params
      ? [
          line(outcome.dry_run ? 'New segment' : 'Added segment'),
          line(` ├ Index: ${added.index}`),
          line(` ├ From LSN: ${added.base_lsn}`),
          line(` ├ Loglet ID: ${formatLogletId(added.params.loglet_id)}`),
          line(` ├ Sequencer: ${added.params.sequencer}`),
          line(` ├ Replication: ${formatReplication(added.params.replication)}`),
          line(` └ Node Set: ${formatNodeSet(added.params.nodeset)}`),
        ]
      : []),
  ];
}

export async function run(ctx: CommandContext, args: ArgsOf<typeof reconfigureSpec>): Promise<View> {
  const cluster = await ctx.cluster();
  const ids = distinct(args.logId);
  const request = (dryRun: boolean, segmentIndex: number | undefined): ReconfigureLogRequest => ({
    segment_index: segmentIndex,
    sequencer: args.sequencer,
    nodeset: args.nodeset,
    replication: args.replication,
    reason: args.reason,
    dry_run: dryRun,
  });
  const call = (dryRun: boolean, segmentIndex: (id: number) => number | undefined) => (id: number) =>
    cluster.admin('reconfigureLog', { params: { log: id }, body: request(dryRun, segmentIndex(id)) });
  const view = (results: Array<ItemResult<number, SealOutcome>>, dryRun: boolean): View => {
    const json: ReconfigureJson = {
      results: itemEntries(results, (log_id, outcome) => {
        const added = outcome?.new_segment;
        return {
          log_id,
          ok: !!outcome,
          dry_run: dryRun,
          sealed_segment_index: outcome?.sealed_segment.index ?? null,
          tail_lsn: outcome?.tail_lsn ?? null,
          repaired_records: outcome?.repaired_records ?? null,
          new_segment: added
            ? {
                index: added.index,
                from_lsn: added.base_lsn,
                loglet_id: added.params ? formatLogletId(added.params.loglet_id) : null,
                replication: added.params?.replication ?? null,
                ...sequencerFields(added.params?.sequencer),
                nodeset: added.params?.nodeset ?? null,
              }
            : null,
          logs_version: outcome?.logs_version ?? null,
        };
      }),
    };
    return { json, blocks: results.flatMap((r) => (r.value ? outcomeBlocks(r.value) : [])), failures: failuresOf(results, (id) => `log ${id}`) };
  };

  const plans = await eachItem(ids, call(true, () => args.segmentIndex), { parallel: true });
  if (args.dryRun) return view(plans, true);
  if (plans.some((p) => p.failure)) return { ...view(plans, true), blocks: [], warnings: ['nothing was changed: every log is checked before any is reconfigured'] };
  const preview: View = {
    json: null,
    blocks: [
      table(
        ['LOG-ID', 'SEAL', 'NEW-SEQUENCER', 'NEW-NODESET', 'NEW-REPLICATION'],
        plans.map(({ item, value }) => {
          const added = value!.new_segment?.params;
          return [
            item,
            value!.sealed_segment.params ? formatLogletId(value!.sealed_segment.params.loglet_id) : 'marker',
            added?.sequencer ?? '-',
            added ? formatNodeSet(added.nodeset) : '-',
            added ? formatReplication(added.replication) : '-',
          ];
        }),
      ),
    ],
  };
  await confirmChange(ctx, `Seal and extend ${ids.length === 1 ? `log ${ids[0]}` : `${ids.length} logs`}?`, preview);
  // Only the tail segment the plan showed is sealed: if the cluster controller replaced it meanwhile
  // (a failover), the change fails rather than sealing the brand-new segment as well.
  const planned = new Map(plans.map(({ item, value }) => [item, value!.sealed_segment.index]));
  return view(await eachItem(ids, call(false, (id) => args.segmentIndex ?? planned.get(id))), false);
}
