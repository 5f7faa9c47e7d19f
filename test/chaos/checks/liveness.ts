// Liveness: once the faults are healed, every partition must take a write within 5 s. One key per
// partition (found through the same partitioning the ingress uses) is written through the
// ingresses in turn; when the 5 s pass without success the writes go on for up to a minute, so
// the report can say how long the partition was really stuck.
import type { PartitionTable } from '../../../src/api/schemas';
import { partitionForKey } from '../../../src/server/worker/partitioning';
import type { KvClient } from '../client';
import { seconds, type Op } from '../history';
import type { Violation } from './register';

export const LIVENESS_DEADLINE_MS = 5_000;
const DIAGNOSIS_DEADLINE_MS = 60_000;
const ATTEMPT_TIMEOUT_MS = 2_000;

/** The first key `<prefix>-<n>` that falls into each partition. */
export function partitionKeys(table: PartitionTable, prefix: string): Map<number, string> {
  const keys = new Map<number, string>();
  for (let n = 0; keys.size < table.partitions.length && n < 100_000; n++) {
    const key = `${prefix}-${n}`;
    const partition = partitionForKey(key, table).id;
    if (!keys.has(partition)) keys.set(partition, key);
  }
  return keys;
}

async function writeUntil(kv: KvClient, nodes: string[], key: string, partition: number, now: () => number): Promise<{ first?: Op; last?: Op }> {
  const start = now();
  let last: Op | undefined;
  for (let attempt = 0; now() - start < DIAGNOSIS_DEADLINE_MS; attempt++) {
    const node = nodes[(partition + attempt) % nodes.length]!;
    const left = start + (now() - start < LIVENESS_DEADLINE_MS ? LIVENESS_DEADLINE_MS : DIAGNOSIS_DEADLINE_MS) - now();
    last = await kv.put('liveness', node, key, `live-p${partition}-${attempt}:`, Math.max(100, Math.min(ATTEMPT_TIMEOUT_MS, left)));
    if (last.outcome === 'ok') return { first: last, last };
    await new Promise((r) => setTimeout(r, 100));
  }
  return { last };
}

export async function checkLiveness(kv: KvClient, nodes: string[], table: PartitionTable, now: () => number): Promise<{ violations: Violation[]; keys: string[] }> {
  const keys = partitionKeys(table, 'live');
  const start = now();
  const results = await Promise.all([...keys].map(async ([partition, key]) => ({ partition, key, ...(await writeUntil(kv, nodes, key, partition, now)) })));
  const violations: Violation[] = [];
  for (const { partition, key, first, last } of results) {
    const took = first ? first.complete - start : Infinity;
    if (took <= LIVENESS_DEADLINE_MS) continue;
    violations.push({
      check: 'liveness',
      key,
      message: first
        ? `partition ${partition} took its first write ${seconds(took)} after the faults were healed (limit ${LIVENESS_DEADLINE_MS / 1000}s)`
        : `partition ${partition} took no write within ${DIAGNOSIS_DEADLINE_MS / 1000}s after the faults were healed; last attempt: ${last?.detail ?? last?.outcome}`,
      witnesses: last ? [last] : [],
      window: [start, now()],
    });
  }
  return { violations, keys: [...keys.values()] };
}
