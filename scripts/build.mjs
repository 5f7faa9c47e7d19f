// Bundles the CLI and the server with esbuild. Both are CommonJS bundles so that bin/launch.js can
// load them through a V8 code cache; ink (which needs top-level await via yoga-layout) is a separate
// ESM bundle that the CLI imports only for prompts and live views on a terminal.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { readFileSync, rmSync } from 'node:fs';

/** What `cairnctl -V` prints: the package version, the commit it was built from and the day. */
function buildInfo() {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (dirty) commit += '-dirty';
  } catch {
    // Not a git checkout (a packed install): the version and date still tell the build apart.
  }
  return { version, commit, date: new Date().toISOString().slice(0, 10) };
}

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
    define: { __CAIRN_BUILD__: JSON.stringify(buildInfo()) },
  }),
  build({
    ...common,
    entryPoints: {
      'cairn-server': 'src/server/main.ts',
      'snapshot-export-worker': 'src/server/worker/snapshot-export-worker.ts',
      'checkpoint-worker': 'src/server/storage/checkpoint-worker.ts',
    },
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    outdir: 'dist',
    // etcd3 (with gRPC) loads its .proto files from its package folder at run time, and only nodes on etcd load it.
    external: ['better-sqlite3', 'etcd3', 'cockatiel'],
    // bin/launch.js runs the bundle through vm.Script, where import() of a package fails
    // (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING); lowered to require(), the lazy etcd3 load works.
    supported: { 'dynamic-import': false },
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
