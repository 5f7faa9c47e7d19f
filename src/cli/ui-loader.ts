// Loads the ink UI (dist/ui.mjs, an ES module bundled apart) for prompts and the --watch screen.
// Only a person at a terminal pays for it: nothing on the piped or non-interactive path imports this.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IO } from './output/io';
import type * as UiModule from './ui/index';

export type Ui = typeof UiModule;

/** The ink UI is an ES module next to this bundle in dist/, loaded through bin/launch.js's hook. */
function importEsm(url: string): Promise<unknown> {
  const hook = (globalThis as Record<symbol, ((specifier: string) => Promise<unknown>) | undefined>)[Symbol.for('cairn.importEsm')];
  return hook ? hook(url) : import(url);
}

/** `colorLevel` 0 keeps ink's own chalk (which reads FORCE_COLOR when it loads) as colourless as the output. */
export async function loadUi(io: IO, colorLevel: number): Promise<Ui> {
  if (colorLevel === 0) io.env.FORCE_COLOR = '0';
  // With CI (or CONTINUOUS_INTEGRATION) set, ink draws only a last frame at exit: a --watch screen
  // stays blank. The UI only ever runs for a person at a terminal, so ink is told it is not in CI.
  for (const name of ['CI', 'CONTINUOUS_INTEGRATION']) if (name in io.env) io.env[name] = 'false';
  return (await importEsm(pathToFileURL(path.join(__dirname, 'ui.mjs')).href)) as Ui;
}
