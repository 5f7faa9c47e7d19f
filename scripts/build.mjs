// Bundles the CLI and the server with esbuild. Both are CommonJS bundles so that bin/launch.js can
// load them through a V8 code cache; ink (which needs top-level await via yoga-layout) is a separate
// ESM bundle that the CLI imports only for prompts and live views on a terminal.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';

// cairnctl's cold start: commander requires node:child_process (for executable subcommands, which
// cairnctl has none of) and undici's HTTP/2 client requires node:http2 and with it node:tls; loading
// those builtins costs ~45 ms on every run. Both are deferred until first use.
const deferColdModules = {
  name: 'defer-cold-modules',
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes('commander') ? { path: 'child_process', namespace: 'deferred-builtin' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'deferred-builtin' }, (args) => ({
      contents: `module.exports = new Proxy({}, { get: (_, key) => require('node:${args.path}')[key] });`,
      loader: 'js',
    }));
    build.onLoad({ filter: /undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      return {
        contents: `let loaded;\nfunction load() {\n  const module = { exports: {} };\n  (function (module, exports) {\n${source}\n  })(module, module.exports);\n  return module.exports;\n}\nmodule.exports = function connectH2(...args) {\n  loaded ??= load();\n  return loaded(...args);\n};\n`,
        loader: 'js',
        resolveDir: args.path.replace(/[\\/][^\\/]+$/, ''),
      };
    });
  },
};

// The server bundle loads the s3:// object store from its own bundle, next to it in dist/.
const s3StoreApart = {
  name: 's3-store-apart',
  setup(build) {
    build.onResolve({ filter: /[\\/]object-store-s3$/ }, () => ({ path: './s3-store.cjs', external: true }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
};

rmSync('dist', { recursive: true, force: true });
await Promise.all([
  build({
    ...common,
    entryPoints: { cairnctl: 'src/cli/main.ts' },
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    outdir: 'dist',
    plugins: [deferColdModules],
  }),
  build({
    ...common,
    entryPoints: {
      'cairn-server': 'src/server/main.ts',
      'log-store-worker': 'src/server/log-server/log-store-worker.ts',
      'snapshot-export-worker': 'src/server/worker/snapshot-export-worker.ts',
    },
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    outdir: 'dist',
    external: ['better-sqlite3'],
    plugins: [s3StoreApart],
  }),
  // The AWS SDK (about 1 MB of code) is loaded only by nodes with an s3:// snapshot destination.
  build({
    ...common,
    entryPoints: { 's3-store': 'src/server/worker/object-store-s3.ts' },
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    outdir: 'dist',
  }),
  build({
    ...common,
    entryPoints: { ui: 'src/cli/ui/index.tsx' },
    outExtension: { '.js': '.mjs' },
    format: 'esm',
    outdir: 'dist',
    // ink imports react-devtools-core only when DEV=true; the bundle carries an empty stand-in.
    plugins: [
      {
        name: 'no-devtools',
        setup(b) {
          b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'stub' }));
          b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export default { connectToDevTools() {} };', loader: 'js' }));
        },
      },
    ],
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  }),
]);
