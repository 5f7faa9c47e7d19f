import { Argument } from 'commander';
import { examples, type Register } from '../../program';
import { SHELLS } from './generate';

export const registerCompletions: Register = (program, action) => {
  program
    .command('completions')
    .description('Print a shell completion script generated from the command tree (-o json prints the tree)')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .addHelpText(
      'after',
      examples('source <(cairnctl completions bash)', 'cairnctl completions zsh > "${fpath[1]}/_cairnctl"', 'cairnctl completions fish | source'),
    )
    .action(action(() => import('./completions'), (positional) => ({ shell: positional[0] as (typeof SHELLS)[number], program })));
};
