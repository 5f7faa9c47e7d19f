// `cairnctl status`.
import { defineCommand, flag, spec } from '../../registry';
import { watchOptions } from '../../watch-options';

export const statusSpec = spec({
  path: ['status'],
  description: 'Print cluster status overview: every node, its uptime, metadata role, nodeset and sequencer load',
  examples: ['cairnctl status', 'cairnctl status --extra', "cairnctl status -o json | jq '.nodes[] | select(.alive | not)'"],
  args: {},
  options: {
    ...watchOptions,
    extra: flag('--extra', 'then nodes list --extra, logs list, partitions list and metadata-server list-servers (one JSON document with all of them)'),
  },
});

export const statusCommands = [defineCommand(statusSpec, () => import('./status'))];
