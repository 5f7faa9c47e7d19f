// `cairnctl status`.
import { defineCommand, spec } from '../../registry';

export const statusSpec = spec({
  path: ['status'],
  description: 'Print cluster status overview: every node, its uptime, metadata role, nodeset and sequencer load',
  examples: ['cairnctl status', "cairnctl status -o json | jq '.nodes[] | select(.alive | not)'"],
  args: {},
  options: {},
});

export const statusCommands = [defineCommand(statusSpec, () => import('./status'))];
