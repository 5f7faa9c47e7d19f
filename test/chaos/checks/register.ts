// Linearizability of a read/write register per key, for histories with unique written values, in
// O(n log n): Gibbons & Korach's zones. Every value v has one write; its cluster is that write and
// the reads that returned v. With f(v) the earliest completion and s(v) the latest invocation in
// the cluster, the cluster's zone runs from f to s ("forward", f < s) or from s to f ("backward").
// A history is linearizable iff no read completes before its write is invoked, no two forward
// zones overlap, and no backward zone lies inside a forward zone. The initial value (no value,
// a 404) is a cluster whose write completed at -∞; an `info` write completes at +∞ (it may take
// effect at any later time), and one whose value nobody read constrains nothing.
import type { Op } from '../history';

export interface Violation {
  check: 'no-loss' | 'linearizable' | 'replicas' | 'liveness';
  key?: string;
  message: string;
  /** The operations that prove it. */
  witnesses: Op[];
  /** The stretch of time the minimal history covers. */
  window?: [number, number];
}

interface Cluster {
  value: string | null;
  write: Op | undefined;
  /** Operation completing first (f) and invoked last (s). */
  first: { op: Op | undefined; at: number };
  last: { op: Op; at: number };
}

const end = (op: Op): number => (op.kind === 'write' && op.outcome === 'info' ? Infinity : op.complete);

/** Checks one key's operations; `isFinal` picks the reads made after the faults (no-loss reads). */
export function checkRegister(key: string, ops: readonly Op[], isFinal: (op: Op) => boolean = () => false): Violation[] {
  const violations: Violation[] = [];
  const kindOf = (read: Op): Violation['check'] => (isFinal(read) ? 'no-loss' : 'linearizable');
  const writes = new Map<string, Op>();
  for (const op of ops) {
    if (op.kind !== 'write' || op.value === null) continue;
    if (writes.has(op.value)) throw new Error(`key ${key}: value ${op.value} written twice; the workload must write unique values`);
    writes.set(op.value, op);
  }

  const clusters = new Map<string | null, Cluster>();
  for (const read of ops) {
    if (read.kind !== 'read' || read.outcome !== 'ok') continue;
    const write = read.value === null ? undefined : writes.get(read.value);
    if (read.value !== null && !write) {
      violations.push({ check: kindOf(read), key, message: `a read returned a value that was never written to ${key}`, witnesses: [read] });
      continue;
    }
    if (write?.outcome === 'fail') {
      violations.push({
        check: kindOf(read),
        key,
        message: `a read returned the value of a write that failed (${write.detail ?? 'not applied'})`,
        witnesses: [write, read],
      });
      continue;
    }
    if (write && read.complete < write.invoke) {
      violations.push({ check: kindOf(read), key, message: 'a read returned a value before its write was invoked', witnesses: [read, write] });
      continue;
    }
    let cluster = clusters.get(read.value);
    if (!cluster) {
      cluster = write
        ? { value: read.value, write, first: { op: write, at: end(write) }, last: { op: write, at: write.invoke } }
        : { value: null, write: undefined, first: { op: undefined, at: -Infinity }, last: { op: read, at: read.invoke } };
      clusters.set(read.value, cluster);
    }
    if (end(read) < cluster.first.at) cluster.first = { op: read, at: end(read) };
    if (read.invoke > cluster.last.at) cluster.last = { op: read, at: read.invoke };
  }
  // Acknowledged writes nobody read still take up their interval.
  for (const write of writes.values()) {
    if (write.outcome === 'ok' && !clusters.has(write.value)) {
      clusters.set(write.value, { value: write.value, write, first: { op: write, at: end(write) }, last: { op: write, at: write.invoke } });
    }
  }

  const forward = [...clusters.values()].filter((c) => c.first.at < c.last.at).sort((a, b) => a.first.at - b.first.at);
  const backward = [...clusters.values()].filter((c) => c.first.at >= c.last.at);

  // Forward zones must be disjoint: sweep in order of start, against the furthest end so far.
  let reach: Cluster | undefined;
  for (const zone of forward) {
    if (reach && zone.first.at < reach.last.at) violations.push(overlap(key, reach, zone, kindOf));
    if (!reach || zone.last.at > reach.last.at) reach = zone;
  }

  // A backward zone inside a forward one: among forward zones starting before it, the one reaching
  // furthest decides.
  const reachBefore: Cluster[] = [];
  for (const zone of forward) reachBefore.push(reachBefore.length && reachBefore[reachBefore.length - 1]!.last.at > zone.last.at ? reachBefore[reachBefore.length - 1]! : zone);
  for (const inner of backward) {
    const index = lastIndexBefore(forward, inner.last.at);
    const outer = index < 0 ? undefined : reachBefore[index];
    if (outer && inner.first.at < outer.last.at) violations.push(contained(key, outer, inner, kindOf));
  }
  return violations;
}

/** Index of the last forward zone whose start is before `at` (zones sorted by start), or -1. */
function lastIndexBefore(forward: Cluster[], at: number): number {
  let lo = 0;
  let hi = forward.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (forward[mid]!.first.at < at) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

const name = (value: string | null): string => (value === null ? 'no value' : `value ${value.split(':')[0]}`);

function witnessesOf(...clusters: Cluster[]): Op[] {
  const ops = clusters.flatMap((c) => [c.write, c.first.op, c.last.op]).filter((op): op is Op => op !== undefined);
  return [...new Set(ops)].sort((a, b) => a.invoke - b.invoke);
}

function window(...clusters: Cluster[]): [number, number] {
  const times = clusters.flatMap((c) => [c.first.at, c.last.at, c.write?.invoke ?? -Infinity]).filter(Number.isFinite);
  return [Math.min(...times), Math.max(...times)];
}

const ref = (op: Op | undefined): string => (op ? `#${op.id}` : 'the initial state');

function overlap(key: string, a: Cluster, b: Cluster, kindOf: (read: Op) => Violation['check']): Violation {
  return {
    check: [a.last.op, b.last.op].some((op) => kindOf(op) === 'no-loss') ? 'no-loss' : 'linearizable',
    key,
    message:
      `${name(a.value)} and ${name(b.value)} must each come before the other: ` +
      `${ref(a.first.op)} (${name(a.value)}) completed before ${ref(b.last.op)} (${name(b.value)}) began, ` +
      `and ${ref(b.first.op)} (${name(b.value)}) completed before ${ref(a.last.op)} (${name(a.value)}) began`,
    witnesses: witnessesOf(a, b),
    window: window(a, b),
  };
}

function contained(key: string, outer: Cluster, inner: Cluster, kindOf: (read: Op) => Violation['check']): Violation {
  const read = outer.last.op;
  return {
    check: kindOf(read),
    key,
    message:
      outer.value === null
        ? `${ref(read)} found no value, though ${name(inner.value)} was written (${ref(inner.write)}) and ${ref(inner.first.op)} completed before it began`
        : `stale read: ${ref(read)} returned ${name(outer.value)}, though ${name(inner.value)} took effect after ${name(outer.value)} was in place: ` +
          `${ref(inner.last.op)} (${name(inner.value)}) began after ${ref(outer.first.op)} (${name(outer.value)}) completed, ` +
          `and ${ref(inner.first.op)} (${name(inner.value)}) completed before ${ref(read)} began`,
    witnesses: witnessesOf(outer, inner),
    window: window(outer, inner),
  };
}

/** Every key's register, checked separately. */
export function checkHistory(ops: readonly Op[], isFinal?: (op: Op) => boolean): Violation[] {
  const byKey = new Map<string, Op[]>();
  for (const op of ops) {
    const list = byKey.get(op.key);
    if (list) list.push(op);
    else byKey.set(op.key, [op]);
  }
  return [...byKey].flatMap(([key, list]) => checkRegister(key, list, isFinal));
}
