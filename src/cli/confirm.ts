// Confirmation before a change: on a terminal (stdin and stderr; stdout may be piped) the CLI shows
// the change and asks; without one, --yes is required (never implied by CI being set).
import type { CommandContext } from './context';
import { CliError, EXIT, usageError } from './errors';
import { canPrompt, colorLevel, terminalWidth, writeErr } from './output/io';
import { render } from './output/render';
import type { View } from './output/view';
import { loadUi } from './ui-loader';

/** Shows `preview` (on stderr) and asks `question`; throws unless the answer is yes. */
export async function confirmChange(ctx: CommandContext, question: string, preview?: View): Promise<void> {
  const { io } = ctx;
  const yes = ctx.options.yes;
  if (!yes && !canPrompt(io)) {
    throw usageError(`${question} needs confirmation, and there is no terminal to ask on`, 'pass --yes (-y) to confirm without a prompt');
  }
  const level = colorLevel(io, ctx.options.color, io.stderr);
  if (preview) {
    writeErr(io, render(preview, { ...ctx.renderOptions, output: 'table', colorLevel: level, ...(io.stderr.isTTY ? { width: terminalWidth(io.stderr) } : {}) }));
  }
  if (yes) {
    writeErr(io, `${question} Auto-confirming: --yes is set.\n`);
    return;
  }
  const ui = await loadUi(io, level);
  const answer = await ui.confirm(question, terminalWidth(io.stderr));
  if (answer === 'interrupted') throw new CliError('interrupted: nothing was changed', EXIT.INTERRUPTED);
  if (answer === 'no') throw new CliError('aborted: nothing was changed', EXIT.FAILED);
}
