import { Option } from 'commander';
import { parsePlainId, parseReplication } from '../../../api/ids';
import { asArgument, idList, wholeNumber } from '../../args';
import { examples, type Register } from '../../program';

const segmentCount = wholeNumber('a segment count');
const segmentIndex = wholeNumber('a segment index');
const collect = (value: string, previous: string[] = []) => [...previous, value];

export const registerLogs: Register = (program, action) => {
  const logs = program.command('logs').description('Log operations');
  logs
    .command('list')
    .alias('ls')
    .description("List the logs: each log's tail segment, its loglet, replication, sequencer and nodeset")
    .addHelpText('after', examples('cairnctl logs list', "cairnctl logs list -o json | jq '.logs[] | {log_id, sequencer}'"))
    .action(action(() => import('./list'), () => ({})));

  logs
    .command('describe')
    .description('Show the chain of segments of logs (all logs without ids); ▶︎ marks the tail segment')
    .argument('[log-ids...]', 'log ids, e.g. 0 2-3')
    .addOption(new Option('--tail <n>', 'show the last n segments').argParser(segmentCount).default(25).conflicts(['head', 'all']))
    .addOption(new Option('--head <n>', 'show the first n segments').argParser(segmentCount).conflicts(['all']))
    .option('--all', 'show every segment')
    .option('--extra', 'also the trim point and each segment\'s loglet parameters')
    .addHelpText('after', examples('cairnctl logs describe 1', 'cairnctl logs describe --all --extra -o json'))
    .action(action(() => import('./describe'), ([ids], options) => ({ ids: idList((ids as string[]) ?? []), ...options }) as never));

  logs
    .command('find-tail')
    .description("Find the tail of logs: the tail segment, whether it is OPEN or SEALED, and the tail LSN")
    .argument('<log-ids...>', 'log ids, e.g. 0 2-3')
    .addHelpText('after', examples('cairnctl logs find-tail 0', 'cairnctl logs find-tail 0-3 -o json'))
    .action(action(() => import('./find-tail'), ([ids]) => ({ ids: idList(ids as string[]) })));

  logs
    .command('seal')
    .description('Seal the tail segment of logs; the cluster controller then extends each chain with a new segment')
    .argument('<log-ids...>', 'log ids, e.g. 0 2-3')
    .option('--reason <text>', 'why, recorded in the seal marker')
    .addOption(new Option('-i, --segment-index <n>', 'only if the tail segment still has this index').argParser(segmentIndex))
    .option('-y, --yes', 'confirm without a prompt (required when not on a terminal)')
    .addHelpText('after', examples('cairnctl logs seal 1 --reason "moving the sequencer"', 'cairnctl logs seal 0-3 --yes'))
    .action(action(() => import('./seal'), ([ids], options) => ({ ids: idList(ids as string[]), ...options }) as never));

  logs
    .command('trim')
    .description('Trim logs up to an LSN (inclusive); refused past the partition\'s archived LSN unless --force')
    .argument('<log-ids...>', 'log ids, e.g. 0 2-3')
    .addOption(new Option('-t, --trim-point <lsn>', 'trim up to this LSN (inclusive)').argParser(wholeNumber('an LSN')).makeOptionMandatory())
    .option('--force', '[dangerous] trim past the archived LSN: processors that need those records cannot recover them')
    .option('--dry-run', 'show what would be trimmed and change nothing')
    .option('-y, --yes', 'confirm without a prompt (required when not on a terminal)')
    .addHelpText(
      'after',
      `\nThe archived LSN is that of the oldest snapshot the partition's repository retains; trimming past it leaves\na trim gap that a processor without the records can only cross from a newer snapshot.${examples('cairnctl logs trim 0 --trim-point 632 --dry-run', 'cairnctl snapshots create-snapshot 0 && cairnctl logs trim 0 -t 632 --yes')}`,
    )
    .action(action(() => import('./trim'), ([ids], options) => ({ ids: idList(ids as string[]), ...options }) as never));

  logs
    .command('reconfigure')
    .description('Seal the tail segment and extend the chain with a new one (new sequencer, nodeset or replication)')
    .requiredOption('-l, --log-id <ids>', 'log ids, e.g. 1 or 0-3 (repeatable)', collect)
    .addOption(new Option('--sequencer <node>', 'node to run the new sequencer, e.g. N2').argParser(asArgument(parsePlainId)))
    .addOption(new Option('--nodeset <nodes>', 'log-servers of the new segment, e.g. N1,N2,N3').argParser(asArgument((v) => v.split(',').map(parsePlainId))))
    .addOption(new Option('--replication <rp>', 'replication of the new segment, e.g. 2 or {node: 2}').argParser(asArgument(parseReplication)))
    .addOption(new Option('-i, --segment-index <n>', 'only if the tail segment still has this index').argParser(segmentIndex))
    .option('--reason <text>', 'why, recorded in the logs')
    .option('--dry-run', 'show the new segment and change nothing')
    .option('-y, --yes', 'confirm without a prompt (required when not on a terminal)')
    .addHelpText('after', examples('cairnctl logs reconfigure -l 1 --sequencer N3 --dry-run', 'cairnctl logs reconfigure -l 0-3 --nodeset N1,N2,N3 --yes'))
    .action(action(() => import('./reconfigure'), (_, options) => ({ ...options, ids: idList(options.logId as string[]) }) as never));
};
