// Regenerates the committed completion scripts from the built CLI (npm run completions).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

for (const shell of ['bash', 'zsh', 'fish']) {
  const script = execFileSync(process.execPath, ['bin/cairnctl', 'completions', shell], { encoding: 'utf8' });
  writeFileSync(`completions/cairnctl.${shell}`, script);
  process.stderr.write(`wrote completions/cairnctl.${shell}\n`);
}
