// No loss: after the faults and the workload stop, every key is read through every ingress. The
// reads join the history (client `final`), so the register check proves each one returns the
// last acknowledged value or a later one; a key an ingress cannot serve within 30 s is a loss too.
import type { KvClient } from '../client';
import type { Op } from '../history';
import type { Violation } from './register';

const READ_DEADLINE_MS = 30_000;
const ATTEMPT_TIMEOUT_MS = 5_000;

export const isFinalRead = (op: Op): boolean => op.client === 'final';

async function readUntilAnswered(kv: KvClient, node: string, key: string, now: () => number): Promise<Op> {
  const start = now();
  for (;;) {
    const op = await kv.get('final', node, key, ATTEMPT_TIMEOUT_MS);
    if (op.outcome === 'ok' || now() - start > READ_DEADLINE_MS) return op;
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function finalReads(kv: KvClient, nodes: string[], keys: string[], now: () => number): Promise<Violation[]> {
  const unanswered = await Promise.all(
    nodes.map(async (node) => {
      const failed: Op[] = [];
      for (const key of keys) {
        const op = await readUntilAnswered(kv, node, key, now);
        if (op.outcome !== 'ok') failed.push(op);
      }
      return failed;
    }),
  );
  return unanswered.flat().map((op) => ({
    check: 'no-loss' as const,
    key: op.key,
    message: `${op.key} could not be read through ${op.node} for ${READ_DEADLINE_MS / 1000}s: ${op.detail ?? op.outcome}`,
    witnesses: [op],
  }));
}
