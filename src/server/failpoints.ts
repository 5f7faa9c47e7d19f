// Failpoints for fault tests, after etcd's: CAIRN_FAILPOINTS="name=count,..." in a node's
// environment makes the named point fail its first `count` passes in that process, so a test can
// stop an operation between two steps that no outside fault separates reliably. Unset, nothing fails.
import { ApiError } from '../api/errors';

const remaining = new Map<string, number>(
  (process.env.CAIRN_FAILPOINTS ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [name, count] = entry.split('=');
      return [name!, Number(count ?? 1) || 1];
    }),
);

/** Throws UNAVAILABLE (as an unreachable store would) while `name` has passes left to fail. */
export function failpoint(name: string): void {
  const left = remaining.get(name);
  if (!left) return;
  remaining.set(name, left - 1);
  throw new ApiError('UNAVAILABLE', `failpoint ${name} (CAIRN_FAILPOINTS)`);
}
