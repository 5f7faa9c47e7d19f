// npm run bench: every benchmark in this folder, one after the other, each printing its figures.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const dir = import.meta.dirname;
const only = process.argv.slice(2);
for (const file of readdirSync(dir).sort()) {
  if (!file.endsWith('.mjs') || file === 'lib.mjs' || file === 'run-all.mjs') continue;
  if (only.length && !only.some((name) => file.startsWith(name))) continue;
  process.stdout.write(`\n== ${file}\n`);
  execFileSync(process.execPath, [path.join(dir, file)], { stdio: 'inherit' });
}
