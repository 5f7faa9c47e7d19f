import { examples, type Register } from '../../program';

export const registerNodes: Register = (program, action) => {
  const nodes = program.command('nodes').description('Cluster node status');
  nodes
    .command('list')
    .alias('ls')
    .description('List the nodes of the nodes configuration')
    .option('--extra', 'also probe every node: storage and worker state, uptime, role status, metadata versions seen')
    .addHelpText('after', examples('cairnctl nodes list', 'cairnctl nodes list --extra -o json'))
    .action(action(() => import('./list'), (_, options) => ({ extra: !!options.extra })));
};
