// `cairnctl metadata-server ...` (alias `ms`): the servers of the metadata store.
import { defineCommand, defineGroup, spec } from '../../registry';

export const listServersSpec = spec({
  path: ['metadata-server', 'list-servers'],
  aliases: ['ls'],
  description: "List the metadata store's servers (etcd members, or the embedded server): leader, members, raft indexes, size",
  examples: ['cairnctl metadata-server list-servers', 'cairnctl ms ls -o json'],
  args: {},
  options: {},
});

export const metadataServerCommands = [
  defineGroup(['metadata-server'], 'Commands that operate on the metadata store (etcd members or the embedded server)', ['ms']),
  defineCommand(listServersSpec, () => import('./list-servers')),
];
