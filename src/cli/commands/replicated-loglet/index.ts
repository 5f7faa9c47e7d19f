// `cairnctl replicated-loglet ...`, including the troubleshooting guide's form of set-storage-state.
import { parsePlainId } from '../../../api/ids';
import { asArgument, wholeNumber } from '../../args';
import { argument, defineCommand, defineGroup, flag, spec, value } from '../../registry';
import { watchOptions } from '../../watch-options';
import { storageStateHelp, storageStateOptions } from '../nodes/index';

const offset = wholeNumber('an offset', 1);
const loglet = argument('<loglet>', 'loglet id as <log>_<segment> (e.g. 1_0) or raw number', (raw) => String(raw));

export const serversSpec = spec({
  path: ['replicated-loglet', 'servers'],
  aliases: ['list-servers', 'nodes'],
  description: 'List the log-servers: storage state and how many loglets each one holds',
  examples: ['cairnctl replicated-loglet servers', 'cairnctl replicated-loglet list-servers -o json', 'cairnctl replicated-loglet servers --watch --interval 1s'],
  args: {},
  options: { ...watchOptions },
});

export const infoSpec = spec({
  path: ['replicated-loglet', 'info'],
  description: "A loglet's parameters and each log-server's local tail, global tail, trim point and seal",
  examples: ['cairnctl replicated-loglet info 1_0', 'cairnctl replicated-loglet info 4294967296 -o json'],
  args: { loglet },
  options: {},
});

export const digestSpec = spec({
  path: ['replicated-loglet', 'digest'],
  description: 'Which log-server holds which offset of a loglet; U marks under-replicated offsets, D offsets whose copies differ',
  examples: ['cairnctl replicated-loglet digest 0_0', 'cairnctl replicated-loglet digest 1_1 -u'],
  args: { loglet },
  options: {
    from: value('--from <offset>', 'first offset', { parse: offset }),
    to: value('--to <offset>', 'offset to stop before', { parse: offset }),
    underReplicatedOnly: flag('-u, --under-replicated-only', 'only offsets with fewer copies than the replication, or whose copies differ'),
  },
});

export const legacySetStorageStateSpec = spec({
  path: ['replicated-loglet', 'set-storage-state'],
  description: "[dangerous] low-level change of a log-server's storage-state (the form of the troubleshooting guide)",
  details: `The same as \`cairnctl nodes set-storage-state\`.\n\n${storageStateHelp}`,
  examples: ["cairnctl replicated-loglet set-storage-state --node-id 3 --storage-state 'read-write' --force"],
  args: {},
  options: {
    nodeId: value('--node-id <id>', 'the node id, e.g. 3 or N3', { parse: asArgument(parsePlainId), required: true }),
    ...storageStateOptions,
  },
});

export const replicatedLogletCommands = [
  defineGroup(['replicated-loglet'], '[low-level] Commands that operate on replicated loglets'),
  defineCommand(serversSpec, () => import('./servers')),
  defineCommand(infoSpec, () => import('./info')),
  defineCommand(digestSpec, () => import('./digest')),
  defineCommand(legacySetStorageStateSpec, () => import('../nodes/set-storage-state').then(({ run }) => ({ run: (ctx, args) => run(ctx, { ...args, nodes: [args.nodeId] }) }))),
];
