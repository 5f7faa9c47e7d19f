// `cairnctl provision`.
import { parseReplication } from '../../../api/ids';
import { wholeNumber } from '../../args';
import { defineCommand, flag, spec, value } from '../../registry';

export const provisionSpec = spec({
  path: ['provision'],
  description: 'Provision a new cluster: partition table, log replication and nodes configuration',
  examples: ['cairnctl provision --dry-run', 'cairnctl provision -n 4 -r 2 --yes'],
  args: {},
  options: {
    numPartitions: value('-n, --num-partitions <n>', 'number of partitions', { parse: wholeNumber('a partition count', 1, 65535) }),
    replication: value('-r, --replication <rp>', 'log and partition replication, e.g. 2 or {node: 2}', {
      parse: parseReplication,
      conflicts: ['logReplication', 'partitionReplication'],
    }),
    logReplication: value('--log-replication <rp>', 'log replication', { parse: parseReplication }),
    partitionReplication: value('--partition-replication <rp>', 'partition replication (default: the log replication)', { parse: parseReplication }),
    nodesetSize: value('--nodeset-size <n>', 'target nodeset size (0: all writeable log-servers)', { parse: wholeNumber('a nodeset size', 0, 128) }),
    dryRun: flag('--dry-run', 'show what would be provisioned and change nothing'),
  },
});

export const provisionCommands = [defineCommand(provisionSpec, () => import('./provision'))];
