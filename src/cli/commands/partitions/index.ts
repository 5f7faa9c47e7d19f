// `cairnctl partitions ...`: processors (list), and the operator's hold on each partition's
// placement (its replica set) and leadership, as restatectl 1.7 has them.
import { parsePlainId } from '../../../api/ids';
import { idList, nodeIds, wholeNumber } from '../../args';
import { argument, defineCommand, defineGroup, spec, text, value } from '../../registry';
import { watchOptions } from '../../watch-options';

const someIds = argument('[partition-ids...]', 'partition ids, e.g. 0 2-3 (all partitions without ids)', idList);
const ids = argument('<partition-ids...>', 'partition ids, e.g. 0 2-3', idList);
const partitionId = wholeNumber('a partition id');
const reason = (what: string) => value('--reason <text>', `why ${what} is frozen (shown by show, partitions list and doctor)`, { required: true });

export const partitionsListSpec = spec({
  path: ['partitions', 'list'],
  aliases: ['ls', 'status'],
  description: 'List the partition processors of the alive nodes, the dead nodes, and the partitions operators pinned or froze',
  examples: ['cairnctl partitions list', 'cairnctl partitions list --sort node -o json'],
  args: {},
  options: {
    sort: value('--sort <order>', 'row order', { choices: ['partition', 'node', 'active'] as const, default: 'partition' }),
    ...watchOptions,
  },
});

const FREEZE_DETAILS = 'While frozen, the cluster controller does not change it, even when a node of it is gone: `cairnctl doctor`\nreports such partitions with the command that unfreezes them.';

export const placementShowSpec = spec({
  path: ['partitions', 'placement', 'show'],
  description: "Show each partition's replica set (its version) and whether the controller may change it",
  examples: ['cairnctl partitions placement show', 'cairnctl partitions placement show 0 2-3 -o json'],
  args: { ids: someIds },
  options: {},
});

export const placementSetSpec = spec({
  path: ['partitions', 'placement', 'set'],
  description: "Set a partition's replica set (the workers that run it), optionally freezing it there",
  details: `Without --freeze the controller may change the set again later (to replace a node that is gone, or to\nrebalance). An empty replica set stops the partition everywhere and asks first.\n\n${FREEZE_DETAILS}`,
  examples: ['cairnctl partitions placement set 1 --replicas 1,3', 'cairnctl partitions placement set 1 -r N1,N3 --freeze "disk swap on N2"'],
  args: { id: argument('<partition-id>', 'the partition', (raw) => partitionId(String(raw))) },
  options: {
    replicas: value('-r, --replicas <nodes>', 'the replica set, e.g. 1,3 or N1,N3 ("" for none)', { parse: nodeIds, required: true }),
    freeze: text('--freeze <reason>', 'also freeze the placement, for this reason'),
  },
});

export const placementFreezeSpec = spec({
  path: ['partitions', 'placement', 'freeze'],
  description: 'Freeze the replica sets of partitions: the controller stops changing them',
  details: FREEZE_DETAILS,
  examples: ['cairnctl partitions placement freeze 1 --reason "disk swap on N2"', 'cairnctl partitions placement freeze 0-3 --reason maintenance -o json'],
  args: { ids },
  options: { reason: reason('the placement') },
});

export const placementUnfreezeSpec = spec({
  path: ['partitions', 'placement', 'unfreeze'],
  description: 'Let the controller manage the replica sets of partitions again',
  examples: ['cairnctl partitions placement unfreeze 1', 'cairnctl partitions placement unfreeze 0-3'],
  args: { ids },
  options: {},
});

export const leadershipShowSpec = spec({
  path: ['partitions', 'leadership', 'show'],
  description: "Show each partition's leader, the node it is pinned to, and whether leader election is frozen",
  details: 'LEADER is `N2`, `none`, `N1 → 2` (pinned to N2, not moved there yet) or `N1 → 2 ✗` (N2 is not in the replica set).',
  examples: ['cairnctl partitions leadership show', 'cairnctl partitions leadership show 1 -o json'],
  args: { ids: someIds },
  options: {},
});

export const leadershipPinSpec = spec({
  path: ['partitions', 'leadership', 'pin'],
  description: "Pin partitions' leader to a node: it leads whenever it is alive and caught up",
  details: 'A pinned node that is not in the replica set joins it (unless the placement is frozen). While the node is\ngone, another replica leads; leadership moves back once it has caught up again.',
  examples: ['cairnctl partitions leadership pin 1 --node N3', 'cairnctl partitions leadership pin 0-3 --node 2 -o json'],
  args: { ids },
  options: { node: value('--node <node>', 'the node to lead, e.g. N3 or 3', { parse: parsePlainId, required: true }) },
});

export const leadershipUnpinSpec = spec({
  path: ['partitions', 'leadership', 'unpin'],
  description: "Let the controller choose partitions' leader again",
  examples: ['cairnctl partitions leadership unpin 1'],
  args: { ids },
  options: {},
});

export const leadershipFreezeSpec = spec({
  path: ['partitions', 'leadership', 'freeze'],
  description: 'Freeze leader election of partitions: the controller neither moves the leader nor replaces one that is gone',
  details: FREEZE_DETAILS,
  examples: ['cairnctl partitions leadership freeze 1 --reason "investigating N3"'],
  args: { ids },
  options: { reason: reason('leader election') },
});

export const leadershipUnfreezeSpec = spec({
  path: ['partitions', 'leadership', 'unfreeze'],
  description: 'Let the controller elect partition leaders again (a leader that is gone is replaced at once)',
  examples: ['cairnctl partitions leadership unfreeze 1', 'cairnctl partitions leadership unfreeze 0-3'],
  args: { ids },
  options: {},
});

export const partitionsCommands = [
  defineGroup(['partitions'], 'Partition processors: leaders, followers, applied and archived LSNs; placement and leadership'),
  defineCommand(partitionsListSpec, () => import('./list')),
  defineGroup(['partitions', 'placement'], 'Replica sets of partitions: show, set, freeze and unfreeze'),
  defineCommand(placementShowSpec, () => import('./show').then((m) => m.placement)),
  defineCommand(placementSetSpec, () => import('./policy').then((m) => m.placementSet)),
  defineCommand(placementFreezeSpec, () => import('./policy').then((m) => m.freezePlacement)),
  defineCommand(placementUnfreezeSpec, () => import('./policy').then((m) => m.unfreezePlacement)),
  defineGroup(['partitions', 'leadership'], 'Leaders of partitions: show, pin, unpin, freeze and unfreeze'),
  defineCommand(leadershipShowSpec, () => import('./show').then((m) => m.leadership)),
  defineCommand(leadershipPinSpec, () => import('./policy').then((m) => m.pinLeader)),
  defineCommand(leadershipUnpinSpec, () => import('./policy').then((m) => m.unpinLeader)),
  defineCommand(leadershipFreezeSpec, () => import('./policy').then((m) => m.freezeLeadership)),
  defineCommand(leadershipUnfreezeSpec, () => import('./policy').then((m) => m.unfreezeLeadership)),
];
