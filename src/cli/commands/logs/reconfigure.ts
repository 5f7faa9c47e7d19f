// `cairnctl logs reconfigure -l <ids> [--sequencer N] [--nodeset ...] [--replication RP] [--dry-run] [-y]`.
import { formatLogletId, formatNodeSet, formatReplication } from '../../../api/ids';
import type { ReconfigureLogRequest, ReplicationProperty, SealOutcome } from '../../../api/schemas';
import { confirmChange } from '../../confirm';
import type { CommandContext } from '../../context';
import { EXIT, mapError } from '../../errors';
import { line, table, type Block, type View } from '../../output/view';

export interface ReconfigureArgs {
  ids: number[];
  sequencer?: number;
  nodeset?: number[];
  replication?: ReplicationProperty;
  segmentIndex?: number;
  reason?: string;
  dryRun?: boolean;
  yes?: boolean;
}

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

export async function run(ctx: CommandContext, args: ReconfigureArgs): Promise<View> {
  const cluster = await ctx.cluster();
  const request = (dryRun: boolean): ReconfigureLogRequest => ({
    segment_index: args.segmentIndex,
    sequencer: args.sequencer,
    nodeset: args.nodeset,
    replication: args.replication,
    reason: args.reason,
    dry_run: dryRun,
  });
  const call = async (id: number, dryRun: boolean) => {
    try {
      return { log_id: id, outcome: await cluster.admin('reconfigureLog', { params: { log: id }, body: request(dryRun) }), error: null };
    } catch (err) {
      return { log_id: id, outcome: null, error: mapError(err).message };
    }
  };
  const view = (results: Awaited<ReturnType<typeof call>>[]): View => {
    const failed = results.filter((r) => r.error);
    return {
      json: { results: results.map((r) => ({ log_id: r.log_id, ok: !r.error, outcome: r.outcome, error: r.error })) },
      blocks: results.flatMap((r) => (r.outcome ? outcomeBlocks(r.outcome) : [line({ icon: 'err' }, ` log=${r.log_id}: ${r.error}`)])),
      exitCode: failed.length ? EXIT.FAILED : EXIT.OK,
    };
  };

  const plans = await Promise.all(args.ids.map((id) => call(id, true)));
  if (args.dryRun || plans.some((p) => p.error)) return view(plans);
  const preview: View = {
    json: null,
    blocks: [
      table(
        ['LOG-ID', 'SEAL', 'NEW-SEQUENCER', 'NEW-NODESET', 'NEW-REPLICATION'],
        plans.map((p) => {
          const added = p.outcome!.new_segment?.params;
          return [
            p.log_id,
            p.outcome!.sealed_segment.params ? formatLogletId(p.outcome!.sealed_segment.params.loglet_id) : 'marker',
            added?.sequencer ?? '-',
            added ? formatNodeSet(added.nodeset) : '-',
            added ? formatReplication(added.replication) : '-',
          ];
        }),
      ),
    ],
  };
  await confirmChange(ctx, `Seal and extend ${args.ids.length === 1 ? `log ${args.ids[0]}` : `${args.ids.length} logs`}?`, { yes: args.yes }, preview);
  const results = [];
  for (const id of args.ids) results.push(await call(id, false));
  return view(results);
}
