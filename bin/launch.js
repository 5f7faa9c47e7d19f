'use strict';
// Loads a bundled entry point through a V8 code cache. Node 20 has no built-in compile cache
// (module.enableCompileCache is 22.8+), and compiling the bundle is a large share of cairnctl's
// cold start, which runbooks and shell completion pay on every call.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

function launch(name, { v8Flags = [] } = {}) {
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
