import { Option, type Command } from 'commander';
import { asArgument } from '../../args';
import { parsePlainId } from '../../../api/ids';
import { STORAGE_STATES, WORKER_STATES } from '../../../api/schemas';
import { STORAGE_STATE_MEANING, WORKER_STATE_MEANING } from '../../../api/states';
import { examples, type Action, type Register } from '../../program';

/** `N1,N2` or `3`, repeatable. */
const plainIds = asArgument((text: string) => text.split(',').filter(Boolean).map(parsePlainId));

export function nodeIds(value: string, previous: number[] = []): number[] {
  return [...new Set([...previous, ...plainIds(value)])];
}

export const storageStateHelp = `\nStorage states:\n${STORAGE_STATES.map((s) => `  ${s.padEnd(13)} ${STORAGE_STATE_MEANING[s]}`).join('\n')}\n\nWithout --force only safe changes pass: read-write <-> read-only, provisioning -> disabled.`;

/** Options every node change takes. */
export function changeOptions(command: Command): Command {
  return command
    .option('--force', '[dangerous] skip the role, transition and feasibility checks (never the existence and generation checks)')
    .option('--dry-run', 'show what would change and change nothing')
    .option('-y, --yes', 'confirm without a prompt (required when not on a terminal)');
}

/** Registers a storage-state command (shared by `nodes` and the legacy `replicated-loglet` form). */
export function registerSetStorageState(command: Command, action: Action, ids: (options: Record<string, unknown>) => number[]): Command {
  return changeOptions(
    command
      .description("[dangerous] low-level change of log-servers' storage-state")
      .addOption(new Option('--storage-state <state>', 'the new storage-state').choices(STORAGE_STATES).makeOptionMandatory())
      .option('--reason <text>', 'why, recorded with the change (nodes list --extra -o json shows it)'),
  )
    .addHelpText('after', storageStateHelp)
    .action(action(() => import('./set-storage-state'), (_, options) => ({ ...options, ids: ids(options) }) as never));
}

export const registerNodes: Register = (program, action) => {
  const nodes = program.command('nodes').description('Cluster node status');
  nodes
    .command('list')
    .alias('ls')
    .description('List the nodes of the nodes configuration')
    .option('--extra', 'also probe every node: storage and worker state, uptime, role status, metadata versions seen')
    .addHelpText('after', examples('cairnctl nodes list', 'cairnctl nodes list --extra -o json'))
    .action(action(() => import('./list'), (_, options) => ({ extra: !!options.extra })));

  registerSetStorageState(
    nodes
      .command('set-storage-state')
      .requiredOption('--nodes <ids>', 'node ids, e.g. N3 or 1,2 (repeatable)', nodeIds)
      .addOption(new Option('--node <ids>').argParser(nodeIds).hideHelp()),
    action,
    (options) => [...((options.nodes as number[]) ?? []), ...((options.node as number[]) ?? [])],
  ).addHelpText('after', examples('cairnctl nodes set-storage-state --nodes N3 --storage-state read-only', 'cairnctl nodes set-storage-state --nodes N3 --storage-state read-write --force --reason "disk verified intact"'));

  changeOptions(
    nodes
      .command('set-worker-state')
      .description("Change workers' state (which nodes run partition processors)")
      .requiredOption('--nodes <ids>', 'node ids, e.g. N2 or 1,2 (repeatable)', nodeIds)
      .addOption(new Option('--worker-state <state>', 'the new worker-state').choices(WORKER_STATES).makeOptionMandatory()),
  )
    .addHelpText('after', `\nWorker states:\n${WORKER_STATES.map((s) => `  ${s.padEnd(13)} ${WORKER_STATE_MEANING[s]}`).join('\n')}${examples('cairnctl nodes set-worker-state --nodes N2 --worker-state draining')}`)
    .action(action(() => import('./set-worker-state'), (_, options) => ({ ...options, ids: options.nodes }) as never));

  changeOptions(
    nodes
      .command('remove')
      .alias('rm')
      .description('Remove nodes from the cluster; their ids become tombstones and are never reused')
      .requiredOption('--nodes <ids>', 'node ids, e.g. N4 (repeatable)', nodeIds),
  )
    .addHelpText(
      'after',
      `\nA node can be removed once its storage-state is not read-write, no loglet's nodeset holds it, and it\nholds no metadata store.${examples('cairnctl nodes remove --nodes N4 --dry-run', 'cairnctl nodes remove --nodes N4 --yes')}`,
    )
    .action(action(() => import('./remove'), (_, options) => ({ ...options, ids: options.nodes }) as never));
};
