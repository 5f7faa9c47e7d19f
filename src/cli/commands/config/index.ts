// `cairnctl config get`: the cluster's configuration, or one node's effective settings.
import { parsePlainId } from '../../../api/ids';
import { asArgument } from '../../args';
import { defineCommand, defineGroup, spec, value } from '../../registry';

export const configGetSpec = spec({
  path: ['config', 'get'],
  description: "Show the cluster configuration (partitions, their replication, the logs provider); with --node, that node's effective settings, secrets redacted",
  examples: ['cairnctl config get', 'cairnctl config get --node N2 -o json | jq .settings.snapshotDestination'],
  args: {},
  options: { node: value('--node <id>', "a node whose own settings to show, e.g. N2 or 2", { parse: asArgument(parsePlainId) }) },
});

export const configCommands = [defineGroup(['config'], 'Cluster configuration'), defineCommand(configGetSpec, () => import('./get'))];
