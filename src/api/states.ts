// Log-server storage states and worker states: what each allows, and which changes are safe, as in
// the reference (restatectl.md section 3). Shared by the server's checks and the CLI's help.
import type { StorageState, WorkerState } from './schemas';

export const STORAGE_STATE_MEANING: Record<StorageState, string> = {
  provisioning: 'not in any write set yet; the log-server moves itself to read-write once its storage marker is written',
  disabled: 'holds no data to read or write; outside every effective nodeset and safe to decommission (terminal)',
  'read-only': 'not picked for new nodesets, but takes writes on existing ones and takes part in seals (drain)',
  gone: 'like read-only, but the node and whatever it stored are lost for good',
  'read-write': 'picked for new nodesets and takes writes on existing ones (normal)',
  'data-loss': 'lost some or all of its storage; not authoritative for quorum decisions',
};

/** Whether stores may go to a log-server in this state (existing nodesets). */
export const canWriteTo = (state: StorageState) => state === 'read-write' || state === 'read-only';

/** Whether a log-server in this state is chosen for new nodesets. */
export const shouldWriteTo = (state: StorageState) => state === 'read-write';

/** Whether its answers count towards an f-majority (seal, tail). */
export const isAuthoritative = (state: StorageState) => state !== 'data-loss';

/** Whether it belongs to the effective nodeset. */
export const holdsData = (state: StorageState) => state !== 'disabled';

const SAFE_STORAGE: ReadonlyArray<[StorageState, StorageState]> = [
  ['provisioning', 'disabled'],
  ['read-only', 'read-write'],
  ['read-write', 'read-only'],
];

export function isSafeStorageTransition(from: StorageState, to: StorageState): boolean {
  return from === to || SAFE_STORAGE.some(([a, b]) => a === from && b === to);
}

export const WORKER_STATE_MEANING: Record<WorkerState, string> = {
  provisioning: 'not running partition processors yet',
  active: 'runs partition processors and is picked for replica sets',
  draining: 'keeps its processors for now but is not picked for new replica sets',
  disabled: 'runs no partition processors',
};

export function isSafeWorkerTransition(from: WorkerState, to: WorkerState): boolean {
  if (from === to || from === 'provisioning') return true;
  return (from === 'active' && to === 'draining') || (from === 'draining' && to === 'active') || (from === 'disabled' && to === 'active');
}
