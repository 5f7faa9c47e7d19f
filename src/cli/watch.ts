// `--watch` for the read commands that show a changing cluster (status, partitions list, logs list,
// replicated-loglet servers): the command again every --interval, each round with a fresh
// connection (fresh probes, so a hung node costs a round no more than it costs the command). On a
// terminal the screen is redrawn; piped or with -o json, one JSON document per line (NDJSON) per
// round, until interrupted or --count rounds.
import { CommandContext, type Connect } from './context';
import { mapError } from './errors';
import type { GlobalOptions } from './globals';
import { writeErr, writeOut, type IO } from './output/io';
import { render } from './output/render';
import type { Handler } from './registry';
import type { WatchArgs } from './watch-options';

const CLEAR_SCREEN = '\u001b[H\u001b[2J';

/** Runs the command round after round; the exit code is the last round's. */
export async function watch<A extends WatchArgs>(io: IO, globals: GlobalOptions, addressSource: string, handler: Handler<A>, args: A, connect?: Connect): Promise<number> {
  let interrupted = false;
  let wake = () => {};
  const stop = () => {
    interrupted = true;
    wake();
  };
  process.once('SIGINT', stop);
  let code = 0;
  /** Warnings are said once, not every round. */
  const said = new Set<string>();
  try {
    for (let round = 1; !interrupted && (args.count === undefined || round <= args.count); round++) {
      const started = Date.now();
      const ctx = new CommandContext(io, globals, addressSource, connect);
      try {
        const view = await handler.run(ctx, args);
        const ndjson = ctx.output === 'json' || !io.stdout.isTTY;
        if (ndjson) writeOut(io, `${JSON.stringify({ observed_at: new Date().toISOString(), ...(view.json as object) })}\n`);
        else writeOut(io, `${CLEAR_SCREEN}Every ${args.interval / 1000}s · ${new Date().toLocaleTimeString()} · Ctrl-C to stop\n\n${render(view, ctx.renderOptions)}`);
        for (const warning of view.warnings ?? []) {
          if (!said.has(warning)) writeErr(io, `warning: ${warning}\n`);
          said.add(warning);
        }
        code = view.exitCode ?? 0;
      } catch (err) {
        // A round that failed (the cluster unreachable for a moment) is said, and the next one tried.
        const failure = mapError(err);
        writeErr(io, `error: ${failure.message}\n`);
        code = failure.exitCode;
      } finally {
        await ctx.close();
      }
      if (args.count !== undefined && round >= args.count) break;
      const wait = Math.max(0, args.interval - (Date.now() - started));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    process.off('SIGINT', stop);
  }
  return interrupted ? 130 : code;
}
