import { examples, type Register } from '../../program';

export const registerReplicatedLoglet: Register = (program, action) => {
  const group = program.command('replicated-loglet').description('[low-level] Commands that operate on replicated loglets');
  group
    .command('servers')
    .aliases(['list-servers', 'nodes'])
    .description('List the log-servers: storage state and how many loglets each one holds')
    .addHelpText('after', examples('cairnctl replicated-loglet servers', 'cairnctl replicated-loglet list-servers -o json'))
    .action(action(() => import('./servers'), () => ({})));
};
