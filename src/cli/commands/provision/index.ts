import { Option } from 'commander';
import { parseReplication } from '../../../api/ids';
import { asArgument, wholeNumber } from '../../args';
import { examples, type Register } from '../../program';

const replication = asArgument(parseReplication);

export const registerProvision: Register = (program, action) => {
  program
    .command('provision')
    .description('Provision a new cluster: partition table, log replication and nodes configuration')
    .addOption(new Option('-n, --num-partitions <n>', 'number of partitions').argParser(wholeNumber('a partition count', 1, 65535)))
    .addOption(new Option('-r, --replication <rp>', 'log and partition replication, e.g. 2 or {node: 2}').argParser(replication).conflicts(['logReplication', 'partitionReplication']))
    .addOption(new Option('--log-replication <rp>', 'log replication').argParser(replication))
    .addOption(new Option('--partition-replication <rp>', 'partition replication ("everywhere" by default is not used: it follows the log replication)').argParser(replication))
    .addOption(new Option('--nodeset-size <n>', 'target nodeset size (0: all writeable log-servers)').argParser(wholeNumber('a nodeset size', 0, 128)))
    .option('--dry-run', 'show what would be provisioned and change nothing')
    .option('-y, --yes', 'confirm without a prompt (required when not on a terminal)')
    .addHelpText('after', examples('cairnctl provision --dry-run', 'cairnctl provision -n 4 -r 2 --yes'))
    .action(action(() => import('./provision'), (_, options) => options as never));
};
