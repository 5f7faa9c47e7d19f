// Figures of a run that are not pass/fail but tell where it hurt: outcomes, why operations failed
// (a 500 where a 503 belongs, say), and each partition's longest stretch without an acknowledged
// write (a partition stuck behind a paused sequencer long after failover), as the workload's clients
// saw it and as each partition's own probe did.
import type { PartitionTable } from '../../src/api/schemas';
import { partitionForKey } from '../../src/server/worker/partitioning';
import { PROBE_INTERVAL_MS, probeClient } from './client';
import { seconds, type History, type Op } from './history';

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

  const workload = (op: Op) => op.client.startsWith('c');
  lines.push(`chaos: longest stretch without an acknowledged write of the workload's clients: ${stretches(ops, table, workload, (op) => partitionForKey(op.key, table).id)}`);
  const probes = new Map(table.partitions.map(({ id }) => [probeClient(id), id]));
  lines.push(`chaos: longest stretch without an acknowledged write, per partition's probe (a write every ${PROBE_INTERVAL_MS} ms): ${stretches(ops, table, (op) => probes.has(op.client), (op) => probes.get(op.client)!)}`);
  return lines;
}

/** Each partition's longest stretch between acknowledged writes of the chosen clients (from 0 to their last op). */
function stretches(ops: readonly Op[], table: PartitionTable, chosen: (op: Op) => boolean, partitionOf: (op: Op) => number): string {
  const acks = new Map<number, number[]>();
  // A loop, not Math.max(...): a long run's ops are more arguments than the stack holds.
  let end = 0;
  for (const op of ops) {
    if (!chosen(op)) continue;
    end = Math.max(end, op.complete);
    if (op.kind !== 'write' || op.outcome !== 'ok') continue;
    const partition = partitionOf(op);
    const list = acks.get(partition);
    if (list) list.push(op.complete);
    else acks.set(partition, [op.complete]);
  }
  return table.partitions
    .map(({ id }) => {
      const times = [0, ...(acks.get(id) ?? []).sort((a, b) => a - b), end];
      let longest = { from: 0, gap: 0 };
      for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > longest.gap) longest = { from: times[i - 1]!, gap: times[i]! - times[i - 1]! };
      return `p${id} ${seconds(longest.gap)} from ${seconds(longest.from)}`;
    })
    .join(', ');
}
