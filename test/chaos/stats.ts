// Figures of a run that are not pass/fail but tell where it hurt: outcomes, why operations failed
// (a 500 where a 503 belongs, say), and each partition's longest stretch without an acknowledged
// write (a partition stuck behind a paused sequencer long after failover).
import type { PartitionTable } from '../../src/api/schemas';
import { partitionForKey } from '../../src/server/worker/partitioning';
import { seconds, type History } from './history';

const SHOWN_REASONS = 8;

export function summarize(history: History, table: PartitionTable): string[] {
  const ops = history.ops;
  const count = (kind: 'write' | 'read', outcome: string) => ops.filter((op) => op.kind === kind && op.outcome === outcome).length;
  const lines = [
    `chaos: writes ${count('write', 'ok')} ok / ${count('write', 'fail')} failed / ${count('write', 'info')} unknown; ` +
      `reads ${count('read', 'ok')} ok / ${count('read', 'fail') + count('read', 'info')} failed`,
  ];

  const reasons = new Map<string, number>();
  for (const op of ops) {
    if (op.outcome === 'ok') continue;
    // "HTTP 503 UNAVAILABLE log 2: ..." counts as "read HTTP 503 UNAVAILABLE".
    const reason = `${op.kind} ${(op.detail ?? op.outcome).split(' ').slice(0, 3).join(' ')}`;
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, SHOWN_REASONS);
  if (top.length) lines.push(`chaos: failures by reason: ${top.map(([reason, n]) => `${reason}: ${n}`).join('; ')}`);

  const acks = new Map<number, number[]>();
  for (const op of ops) {
    if (op.kind !== 'write' || op.outcome !== 'ok' || !op.client.startsWith('c')) continue;
    const partition = partitionForKey(op.key, table).id;
    const list = acks.get(partition) ?? [];
    list.push(op.complete);
    acks.set(partition, list);
  }
  // A loop, not Math.max(...): a long run's ops are more arguments than the stack holds.
  const end = ops.reduce((latest, op) => (op.client.startsWith('c') ? Math.max(latest, op.complete) : latest), 0);
  const stalls = table.partitions.map(({ id }) => {
    const times = [0, ...(acks.get(id) ?? []).sort((a, b) => a - b), end];
    let longest = { from: 0, gap: 0 };
    for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > longest.gap) longest = { from: times[i - 1]!, gap: times[i]! - times[i - 1]! };
    return `p${id} ${seconds(longest.gap)} from ${seconds(longest.from)}`;
  });
  lines.push(`chaos: longest stretch without an acknowledged write: ${stalls.join(', ')}`);
  return lines;
}
