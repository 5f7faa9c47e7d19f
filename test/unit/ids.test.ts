import { describe, expect, it } from 'vitest';
import {
  formatGenId,
  formatLogletId,
  formatNodeSet,
  formatReplication,
  formatRoles,
  makeLogletId,
  parseGenId,
  parseIdRange,
  parseLogletId,
  parsePlainId,
  parseReplication,
} from '../../src/api/ids';

describe('value formats follow restatectl', () => {
  it('formats and parses node ids', () => {
    expect(parsePlainId('N3')).toBe(3);
    expect(parsePlainId('3')).toBe(3);
    expect(() => parsePlainId('N0')).toThrow(/start at 1/);
    expect(() => parsePlainId('node3')).toThrow(/invalid node id 'node3'/);
    expect(formatGenId({ id: 3, generation: 6 })).toBe('N3:6');
    expect(parseGenId('3:6')).toEqual({ id: 3, generation: 6 });
  });

  it('packs loglet ids as log << 32 | segment and prints them as log_segment', () => {
    expect(makeLogletId(1, 1)).toBe(4294967297);
    expect(formatLogletId(4294967297)).toBe('1_1');
    expect(parseLogletId('1_1')).toBe(4294967297);
    expect(parseLogletId('4294967297')).toBe(4294967297);
    expect(() => parseLogletId('x')).toThrow(/invalid loglet id/);
  });

  it('formats replication, nodesets and roles', () => {
    expect(formatReplication({ node: 2 })).toBe('{node: 2}');
    expect(formatReplication({ zone: 2, node: 3 })).toBe('{zone: 2, node: 3}');
    expect(parseReplication('2')).toEqual({ node: 2 });
    expect(parseReplication('{zone: 2, node: 3}')).toEqual({ zone: 2, node: 3 });
    expect(() => parseReplication('{zone: 2}')).toThrow(/node scope is required/);
    expect(() => parseReplication('0')).toThrow(/at least 1/);
    expect(formatNodeSet([3, 1, 2])).toBe('[N1, N2, N3]');
    expect(formatRoles(['worker', 'admin', 'log-server'])).toBe('admin | log-server | worker');
  });

  it('parses id ranges', () => {
    expect(parseIdRange('1-4')).toEqual([1, 2, 3, 4]);
    expect(parseIdRange('7')).toEqual([7]);
    expect(() => parseIdRange('4-1')).toThrow('Invalid id range: 4..1 start must be <= end range');
    expect(() => parseIdRange('a')).toThrow("Invalid range syntax 'a'");
  });
});
