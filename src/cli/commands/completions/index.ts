// `cairnctl completions <shell>`.
import { argument, defineCommand, spec } from '../../registry';
import { SHELLS, type Shell } from './shells';

export const completionsSpec = spec({
  path: ['completions'],
  description: 'Print a shell completion script generated from the command registry (-o json prints the tree)',
  examples: ['source <(cairnctl completions bash)', 'cairnctl completions zsh > "${fpath[1]}/_cairnctl"', 'cairnctl completions fish | source'],
  args: { shell: argument('<shell>', `the shell: ${SHELLS.join(', ')}`, (raw) => SHELLS.find((s): s is Shell => s === raw)!, SHELLS) },
  options: {},
});

export const completionsCommands = [defineCommand(completionsSpec, () => import('./completions'))];
