import { InvalidArgumentError, Option } from 'commander';
import { examples, type Register } from '../../program';
import { logIds } from '../logs/index';

const lsn = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an LSN (a whole number)');
  return n;
};

export const registerSnapshots: Register = (program, action) => {
  const snapshots = program.command('snapshots').description('Partition processor snapshots');
  snapshots
    .command('create-snapshot')
    .alias('create')
    .description("Have each partition's leader publish a snapshot into its snapshot repository (all partitions without ids)")
    .argument('[partition-ids...]', 'partition ids, e.g. 0 2-3')
    .addOption(new Option('-m, --min-lsn <lsn>', 'wait until the snapshot includes at least this LSN').argParser(lsn))
    .option('-t, --trim-log', "after a snapshot, trim the partition's log up to it")
    .addHelpText('after', examples('cairnctl snapshots create-snapshot 0', 'cairnctl snapshots create --trim-log -o json'))
    .action(action(() => import('./create'), ([ids], options) => ({ ids: logIds((ids as string[]) ?? []), ...options }) as never));
  snapshots
    .command('list')
    .alias('ls')
    .description("The snapshots a partition's repository holds (all partitions without ids)")
    .argument('[partition-ids...]', 'partition ids, e.g. 0 2-3')
    .addHelpText('after', examples('cairnctl snapshots list', 'cairnctl snapshots list 0 -o json'))
    .action(action(() => import('./list'), ([ids]) => ({ ids: logIds((ids as string[]) ?? []) })));
};
