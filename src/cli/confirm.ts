// Confirmation before a change: on a terminal the CLI shows the question and waits; without one,
// --yes is required (never implied by CI being set).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CommandContext } from './context';
import { CliError, EXIT, usageError } from './errors';
import { canPrompt, writeErr } from './output/io';
import { render } from './output/render';
import type { View } from './output/view';

/** The ink UI is an ES module next to this bundle in dist/, loaded through bin/launch.js's hook. */
function importEsm(url: string): Promise<unknown> {
  const hook = (globalThis as Record<symbol, ((specifier: string) => Promise<unknown>) | undefined>)[Symbol.for('cairn.importEsm')];
  return hook ? hook(url) : import(url);
}

export interface ConfirmOptions {
  yes?: boolean;
}

/** Shows `preview` (on stderr) and asks `question`; throws if the answer is no. */
export async function confirmChange(ctx: CommandContext, question: string, options: ConfirmOptions, preview?: View): Promise<void> {
  if (!options.yes && !canPrompt(ctx.io)) {
    throw usageError(`${question} needs confirmation, and there is no terminal to ask on`, 'pass --yes to confirm non-interactively');
  }
  if (preview) writeErr(ctx.io, render(preview, { ...ctx.renderOptions, output: 'table' }));
  if (options.yes) {
    writeErr(ctx.io, `${question} Auto-confirming: --yes is set.\n`);
    return;
  }
  // ink's own chalk reads FORCE_COLOR when it loads; keep the prompt as colourless as the output.
  if (ctx.renderOptions.colorLevel === 0) ctx.io.env.FORCE_COLOR = '0';
  const ui = (await importEsm(pathToFileURL(path.join(__dirname, 'ui.mjs')).href)) as { confirm(q: string): Promise<boolean> };
  if (!(await ui.confirm(question))) throw new CliError('aborted: nothing was changed', EXIT.FAILED);
}
