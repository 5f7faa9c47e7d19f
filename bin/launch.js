'use strict';
// Loads a bundled entry point through a V8 code cache. Node 20 has no built-in compile cache
// (module.enableCompileCache is 22.8+), and compiling the bundle is a large share of cairnctl's
// cold start, which runbooks and shell completion pay on every call.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

/**
 * The threads a Node process has before its first line of JavaScript are V8's helpers (TurboFan's
 * background compiles, concurrent marking and sweeping, the delayed-task runner) and Node's own
 * few; libuv's pool (fdatasyncs) and worker threads start later. Nice 19
 * for those helpers lets a node's request path run first when every core is busy, as with three
 * nodes and a client on two cores. Linux only: elsewhere, or where it is not permitted, nothing
 * changes.
 */
function lowerHelperThreadPriority() {
  let tids;
  try {
    tids = fs.readdirSync('/proc/self/task');
  } catch {
    return;
  }
  const os = require('node:os');
  for (const tid of tids.map(Number)) {
    if (tid === process.pid) continue;
    try {
      os.setPriority(tid, 19);
    } catch {
      // not permitted here: the helpers keep the process's priority
    }
  }
}

function launch(name, { v8Flags = [], lowPriorityHelpers = false } = {}) {
  if (lowPriorityHelpers) lowerHelperThreadPriority();
  for (const flag of v8Flags) require('node:v8').setFlagsFromString(flag);
  const file = path.join(__dirname, '..', 'dist', `${name}.cjs`);
  let source;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch {
    process.stderr.write(`error: ${file} is missing; run \`npm run build\` first\n`);
    process.exitCode = 1;
    return;
  }
  const cacheFile = path.join(__dirname, '..', 'dist', `.${name}.v8cache`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  // Code compiled by vm cannot import() ES modules by itself; the bundle loads its ESM parts (the
  // ink UI) through this loader of a real module.
  globalThis[Symbol.for('cairn.importEsm')] = (specifier) => import(specifier);
  if (cachedData === undefined || script.cachedDataRejected) {
    // Written at exit so that the functions this run compiled lazily are in the cache too.
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        // A read-only install simply runs without a cache.
      }
    });
  }
  const mod = { exports: {}, filename: file, id: file, paths: Module._nodeModulePaths(path.dirname(file)) };
  const localRequire = Module.createRequire(file);
  script.runInThisContext()(mod.exports, localRequire, mod, file, path.dirname(file));
}

module.exports = { launch };
