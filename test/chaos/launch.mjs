// npm run chaos: bundles the harness (TypeScript, importing the runtime's shared modules) with
// esbuild and runs it in this process. The bundle goes to dist/chaos/, two levels below the repo
// root like test/helpers/, so that the helpers' paths to bin/ resolve the same way.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');
const outfile = path.join(root, 'dist', 'chaos', 'chaos.cjs');
await build({
  entryPoints: [path.join(import.meta.dirname, 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
createRequire(import.meta.url)(outfile);
