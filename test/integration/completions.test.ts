// Completion scripts come from the command tree; the committed copies must be current and valid.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompletionsDocument } from '../../src/cli/output/documents';
import { cairnctl, ROOT, run } from '../helpers/cli';

const hasShell = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
const syntaxCheck: Record<string, string[]> = { bash: ['bash', '-n'], zsh: ['zsh', '-n'], fish: ['fish', '--no-execute'] };

describe('cairnctl completions', () => {
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    it(`generates a current, syntactically valid ${shell} script`, async () => {
      const result = await cairnctl(['completions', shell]);
      expect(result.code).toBe(0);
      const committed = readFileSync(path.join(ROOT, 'completions', `cairnctl.${shell}`), 'utf8');
      expect(result.stdout, `completions/cairnctl.${shell} is stale: run npm run completions`).toBe(committed);
      for (const word of ['status', 'list-servers', '--address', '--server', '--output', 'json', 'borders', 'create-snapshot']) expect(result.stdout).toContain(word);
      if (!hasShell(shell)) {
        // bash is always there; .ci/run installs zsh and fish, so CI checks all three.
        expect(shell).not.toBe('bash');
        return;
      }
      const [bin, flag] = syntaxCheck[shell]!;
      const check = await run(bin!, [flag!, path.join(ROOT, 'completions', `cairnctl.${shell}`)]);
      expect(check.stderr).toBe('');
      expect(check.code).toBe(0);
    });
  }

  it('completes subcommands, flags and flag values in bash', async () => {
    const complete = async (line: string) => {
      const words = line.split(' ');
      const script = `source ${path.join(ROOT, 'completions', 'cairnctl.bash')}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _cairnctl; printf '%s\\n' "\${COMPREPLY[@]}"`;
      return (await run('bash', ['-c', script])).stdout.trim().split('\n');
    };
    expect(await complete('cairnctl snap')).toEqual(['snapshots']);
    expect(await complete('cairnctl completions ')).toEqual(['bash', 'zsh', 'fish']);
    expect(await complete('cairnctl replicated-loglet ')).toEqual(expect.arrayContaining(['servers', 'list-servers']));
    expect(await complete('cairnctl -s http://x:1 logs l')).toEqual(['list', 'ls']);
    expect(await complete('cairnctl logs list --output ')).toEqual(['table', 'json']);
    expect(await complete('cairnctl -o ')).toEqual(['table', 'json']);
    expect(await complete('cairnctl partitions list --sort ')).toEqual(['partition', 'node', 'active']);
    expect(await complete('cairnctl nodes list --ex')).toEqual(['--extra']);
    // -t is create-snapshot's --trim-log switch: what follows is another option, not its value ...
    expect(await complete('cairnctl snapshots create-snapshot -t -')).toEqual(expect.arrayContaining(['--min-lsn', '--trim-log', '--yes']));
    expect(await complete('cairnctl snapshots create-snapshot -t --m')).toEqual(['--min-lsn']);
    // ... while for logs trim it is --trim-point, which takes an LSN: nothing to offer.
    expect(await complete('cairnctl logs trim 0 -t ')).toEqual(['']);
    // A value-taking option's value is not taken for a command word.
    expect(await complete('cairnctl --request-timeout 5000 snap')).toEqual(['snapshots']);
  });

  it('prints the command tree for -o json', async () => {
    const result = await cairnctl(['completions', 'bash', '-o', 'json']);
    const tree = CompletionsDocument.parse(JSON.parse(result.stdout));
    expect(tree.children.map((c) => c.names[0])).toEqual(expect.arrayContaining(['status', 'nodes', 'logs', 'replicated-loglet']));
  });
});
