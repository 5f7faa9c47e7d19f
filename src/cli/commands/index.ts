// The registry: every command of cairnctl, in the order `--help` lists them. To add a command,
// declare its spec in its noun's index.ts and add `defineCommand(spec, () => import('./verb'))` to
// that noun's list; a new noun's list goes here. The commander tree, prefix matching, help and the
// completion scripts all come from this list.
import type { Definition } from '../registry';
import { completionsCommands } from './completions/index';
import { configCommands } from './config/index';
import { doctorCommands } from './doctor/index';
import { logsCommands } from './logs/index';
import { metadataCommands } from './metadata/index';
import { metadataServerCommands } from './metadata-server/index';
import { nodesCommands } from './nodes/index';
import { partitionsCommands } from './partitions/index';
import { provisionCommands } from './provision/index';
import { replicatedLogletCommands } from './replicated-loglet/index';
import { snapshotsCommands } from './snapshots/index';
import { statusCommands } from './status/index';

export const COMMANDS: readonly Definition[] = [
  ...provisionCommands,
  ...statusCommands,
  ...doctorCommands,
  ...nodesCommands,
  ...partitionsCommands,
  ...logsCommands,
  ...snapshotsCommands,
  ...replicatedLogletCommands,
  ...metadataServerCommands,
  ...metadataCommands,
  ...configCommands,
  ...completionsCommands,
];
