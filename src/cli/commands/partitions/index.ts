import { Option } from 'commander';
import { examples, type Register } from '../../program';

export const registerPartitions: Register = (program, action) => {
  const partitions = program.command('partitions').description('Partition processors: leaders, followers, applied and archived LSNs');
  partitions
    .command('list')
    .aliases(['ls', 'status'])
    .description('List the partition processors of the alive nodes, and the dead nodes')
    .addOption(new Option('--sort <order>', 'row order').choices(['partition', 'node', 'active']).default('partition'))
    .addHelpText('after', examples('cairnctl partitions list', 'cairnctl partitions list --sort node -o json'))
    .action(action(() => import('./list'), (_, options) => ({ sort: options.sort as 'partition' | 'node' | 'active' })));
};
