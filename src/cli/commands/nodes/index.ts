// `cairnctl nodes ...`, and the options the storage-state command shares with its legacy form.
import { STORAGE_STATES, WORKER_STATES } from '../../../api/schemas';
import { STORAGE_STATE_MEANING, WORKER_STATE_MEANING } from '../../../api/states';
import { nodeIds } from '../../args';
import { defineCommand, defineGroup, flag, list, spec, text, value } from '../../registry';

const nodes = (example: string) => list('--nodes <ids>', `node ids, e.g. ${example} (repeatable) [alias: --node]`, nodeIds, { required: true, aliases: ['--node'] });

/** Options every node change takes. */
export const changeOptions = {
  force: flag('--force', '[dangerous] skip the role, transition and feasibility checks (never the existence and generation checks)'),
  dryRun: flag('--dry-run', 'show what would change and change nothing'),
};

export const storageStateOptions = {
  storageState: value('--storage-state <state>', 'the new storage-state', { choices: STORAGE_STATES, required: true }),
  reason: text('--reason <text>', 'why, recorded with the change (nodes list --extra -o json shows it)'),
  ...changeOptions,
};

export const storageStateHelp = `Storage states:\n${STORAGE_STATES.map((s) => `  ${s.padEnd(13)} ${STORAGE_STATE_MEANING[s]}`).join('\n')}\n\nWithout --force only safe changes pass: read-write <-> read-only, provisioning -> disabled.`;

export const nodesListSpec = spec({
  path: ['nodes', 'list'],
  aliases: ['ls'],
  description: 'List the nodes of the nodes configuration',
  examples: ['cairnctl nodes list', 'cairnctl nodes list --extra -o json'],
  args: {},
  options: { extra: flag('--extra', 'also probe every node: storage and worker state, uptime, role status, metadata versions seen') },
});

export const setStorageStateSpec = spec({
  path: ['nodes', 'set-storage-state'],
  description: "[dangerous] low-level change of log-servers' storage-state",
  details: storageStateHelp,
  examples: ['cairnctl nodes set-storage-state --nodes N3 --storage-state read-only', 'cairnctl nodes set-storage-state --nodes N3 --storage-state read-write --force --reason "disk verified intact"'],
  args: {},
  options: { nodes: nodes('N3 or 1,2'), ...storageStateOptions },
});

export const setWorkerStateSpec = spec({
  path: ['nodes', 'set-worker-state'],
  description: "Change workers' state (which nodes run partition processors)",
  details: `Worker states:\n${WORKER_STATES.map((s) => `  ${s.padEnd(13)} ${WORKER_STATE_MEANING[s]}`).join('\n')}`,
  examples: ['cairnctl nodes set-worker-state --nodes N2 --worker-state draining'],
  args: {},
  options: {
    nodes: nodes('N2 or 1,2'),
    workerState: value('--worker-state <state>', 'the new worker-state', { choices: WORKER_STATES, required: true }),
    ...changeOptions,
  },
});

export const removeSpec = spec({
  path: ['nodes', 'remove'],
  aliases: ['rm'],
  description: 'Remove nodes from the cluster; their ids become tombstones and are never reused',
  details: "A node can be removed once its storage-state is not read-write, no loglet's nodeset holds it, and it\nholds no metadata store.",
  examples: ['cairnctl nodes remove --nodes N4 --dry-run', 'cairnctl nodes remove --nodes N4 --yes'],
  args: {},
  options: { nodes: nodes('N4'), ...changeOptions },
});

export const nodesCommands = [
  defineGroup(['nodes'], 'Cluster node status'),
  defineCommand(nodesListSpec, () => import('./list')),
  defineCommand(setStorageStateSpec, () => import('./set-storage-state')),
  defineCommand(setWorkerStateSpec, () => import('./set-worker-state')),
  defineCommand(removeSpec, () => import('./remove')),
];
