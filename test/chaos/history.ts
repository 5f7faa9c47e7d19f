// The history of a chaos run, as Jepsen records it: one entry per client operation with its
// invoke and complete times (monotonic, ms since the run began), the value and the outcome.
//   ok   the operation took effect (a write was acknowledged, a read returned a value or 404);
//   fail it certainly did not take effect (a 4xx, or the connection was refused before sending);
//   info nobody knows (a timeout, a reset, a 5xx): a write may take effect at any later time.

export type Outcome = 'ok' | 'fail' | 'info';

export interface Op {
  id: number;
  /** `c3` for workload client 3, `liveness` and `final` for the checks' own operations. */
  client: string;
  kind: 'write' | 'read';
  key: string;
  /** A write's value; an ok read's value, `null` when the key had none (404). */
  value: string | null;
  invoke: number;
  complete: number;
  outcome: Outcome;
  /** The node whose ingress served the operation. */
  node: string;
  /** The HTTP status or the transport failure, for the report. */
  detail?: string;
}

export class History {
  readonly ops: Op[] = [];
  private readonly origin = performance.now();

  /** Milliseconds since the run began (monotonic). */
  now(): number {
    return performance.now() - this.origin;
  }

  record(op: Omit<Op, 'id'>): Op {
    const entry = { ...op, id: this.ops.length };
    this.ops.push(entry);
    return entry;
  }
}

/** Values carry padding to vary record sizes; the part before `:` names them uniquely. */
export function valueName(value: string | null): string {
  if (value === null) return 'nil';
  const cut = value.indexOf(':');
  return cut < 0 ? (value.length > 24 ? `${value.slice(0, 24)}...` : value) : value.slice(0, cut);
}

export function seconds(ms: number): string {
  if (ms === Infinity) return '∞';
  if (ms === -Infinity) return '-∞';
  return `${(ms / 1000).toFixed(3)}s`;
}

export function formatOp(op: Op): string {
  const what = op.kind === 'write' ? `write ${valueName(op.value)}` : `read  ${op.outcome === 'ok' ? valueName(op.value) : '?'}`;
  return `  #${String(op.id).padEnd(6)} ${op.client.padEnd(8)} ${op.node.padEnd(4)} ${what.padEnd(22)} ${op.outcome.padEnd(4)} [${seconds(op.invoke)} .. ${seconds(op.complete)}]${op.detail ? `  ${op.detail}` : ''}`;
}
