// The replica comparison on hand-made copies: it must flag a committed offset whose content differs
// between log-servers (D1's shifted records), and one held by fewer log-servers than the write
// quorum, and must not flag copies that agree, trimmed offsets, or a log-server still catching up.
import { describe, expect, it } from 'vitest';
import { encodePut } from '../../src/server/bifrost/record';
import { compareCopies, type Copy, type SegmentCopies } from './checks/replicas';

const record = (key: string, value: string) => encodePut(key, Buffer.from(`${value}:padding`));

function copy(trimPoint: number, entries: Array<[number, Buffer]>): Copy {
  return { trimPoint, records: new Map(entries) };
}

function segment(copies: Array<[number, Copy]>, from = 1, tail = 4): SegmentCopies {
  return {
    logId: 1,
    segment: { index: 0, base_lsn: 1, kind: 'replicated', params: { loglet_id: 4294967296, sequencer: 'N1:1', replication: { node: 2 }, nodeset: [1, 2, 3] } },
    from,
    tail,
    copies: new Map(copies),
    unreadable: new Map(),
  };
}

const a = record('k1', 'c1-1');
const b = record('k2', 'c2-1');
const c = record('k1', 'c1-2');

describe('replica comparison', () => {
  it('passes copies that agree, with one log-server behind (still catching up)', () => {
    const copies: Array<[number, Copy]> = [
      [1, copy(0, [[1, a], [2, b], [3, c]])],
      [2, copy(0, [[1, a], [2, b], [3, c]])],
      [3, copy(0, [[1, a]])],
    ];
    expect(compareCopies(segment(copies))).toEqual([]);
  });

  it('flags an offset whose content differs, naming each copy', () => {
    const copies: Array<[number, Copy]> = [
      [1, copy(0, [[1, a], [2, b], [3, c]])],
      [2, copy(0, [[1, a], [2, b], [3, c]])],
      [3, copy(0, [[1, a], [2, c], [3, c]])],
    ];
    const violations = compareCopies(segment(copies));
    expect(violations).toHaveLength(1);
    expect(violations[0]!.check).toBe('replicas');
    expect(violations[0]!.message).toContain('1 committed offset(s) differ');
    expect(violations[0]!.message).toContain('LSN 2 (offset 2): N1=k2=c2-1 N2=k2=c2-1 N3=k1=c1-2');
  });

  it('flags a committed offset held by fewer log-servers than the replication factor', () => {
    const copies: Array<[number, Copy]> = [
      [1, copy(0, [[1, a], [2, b], [3, c]])],
      [2, copy(0, [[1, a], [3, c]])],
      [3, copy(0, [[1, a]])],
    ];
    const violations = compareCopies(segment(copies));
    expect(violations.map((v) => v.message)).toEqual([expect.stringContaining('1 committed offset(s) held by fewer than 2 log-servers')]);
    expect(violations[0]!.message).toContain('LSN 2 (offset 2): N1=k2=c2-1 N2=missing N3=missing');
  });

  it('leaves out offsets a log-server trimmed', () => {
    const copies: Array<[number, Copy]> = [
      [1, copy(2, [[3, c]])],
      [2, copy(0, [[1, a], [2, b], [3, c]])],
      [3, copy(0, [[3, c]])],
    ];
    expect(compareCopies(segment(copies))).toEqual([]);
  });

  it('only compares offsets below the committed tail', () => {
    const copies: Array<[number, Copy]> = [
      [1, copy(0, [[1, a], [2, b]])],
      [2, copy(0, [[1, a], [2, c]])],
    ];
    expect(compareCopies(segment(copies, 1, 2))).toEqual([]);
    expect(compareCopies(segment(copies, 1, 3))).toHaveLength(1);
  });
});
