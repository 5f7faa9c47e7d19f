// The fault table: name -> a fresh fault module for one run. Add a kind here (e.g. "kill an etcd
// member") and `--faults` accepts it; nothing else changes.
import type { Fault } from '../nemesis';
import { diskFullFault } from './disk-full';
import { killAllFault } from './kill-all';
import { killFault } from './kill';
import { pauseFault } from './pause';
import { sealFault } from './seal';
import { trimFault } from './trim';

export const FAULTS: Record<string, () => Fault> = {
  kill: killFault,
  pause: pauseFault,
  'disk-full': diskFullFault,
  trim: trimFault,
  seal: sealFault,
  'kill-all': killAllFault,
};
