// Confirmation before a change: on a terminal (stdin and stderr; stdout may be piped) the CLI shows
// the change and asks; without one, --yes is required (never implied by CI being set).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CommandContext } from './context';
import { CliError, EXIT, usageError } from './errors';
import { canPrompt, colorLevel, terminalWidth, writeErr } from './output/io';
import { render } from './output/render';
import type { View } from './output/view';

/** The ink UI is an ES module next to this bundle in dist/, loaded through bin/launch.js's hook. */
function importEsm(url: string): Promise<unknown> {
  const hook = (globalThis as Record<symbol, ((specifier: string) => Promise<unknown>) | undefined>)[Symbol.for('cairn.importEsm')];
  return hook ? hook(url) : import(url);
}

interface PromptUi {
  confirm(question: string, width: number): Promise<'yes' | 'no' | 'interrupted'>;
}

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
  // ink's own chalk reads FORCE_COLOR when it loads; keep the prompt as colourless as the output.
  if (level === 0) io.env.FORCE_COLOR = '0';
  const ui = (await importEsm(pathToFileURL(path.join(__dirname, 'ui.mjs')).href)) as PromptUi;
  const answer = await ui.confirm(question, terminalWidth(io.stderr));
  if (answer === 'interrupted') throw new CliError('interrupted: nothing was changed', EXIT.INTERRUPTED);
  if (answer === 'no') throw new CliError('aborted: nothing was changed', EXIT.FAILED);
}
