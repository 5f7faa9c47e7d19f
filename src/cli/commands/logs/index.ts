// `cairnctl logs ...`.
import { parsePlainId, parseReplication } from '../../../api/ids';
import { idList, idRanges, nodeIds, wholeNumber } from '../../args';
import { argument, defineCommand, defineGroup, flag, list, spec, text, value } from '../../registry';
import { watchOptions } from '../../watch-options';

const segmentCount = wholeNumber('a segment count');
const segmentIndex = wholeNumber('a segment index');
const lsn = wholeNumber('an LSN');
const someLogs = argument('[log-ids...]', 'log ids, e.g. 0 2-3 (all logs without ids)', idList);
const logs = argument('<log-ids...>', 'log ids, e.g. 0 2-3', idList);

export const logsListSpec = spec({
  path: ['logs', 'list'],
  aliases: ['ls'],
  description: "List the logs: each log's tail segment, its loglet, replication, sequencer and nodeset",
  examples: ['cairnctl logs list', "cairnctl logs list -o json | jq '.logs[] | {log_id, sequencer_node_id}'", 'cairnctl logs list --watch'],
  args: {},
  options: { ...watchOptions },
});

export const logsDescribeSpec = spec({
  path: ['logs', 'describe'],
  description: 'Show the chain of segments of logs; ▶︎ marks the tail segment',
  examples: ['cairnctl logs describe 1', 'cairnctl logs describe 1 --from-segment-id 40 --head 10', 'cairnctl logs describe --all --extra -o json'],
  args: { ids: someLogs },
  options: {
    skip: value('--skip <n>', 'leave out the first n segments (then --tail, --head or --all choose from the rest)', { parse: segmentCount, conflicts: ['fromSegmentId'] }),
    fromSegmentId: value('--from-segment-id <index>', 'leave out the segments before this index', { parse: segmentIndex }),
    tail: value('--tail <n>', 'show the last n segments', { parse: segmentCount, default: 25, conflicts: ['head', 'all'] }),
    head: value('--head <n>', 'show the first n segments', { parse: segmentCount, conflicts: ['all'] }),
    all: flag('--all', 'show every segment'),
    extra: flag('--extra', "also the trim point and each segment's loglet parameters"),
  },
});

export const findTailSpec = spec({
  path: ['logs', 'find-tail'],
  description: 'Find the tail of logs: the tail segment, whether it is OPEN or SEALED, and the tail LSN',
  examples: ['cairnctl logs find-tail 0', 'cairnctl logs find-tail 0-3 -o json'],
  args: { ids: logs },
  options: {},
});

export const sealSpec = spec({
  path: ['logs', 'seal'],
  description: 'Seal the tail segment of logs; the cluster controller then extends each chain with a new segment',
  examples: ['cairnctl logs seal 1 --reason "moving the sequencer"', 'cairnctl logs seal 0-3 --yes'],
  args: { ids: logs },
  options: {
    reason: text('--reason <text>', 'why, recorded in the seal marker'),
    segmentIndex: value('-i, --segment-index <n>', 'only if the tail segment still has this index (default: the tail when the command read the logs)', { parse: segmentIndex }),
  },
});

export const trimSpec = spec({
  path: ['logs', 'trim'],
  description: "Trim logs up to an LSN (inclusive); refused past the partition's archived LSN unless --force",
  details:
    "The archived LSN is that of the oldest snapshot the partition's repository retains; trimming past it leaves\na trim gap that a processor without the records can only cross from a newer snapshot.",
  examples: ['cairnctl logs trim 0 --trim-point 632 --dry-run', 'cairnctl snapshots create-snapshot 0 && cairnctl logs trim 0 -t 632 --yes'],
  args: { ids: logs },
  options: {
    trimPoint: value('-t, --trim-point <lsn>', 'trim up to this LSN (inclusive)', { parse: lsn, required: true }),
    force: flag('--force', '[dangerous] trim past the archived LSN: processors that need those records cannot recover them'),
    dryRun: flag('--dry-run', 'show what would be trimmed and change nothing'),
  },
});

export const reconfigureSpec = spec({
  path: ['logs', 'reconfigure'],
  description: 'Seal the tail segment and extend the chain with a new one (new sequencer, nodeset or replication)',
  examples: ['cairnctl logs reconfigure -l 1 --sequencer N3 --dry-run', 'cairnctl logs reconfigure -l 0-3 --nodeset N1,N2,N3 --yes'],
  args: {},
  options: {
    logId: list('-l, --log-id <ids>', 'log ids, e.g. 1 or 0-3 (repeatable)', idRanges, { required: true }),
    sequencer: value('--sequencer <node>', 'node to run the new sequencer, e.g. N2', { parse: parsePlainId }),
    nodeset: value('--nodeset <nodes>', 'log-servers of the new segment, e.g. N1,N2,N3', { parse: nodeIds }),
    replication: value('--replication <rp>', 'replication of the new segment, e.g. 2 or {node: 2}', { parse: parseReplication }),
    segmentIndex: value('-i, --segment-index <n>', 'only if the tail segment still has this index (default: the tail when the command read the logs)', { parse: segmentIndex }),
    reason: text('--reason <text>', 'why, recorded in the logs'),
    dryRun: flag('--dry-run', 'show the new segment and change nothing'),
  },
});

export const logsCommands = [
  defineGroup(['logs'], 'Log operations'),
  defineCommand(logsListSpec, () => import('./list')),
  defineCommand(logsDescribeSpec, () => import('./describe')),
  defineCommand(findTailSpec, () => import('./find-tail')),
  defineCommand(sealSpec, () => import('./seal')),
  defineCommand(trimSpec, () => import('./trim')),
  defineCommand(reconfigureSpec, () => import('./reconfigure')),
];
