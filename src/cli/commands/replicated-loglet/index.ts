import { Option } from 'commander';
import { asArgument, wholeNumber } from '../../args';
import { parsePlainId } from '../../../api/ids';
import { examples, type Register } from '../../program';
import { registerSetStorageState } from '../nodes/index';

const offset = wholeNumber('an offset', 1);

export const registerReplicatedLoglet: Register = (program, action) => {
  const group = program.command('replicated-loglet').description('[low-level] Commands that operate on replicated loglets');
  group
    .command('servers')
    .aliases(['list-servers', 'nodes'])
    .description('List the log-servers: storage state and how many loglets each one holds')
    .addHelpText('after', examples('cairnctl replicated-loglet servers', 'cairnctl replicated-loglet list-servers -o json'))
    .action(action(() => import('./servers'), () => ({})));
  group
    .command('info')
    .description("A loglet's parameters and each log-server's local tail, global tail, trim point and seal")
    .argument('<loglet>', 'loglet id as <log>_<segment> (e.g. 1_0) or raw number')
    .addHelpText('after', examples('cairnctl replicated-loglet info 1_0', 'cairnctl replicated-loglet info 4294967296 -o json'))
    .action(action(() => import('./info'), ([loglet]) => ({ loglet: loglet as string })));
  group
    .command('digest')
    .description('Which log-server holds which offset of a loglet; U marks under-replicated offsets, D offsets whose copies differ')
    .argument('<loglet>', 'loglet id as <log>_<segment> (e.g. 1_0) or raw number')
    .addOption(new Option('--from <offset>', 'first offset').argParser(offset))
    .addOption(new Option('--to <offset>', 'offset to stop before').argParser(offset))
    .option('-u, --under-replicated-only', 'only offsets with fewer copies than the replication, or whose copies differ')
    .addHelpText('after', examples('cairnctl replicated-loglet digest 0_0', 'cairnctl replicated-loglet digest 1_1 -u'))
    .action(action(() => import('./digest'), ([loglet], options) => ({ loglet: loglet as string, ...options }) as never));
  registerSetStorageState(
    group
      .command('set-storage-state')
      .addOption(
        new Option('--node-id <id>', 'the node id, e.g. 3 or N3')
          .argParser(asArgument(parsePlainId))
          .makeOptionMandatory(),
      ),
    action,
    (options) => [options.nodeId as number],
  ).addHelpText('after', `
The form of the troubleshooting guide; the same as \`cairnctl nodes set-storage-state\`.${examples("cairnctl replicated-loglet set-storage-state --node-id 3 --storage-state 'read-write' --force")}`);
};
