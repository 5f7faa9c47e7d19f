// Whether a pid written to cluster.json is still the process `local up` started: pids are recycled,
// so the process must also carry something of ours on its command line.
import { readFileSync } from 'node:fs';

/** True if `pid` is running with `marker` on its command line (not a recycled pid, not a zombie:
 *  a zombie's command line is empty). */
export function runsWith(pid: number, marker: string): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    // No /proc (not Linux): the signal check is all we have.
    return true;
  }
}
