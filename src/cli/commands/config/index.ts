// `cairnctl config get`: the cluster's configuration, or one node's effective settings.
import { parsePlainId, parseReplication } from '../../../api/ids';
import { asArgument, wholeNumber } from '../../args';
import { defineCommand, defineGroup, flag, spec, value } from '../../registry';

export const configGetSpec = spec({
  path: ['config', 'get'],
  description: "Show the cluster configuration (partitions, their replication, the logs provider); with --node, that node's effective settings, secrets redacted",
  examples: ['cairnctl config get', 'cairnctl config get --node N2 -o json | jq .settings.snapshotDestination'],
  args: {},
  options: { node: value('--node <id>', "a node whose own settings to show, e.g. N2 or 2", { parse: asArgument(parsePlainId) }) },
});

export const configSetSpec = spec({
  path: ['config', 'set'],
  description: "Change the cluster configuration (partition and log replication, nodeset size): a diff of the tree, a prompt, then compare-and-set writes",
  examples: ['cairnctl config set --log-replication 3 --dry-run', 'cairnctl config set -r 2 --nodeset-size 0 --yes'],
  args: {},
  options: {
    numPartitions: value('-n, --num-partitions <n>', 'number of partitions (only before any exist: no repartitioning)', { parse: wholeNumber('a partition count', 1, 65535) }),
    replication: value('-r, --replication <rp>', 'log and partition replication, e.g. 2 or {node: 2}', {
      parse: asArgument(parseReplication),
      conflicts: ['logReplication', 'partitionReplication'],
    }),
    logReplication: value('--log-replication <rp>', 'log replication (new segments use it)', { parse: asArgument(parseReplication) }),
    partitionReplication: value('--partition-replication <rp>', 'partition replication', { parse: asArgument(parseReplication) }),
    nodesetSize: value('--nodeset-size <n>', 'target nodeset size (0: all writeable log-servers)', { parse: wholeNumber('a nodeset size', 0, 128) }),
    dryRun: flag('--dry-run', 'show the diff and change nothing'),
    force: flag('--force', 'skip the check that enough log-servers and workers exist for the replication'),
  },
});

export const configCommands = [
  defineGroup(['config'], 'Cluster configuration'),
  defineCommand(configGetSpec, () => import('./get')),
  defineCommand(configSetSpec, () => import('./set')),
];
