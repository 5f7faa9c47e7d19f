// Runs one command: builds the context, calls the handler, renders its View, reports failures (the
// whole command's or each item's) as `error:` and `hint:` lines on stderr, and returns the exit
// code. Loaded lazily, so that `--help` and completion never pay for it.
import { CommandContext, type Connect } from './context';
import { mapError, mostSevere } from './errors';
import type { GlobalOptions } from './globals';
import { writeErr, writeOut, type IO } from './output/io';
import { render } from './output/render';
import type { Handler } from './registry';
import type { WatchArgs } from './watch-options';

export async function execute<A>(
  io: IO,
  globals: GlobalOptions,
  addressSource: string,
  load: () => Promise<Handler<A>>,
  args: A,
  connect?: Connect,
): Promise<number> {
  if ((args as Partial<WatchArgs>).watch) {
    const [{ watch }, handler] = await Promise.all([import('./watch'), load()]);
    return watch(io, globals, addressSource, handler as Handler<A & WatchArgs>, args as A & WatchArgs, connect);
  }
  const ctx = new CommandContext(io, globals, addressSource, connect);
  try {
    const handler = await load();
    const view = await handler.run(ctx, args);
    for (const warning of view.warnings ?? []) writeErr(io, `warning: ${warning}\n`);
    writeOut(io, render(view, ctx.renderOptions));
    const failures = view.failures ?? [];
    for (const failure of failures) writeErr(io, `error: ${failure.item}: ${failure.message}\n`);
    // Items failing for the same reason share one hint.
    for (const hint of new Set(failures.flatMap((f) => (f.hint ? [f.hint] : [])))) writeErr(io, `hint: ${hint}\n`);
    return mostSevere(failures.map((f) => f.exitCode)) || (view.exitCode ?? 0);
  } catch (err) {
    const failure = mapError(err);
    writeErr(io, `error: ${failure.message}\n`);
    if (failure.hint) writeErr(io, `hint: ${failure.hint}\n`);
    if (globals.verbose && err instanceof Error && err.stack) writeErr(io, `${err.stack}\n`);
    return failure.exitCode;
  } finally {
    await ctx.close();
  }
}
