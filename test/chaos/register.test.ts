// The register checker against hand-made histories (each kind of violation it must catch, and
// valid histories it must pass), and against an exhaustive search on thousands of random small
// histories, so that its zone conditions are known to agree with the definition of linearizability.
import { describe, expect, it } from 'vitest';
import { checkHistory, checkRegister } from './checks/register';
import type { Op, Outcome } from './history';
import { Rng } from './rng';

let nextId = 0;
function op(kind: 'write' | 'read', value: string | null, invoke: number, complete: number, outcome: Outcome = 'ok', client = 'c1'): Op {
  return { id: nextId++, client, kind, key: 'k', value, invoke, complete, outcome, node: 'n1' };
}
const w = (value: string, invoke: number, complete: number, outcome: Outcome = 'ok') => op('write', value, invoke, complete, outcome);
const r = (value: string | null, invoke: number, complete: number, outcome: Outcome = 'ok') => op('read', value, invoke, complete, outcome);

describe('register checker: violations it must catch', () => {
  it('a read older than a write acknowledged before the read began (stale read)', () => {
    const history = [w('a', 0, 10), w('b', 20, 30), r('a', 40, 50)];
    const violations = checkRegister('k', history);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.check).toBe('linearizable');
    expect(violations[0]!.message).toMatch(/stale read: #\d+ returned value a, though value b took effect after value a was in place/);
    expect(violations[0]!.witnesses.map((o) => o.value)).toEqual(['a', 'b', 'a']);
  });

  it('a read of a value never written', () => {
    const violations = checkRegister('k', [w('a', 0, 10), r('zzz', 20, 30)]);
    expect(violations.map((v) => v.message)).toEqual(['a read returned a value that was never written to k']);
  });

  it('a read of a value whose write failed', () => {
    const violations = checkRegister('k', [{ ...w('a', 0, 10, 'fail'), detail: 'HTTP 400' }, r('a', 20, 30)]);
    expect(violations.map((v) => v.message)).toEqual(['a read returned the value of a write that failed (HTTP 400)']);
  });

  it('a read returning a value before its write was invoked', () => {
    const violations = checkRegister('k', [r('a', 0, 5), w('a', 10, 20)]);
    expect(violations.map((v) => v.message)).toEqual(['a read returned a value before its write was invoked']);
  });

  it('a lost write: no value found after a write was acknowledged', () => {
    const violations = checkRegister('k', [w('a', 0, 10), r(null, 20, 30)]);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.message).toMatch(/found no value, though value a was written/);
  });

  it('a read flipping back to an overwritten value while both writes are in flight', () => {
    const history = [w('a', 0, 100), w('b', 0, 100), r('b', 10, 20), r('a', 30, 40), r('b', 50, 60)];
    const violations = checkRegister('k', history);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.message).toMatch(/returned value b, though value a took effect after value b was in place/);
  });

  it('reads seeing a and b each before the other (forward zones overlap)', () => {
    const history = [w('a', 0, 100), w('b', 0, 100), r('a', 10, 20), r('b', 30, 40), r('a', 50, 60), r('b', 70, 80)];
    const violations = checkRegister('k', history);
    expect(violations.length).toBeGreaterThan(0);
    expect(violations[0]!.message).toMatch(/must each come before the other/);
  });

  it('a final read is reported as a loss, an earlier one as non-linearizable', () => {
    const final = r('a', 40, 50);
    const violations = checkHistory([w('a', 0, 10), w('b', 20, 30), final], (o) => o === final);
    expect(violations.map((v) => v.check)).toEqual(['no-loss']);
  });

  it('an info write read back, then overwritten, then read again', () => {
    const history = [w('a', 0, 10, 'info'), r('a', 20, 30), w('b', 40, 50), r('a', 60, 70)];
    expect(checkRegister('k', history)).toHaveLength(1);
  });
});

describe('register checker: histories it must accept', () => {
  it('concurrent writes read in either order while they overlap', () => {
    expect(checkRegister('k', [w('a', 0, 50), w('b', 10, 60), r('b', 20, 30), r('a', 25, 70)])).toEqual([]);
  });

  it('an info write taking effect long after it timed out', () => {
    expect(checkRegister('k', [w('a', 0, 10, 'info'), w('b', 20, 30), r('b', 40, 50), r('a', 60, 70)])).toEqual([]);
  });

  it('an info write never seen, failed reads and failed writes', () => {
    expect(checkRegister('k', [w('a', 0, 10), w('x', 5, 15, 'info'), w('y', 5, 15, 'fail'), r('a', 20, 30), r(null, 20, 30, 'fail')])).toEqual([]);
  });

  it('no value before the first write completes', () => {
    expect(checkRegister('k', [r(null, 0, 5), w('a', 3, 20), r(null, 10, 12), r('a', 15, 25)])).toEqual([]);
  });
});

/** Exhaustive search for a linearization (Wing & Gong with memoization): the definition itself. */
function linearizableBySearch(ops: Op[]): boolean {
  const considered = ops.filter((o) => (o.kind === 'write' ? o.outcome !== 'fail' : o.outcome === 'ok'));
  const required = considered.filter((o) => !(o.kind === 'write' && o.outcome === 'info'));
  const end = (o: Op) => (o.kind === 'write' && o.outcome === 'info' ? Infinity : o.complete);
  const requiredMask = required.reduce((m, o) => m | (1 << considered.indexOf(o)), 0);
  const seen = new Set<string>();
  const search = (done: number, value: string | null): boolean => {
    if ((done & requiredMask) === requiredMask) return true;
    const memo = `${done}:${value}`;
    if (seen.has(memo)) return false;
    seen.add(memo);
    const pending = considered.filter((_, i) => !(done & (1 << i)));
    const horizon = Math.min(...pending.map(end));
    for (const [i, o] of considered.entries()) {
      if (done & (1 << i) || o.invoke > horizon) continue;
      if (o.kind === 'write' && search(done | (1 << i), o.value)) return true;
      if (o.kind === 'read' && o.value === value && search(done | (1 << i), value)) return true;
    }
    return false;
  };
  return search(0, null);
}

/** A register run for real (each operation takes effect at a random point of its interval), then
 *  sometimes corrupted by giving one read another value. */
function randomHistory(rng: Rng): Op[] {
  const ops: Array<Op & { at: number }> = [];
  const count = rng.int(3, 8);
  for (let i = 0; i < count; i++) {
    const invoke = rng.int(0, 100);
    const complete = invoke + rng.int(1, 40);
    const kind = rng.chance(0.5) ? 'write' : 'read';
    const outcome: Outcome = kind === 'write' ? rng.pick<Outcome>(['ok', 'ok', 'ok', 'info', 'fail']) : rng.chance(0.9) ? 'ok' : 'fail';
    const takesEffect = outcome === 'ok' || (outcome === 'info' && rng.chance(0.6));
    const at = !takesEffect ? Infinity : outcome === 'info' ? invoke + rng.int(0, 80) : invoke + rng.next() * (complete - invoke);
    ops.push({ ...op(kind, kind === 'write' ? `v${i}` : null, invoke, complete, outcome), at });
  }
  let value: string | null = null;
  for (const o of [...ops].sort((a, b) => a.at - b.at)) {
    if (o.at === Infinity) break;
    if (o.kind === 'write') value = o.value;
    else o.value = value;
  }
  const reads = ops.filter((o) => o.kind === 'read');
  if (reads.length && rng.chance(0.4)) {
    const written = ops.filter((o) => o.kind === 'write').map((o) => o.value);
    rng.pick(reads).value = rng.pick([null, ...written]);
  }
  return ops.map(({ at: _at, ...o }) => o);
}

describe('register checker agrees with exhaustive search', () => {
  it('on 20,000 random small histories', () => {
    const rng = new Rng(8);
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      const history = randomHistory(rng);
      const expected = linearizableBySearch(history);
      const found = checkRegister('k', history).length === 0;
      if (found !== expected) {
        throw new Error(`disagreement (search says ${expected ? '' : 'not '}linearizable):\n${JSON.stringify(history, null, 1)}`);
      }
      if (!expected) rejected++;
    }
    // Both kinds occur often enough for the comparison to mean something.
    expect(rejected).toBeGreaterThan(2_000);
    expect(rejected).toBeLessThan(18_000);
  });
});
