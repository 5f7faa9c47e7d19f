// What a chaos run prints about a violation: the check, the explanation, and the minimal history
// around it (the operations on that key overlapping the bad stretch), with what the log itself
// holds for the key when that helps tell a lost write from a duplicated append.
import { decodeRecord } from '../../src/server/bifrost/record';
import { decodeFrame } from '../../src/server/bifrost/wire';
import { routePath } from '../../src/api/routes';
import type { PartitionTable } from '../../src/api/schemas';
import { partitionForKey } from '../../src/server/worker/partitioning';
import type { Violation } from './checks/register';
import type { ChaosCluster } from './cluster';
import { formatOp, valueName, type Op } from './history';

const MAX_HISTORY_LINES = 40;

/** The operations on the violation's key that overlap its window, witnesses always included. */
export function minimalHistory(violation: Violation, ops: readonly Op[]): Op[] {
  const witnesses = new Set(violation.witnesses);
  if (!violation.key || !violation.window) return [...witnesses];
  const [from, to] = violation.window;
  const around = ops.filter((op) => op.key === violation.key && op.outcome !== 'fail' && op.invoke <= to && op.complete >= from && !witnesses.has(op));
  const room = Math.max(0, MAX_HISTORY_LINES - witnesses.size);
  return [...witnesses, ...around.slice(0, room)].sort((a, b) => a.invoke - b.invoke);
}

export function formatViolation(index: number, violation: Violation, ops: readonly Op[], logEvidence?: string): string {
  const lines = [`violation ${index} [${violation.check}]${violation.key ? ` key ${violation.key}` : ''}: ${violation.message}`];
  const history = minimalHistory(violation, ops);
  if (history.length) {
    lines.push(`  minimal history (witnesses marked *):`);
    for (const op of history) lines.push(`${violation.witnesses.includes(op) ? '*' : ' '}${formatOp(op).slice(1)}`);
    const hidden = ops.filter((op) => op.key === violation.key && op.invoke <= (violation.window?.[1] ?? -1) && op.complete >= (violation.window?.[0] ?? 0)).length - history.length;
    if (hidden > 0) lines.push(`  ... and ${hidden} more operations on ${violation.key} in that stretch (failed ones left out)`);
  }
  if (logEvidence) lines.push(logEvidence);
  return lines.join('\n');
}

/**
 * Where the values of a violation's witnesses sit in the key's partition log (LSN order), read
 * from the trim point on: a value that appears twice is an append applied twice; a value missing
 * from an untrimmed log was never committed.
 */
export async function logEvidence(cluster: ChaosCluster, table: PartitionTable, violation: Violation): Promise<string | undefined> {
  if (!violation.key || !violation.witnesses.length) return undefined;
  const logId = partitionForKey(violation.key, table).log_id;
  const chain = (await cluster.logs()).logs.find((c) => c.log_id === logId);
  const reader = cluster.nodes.find((n) => cluster.isRunning(n.name)) ?? cluster.nodes[0]!;
  const entries: Array<{ name: string; lsn: number }> = [];
  let from = (chain?.trim_point ?? 0) + 1;
  for (;;) {
    const url = `${reader.address}${routePath('logRecords', { log: logId })}?from=${from}&max_records=5000`;
    const response = await cluster.http.request(url, { timeoutMs: 10_000 });
    if (response.status !== 200) return `  log ${logId}: could not read it through ${reader.name} (HTTP ${response.status})`;
    const { header, records } = decodeFrame<{ from: number; tail_lsn: number }>(response.body);
    records.forEach((record, i) => {
      const { key, value } = decodeRecord(record);
      if (key === violation.key) entries.push({ name: valueName(value.toString('utf8')), lsn: header.from + i });
    });
    from = header.from + records.length;
    if (records.length === 0 || from >= header.tail_lsn) break;
  }
  // The witnesses' values and three records either side of each.
  const wanted = new Set(violation.witnesses.map((op) => valueName(op.value)));
  const shown = new Set<number>();
  entries.forEach((entry, i) => {
    if (wanted.has(entry.name)) for (let j = Math.max(0, i - 3); j <= Math.min(entries.length - 1, i + 3); j++) shown.add(j);
  });
  let text = '';
  let previous = -1;
  for (const i of [...shown].sort((a, b) => a - b)) {
    text += `${i !== previous + 1 ? ' ...' : ''} ${entries[i]!.name}@${entries[i]!.lsn}`;
    previous = i;
  }
  if (previous !== entries.length - 1 && entries.length) text += ' ...';
  const trimmed = chain?.trim_point ? ` from LSN ${chain.trim_point + 1} (trimmed below)` : '';
  return `  log ${logId} holds for ${violation.key}${trimmed} (value@LSN, in log order):${text || ' none of the witnesses\' values'}`;
}
