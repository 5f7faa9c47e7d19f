// `cairnctl partitions ...`.
import { defineCommand, defineGroup, spec, value } from '../../registry';
import { watchOptions } from '../../watch-options';

export const partitionsListSpec = spec({
  path: ['partitions', 'list'],
  aliases: ['ls', 'status'],
  description: 'List the partition processors of the alive nodes, and the dead nodes',
  examples: ['cairnctl partitions list', 'cairnctl partitions list --sort node -o json'],
  args: {},
  options: {
    sort: value('--sort <order>', 'row order', { choices: ['partition', 'node', 'active'] as const, default: 'partition' }),
    ...watchOptions,
  },
});

export const partitionsCommands = [
  defineGroup(['partitions'], 'Partition processors: leaders, followers, applied and archived LSNs'),
  defineCommand(partitionsListSpec, () => import('./list')),
];
