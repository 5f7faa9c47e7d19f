import { Option } from 'commander';
import { idList, wholeNumber } from '../../args';
import { examples, type Register } from '../../program';

export const registerSnapshots: Register = (program, action) => {
  const snapshots = program.command('snapshots').description('Partition processor snapshots');
  snapshots
    .command('create-snapshot')
    .alias('create')
    .description("Have each partition's leader publish a snapshot into its snapshot repository (all partitions without ids)")
    .argument('[partition-ids...]', 'partition ids, e.g. 0 2-3')
    .addOption(new Option('-m, --min-lsn <lsn>', 'wait until the snapshot includes at least this LSN').argParser(wholeNumber('an LSN')))
    .option('-t, --trim-log', "after a snapshot, trim the partition's log up to it")
    .addHelpText('after', examples('cairnctl snapshots create-snapshot 0', 'cairnctl snapshots create --trim-log -o json'))
    .action(action(() => import('./create'), ([ids], options) => ({ ids: idList((ids as string[]) ?? []), ...options }) as never));
  snapshots
    .command('list')
    .alias('ls')
    .description("The snapshots a partition's repository holds (all partitions without ids)")
    .argument('[partition-ids...]', 'partition ids, e.g. 0 2-3')
    .addHelpText('after', examples('cairnctl snapshots list', 'cairnctl snapshots list 0 -o json'))
    .action(action(() => import('./list'), ([ids]) => ({ ids: idList((ids as string[]) ?? []) })));
};
