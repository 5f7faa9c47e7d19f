// `cairnctl snapshots ...`.
import { idList, wholeNumber } from '../../args';
import { argument, defineCommand, defineGroup, flag, spec, value } from '../../registry';

const partitions = argument('[partition-ids...]', 'partition ids, e.g. 0 2-3 (all partitions without ids)', idList);

export const createSnapshotSpec = spec({
  path: ['snapshots', 'create-snapshot'],
  aliases: ['create'],
  description: "Have each partition's leader publish a snapshot into its snapshot repository",
  details: '--min-lsn waits (up to --request-timeout) until the leader has applied that LSN. --trim-log asks first, as logs trim does.',
  examples: ['cairnctl snapshots create-snapshot 0', 'cairnctl snapshots create --trim-log --yes -o json'],
  args: { ids: partitions },
  options: {
    minLsn: value('-m, --min-lsn <lsn>', 'wait until the snapshot includes at least this LSN', { parse: wholeNumber('an LSN') }),
    trimLog: flag('-t, --trim-log', "after a snapshot, trim the partition's log up to it"),
  },
});

export const snapshotsListSpec = spec({
  path: ['snapshots', 'list'],
  aliases: ['ls'],
  description: "The snapshots a partition's repository holds",
  examples: ['cairnctl snapshots list', 'cairnctl snapshots list 0 -o json'],
  args: { ids: partitions },
  options: {},
});

export const snapshotsCommands = [
  defineGroup(['snapshots'], 'Partition processor snapshots'),
  defineCommand(createSnapshotSpec, () => import('./create')),
  defineCommand(snapshotsListSpec, () => import('./list')),
];
