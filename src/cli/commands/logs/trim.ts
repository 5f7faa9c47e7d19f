// `cairnctl logs trim <ids> --trim-point N [--force] [--dry-run] [-y]`.
import type { TrimOutcome } from '../../../api/schemas';
import { confirmChange } from '../../confirm';
import type { CommandContext } from '../../context';
import { eachItem, failuresOf, itemEntries, type ItemResult } from '../../items';
import type { TrimJson } from '../../output/documents';
import { line, type Block, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import type { trimSpec } from './index';

function archivedText(outcome: TrimOutcome): string {
  return outcome.archived_lsn === null ? 'no archived LSN' : `archived LSN ${outcome.archived_lsn}`;
}

function clampNote(outcome: TrimOutcome): string {
  if (outcome.trim_point < outcome.requested_trim_point) return ` (requested ${outcome.requested_trim_point}, clamped to the committed tail)`;
  if (outcome.trim_point > outcome.requested_trim_point) return ` (it already was; requested ${outcome.requested_trim_point})`;
  return '';
}

/** What a plan (a server-side dry run) would do, in words that suit a preview and --dry-run alike. */
function planLine(outcome: TrimOutcome): Block {
  return line(`Log ${outcome.log_id} would be trimmed to LSN ${outcome.trim_point}${clampNote(outcome)}; ${archivedText(outcome)}`);
}

function doneLine(outcome: TrimOutcome): Block {
  return line(`Log ${outcome.log_id} trimmed to LSN ${outcome.trim_point}${clampNote(outcome)}; ${archivedText(outcome)}, ${outcome.segments_removed} segment(s) removed`);
}

export async function run(ctx: CommandContext, args: ArgsOf<typeof trimSpec>): Promise<View> {
  const cluster = await ctx.cluster();
  const call = (id: number, dryRun: boolean) =>
    cluster.admin('trimLog', { params: { log: id }, body: { trim_point: args.trimPoint, force: args.force, dry_run: dryRun } });
  const view = (results: Array<ItemResult<number, TrimOutcome>>, dryRun: boolean): View => {
    const json: TrimJson = {
      logs: itemEntries(results, (log_id, outcome) => ({
        log_id,
        requested_trim_point: args.trimPoint,
        trim_point: outcome?.trim_point ?? null,
        archived_lsn: outcome?.archived_lsn ?? null,
        segments_removed: outcome?.segments_removed ?? null,
        dry_run: dryRun,
      })),
    };
    const blocks = results.flatMap((r) => (r.value ? [dryRun ? planLine(r.value) : doneLine(r.value)] : []));
    return { json, blocks: dryRun && blocks.length ? [...blocks, line('(dry run: nothing was changed)')] : blocks, failures: failuresOf(results, (id) => `log ${id}`) };
  };

  // Every log is checked first: one that would be refused stops everything before anything is trimmed.
  const plans = await eachItem(args.ids, (id) => call(id, true));
  if (args.dryRun) return view(plans, true);
  if (plans.some((p) => p.failure)) return { ...view(plans, true), blocks: [], warnings: ['nothing was trimmed: every log is checked before any is trimmed'] };
  const question = `Trim ${args.ids.length === 1 ? `log ${args.ids[0]}` : `${args.ids.length} logs`} up to LSN ${args.trimPoint}${args.force ? ' (--force: past the archived LSN if need be)' : ''}? Trimmed records are gone for good.`;
  await confirmChange(ctx, question, { json: null, blocks: plans.map((p) => planLine(p.value!)) });
  return view(await eachItem(args.ids, (id) => call(id, false)), false);
}
