// `cairnctl logs trim <ids> --trim-point N [--force] [--dry-run] [-y]`.
import type { TrimOutcome } from '../../../api/schemas';
import { confirmChange } from '../../confirm';
import type { CommandContext } from '../../context';
import { line, type View } from '../../output/view';

export interface TrimArgs {
  ids: number[];
  trimPoint: number;
  force?: boolean;
  dryRun?: boolean;
  yes?: boolean;
}

function outcomeLine(outcome: TrimOutcome) {
  const archived = outcome.archived_lsn === null ? 'no archived LSN' : `archived LSN ${outcome.archived_lsn}`;
  const clamped =
    outcome.trim_point < outcome.requested_trim_point
      ? ` (requested ${outcome.requested_trim_point}, clamped to the committed tail)`
      : outcome.trim_point > outcome.requested_trim_point
        ? ` (it already was; requested ${outcome.requested_trim_point})`
        : '';
  return outcome.dry_run
    ? line(`Log ${outcome.log_id} would be trimmed to LSN ${outcome.trim_point}${clamped}; ${archived} (dry run, nothing changed)`)
    : line(`Log ${outcome.log_id} trimmed to LSN ${outcome.trim_point}${clamped}; ${archived}, ${outcome.segments_removed} segment(s) removed`);
}

export async function run(ctx: CommandContext, args: TrimArgs): Promise<View> {
  const cluster = await ctx.cluster();
  const call = (id: number, dryRun: boolean) =>
    cluster.admin('trimLog', { params: { log: id }, body: { trim_point: args.trimPoint, force: args.force, dry_run: dryRun } });
  // Every log is checked first (a refusal stops everything before anything is trimmed).
  const plans = [];
  for (const id of args.ids) plans.push(await call(id, true));
  if (!args.dryRun) {
    await confirmChange(
      ctx,
      `Trim ${args.ids.length === 1 ? `log ${args.ids[0]}` : `${args.ids.length} logs`} up to LSN ${args.trimPoint}${args.force ? ' (--force: past the archived LSN if need be)' : ''}? Trimmed records are gone for good.`,
      { yes: args.yes },
      { json: null, blocks: plans.map(outcomeLine) },
    );
  }
  const outcomes = args.dryRun ? plans : [];
  if (!args.dryRun) for (const id of args.ids) outcomes.push(await call(id, false));
  return { json: { logs: outcomes }, blocks: outcomes.map(outcomeLine) };
}
