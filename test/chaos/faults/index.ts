// The fault table: name -> a fresh fault module for one run. Add a kind here and `--faults` accepts
// it; nothing else changes. A fault that cannot run on this cluster (no tmpfs, no etcd) says so in
// its `prepare` and is left out of the run.
import type { Fault } from '../nemesis';
import { diskFullFault } from './disk-full';
import { etcdKillFault, killWithEtcdFault } from './etcd';
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
  'etcd-kill': etcdKillFault,
  'kill-with-etcd': killWithEtcdFault,
};
