// Runs one command: builds the context, calls the command, renders its View, maps failures to an
// exit code. Loaded lazily, so that `--help` and completion never pay for it.
import { CommandContext, type GlobalOptions } from './context';
import { mapError } from './errors';
import { writeErr, writeOut, type IO } from './output/io';
import { render } from './output/render';
import type { View } from './output/view';

export interface CommandModule<A> {
  run(ctx: CommandContext, args: A): Promise<View>;
}

export async function execute<A>(
  io: IO,
  globals: GlobalOptions,
  addressSource: string,
  load: () => Promise<CommandModule<A>>,
  args: A,
): Promise<number> {
  const ctx = new CommandContext(io, globals, addressSource);
  try {
    const command = await load();
    const view = await command.run(ctx, args);
    for (const warning of view.warnings ?? []) writeErr(io, `warning: ${warning}\n`);
    writeOut(io, render(view, ctx.renderOptions));
    return view.exitCode ?? 0;
  } catch (err) {
    const failure = mapError(err);
    writeErr(io, `error: ${failure.message}\n`);
    if (failure.hint) writeErr(io, `hint: ${failure.hint}\n`);
    if (globals.verbose > 0 && err instanceof Error && err.stack) writeErr(io, `${err.stack}\n`);
    return failure.exitCode;
  } finally {
    ctx.close();
  }
}
