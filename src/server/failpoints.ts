// Failpoints for fault tests, after etcd's: CAIRN_FAILPOINTS="name=count,..." in a node's
// environment makes the named point fail its first `count` passes in that process, and
// "name=count@skip" the `count` passes after the first `skip` ones (a point that start-up passes
// too, such as the log store's fdatasync), so a test can cause a fault that no outside one causes
// reliably. A test that runs the code in its own process arms a point with armFailpoint instead.
// Unset, nothing fails.
import { ApiError } from '../api/errors';

interface Plan {
  skip: number;
  fail: number;
}

const plans = new Map<string, Plan>(
  (process.env.CAIRN_FAILPOINTS ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [name, rest = '1'] = entry.split('=');
      const [fail, skip] = rest.split('@');
      return [name!, { fail: Number(fail) || 1, skip: Number(skip ?? 0) || 0 }];
    }),
);

/** Makes the next `fail` passes of `name` in this process fail (after `skip` passes). */
export function armFailpoint(name: string, fail: number, skip = 0): void {
  plans.set(name, { fail, skip });
}

/** True if this pass of `name` is to fail (and counts it). */
export function failpointHit(name: string): boolean {
  const plan = plans.get(name);
  if (!plan) return false;
  if (plan.skip > 0) {
    plan.skip--;
    return false;
  }
  if (plan.fail === 0) return false;
  plan.fail--;
  return true;
}

export function failpointMessage(name: string): string {
  return `failpoint ${name} (CAIRN_FAILPOINTS)`;
}

/** Throws UNAVAILABLE (as an unreachable store would) while `name` has passes left to fail. */
export function failpoint(name: string): void {
  if (failpointHit(name)) throw new ApiError('UNAVAILABLE', failpointMessage(name));
}
