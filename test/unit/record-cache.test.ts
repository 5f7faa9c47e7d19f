// The log-server's cache of recently stored records: contiguous windows per loglet, trims, and the
// byte bound that takes the oldest records of the loglets written least recently.
import { describe, expect, it } from 'vitest';
import { RecordCache } from '../../src/server/log-server/record-cache';

const records = (...values: string[]) => values.map((v) => Buffer.from(v));
const text = (found: Buffer[] | undefined) => found?.map((b) => b.toString());

describe('RecordCache', () => {
  it('reads contiguous records from any cached offset, cut by count and bytes (the first always)', () => {
    const cache = new RecordCache(1024);
    cache.add(7, 1, records('a', 'bb', 'ccc'));
    cache.add(7, 4, records('dddd'));
    expect(text(cache.read(7, 2, 10, 100))).toEqual(['bb', 'ccc', 'dddd']);
    expect(text(cache.read(7, 1, 2, 100))).toEqual(['a', 'bb']);
    expect(text(cache.read(7, 2, 10, 4))).toEqual(['bb']);
    expect(text(cache.read(7, 4, 10, 1))).toEqual(['dddd']);
    expect(cache.read(7, 5, 10, 100)).toBeUndefined();
    expect(cache.read(8, 1, 10, 100)).toBeUndefined();
  });

  it('keeps what overlaps once, and starts over at a gap', () => {
    const cache = new RecordCache(1024);
    cache.add(1, 1, records('a', 'b'));
    cache.add(1, 2, records('b', 'c'));
    expect(text(cache.read(1, 1, 10, 100))).toEqual(['a', 'b', 'c']);
    expect(cache.sizeBytes).toBe(3);
    cache.add(1, 10, records('j'));
    expect(cache.read(1, 1, 10, 100)).toBeUndefined();
    expect(text(cache.read(1, 10, 10, 100))).toEqual(['j']);
    expect(cache.sizeBytes).toBe(1);
  });

  it('forgets trimmed records', () => {
    const cache = new RecordCache(1024);
    cache.add(1, 1, records('a', 'b', 'c'));
    cache.trim(1, 2);
    expect(cache.read(1, 2, 10, 100)).toBeUndefined();
    expect(text(cache.read(1, 3, 10, 100))).toEqual(['c']);
    cache.trim(1, 3);
    expect(cache.read(1, 3, 10, 100)).toBeUndefined();
    expect(cache.sizeBytes).toBe(0);
  });

  it('stays within its bytes, dropping the oldest records of the loglet written least recently', () => {
    const cache = new RecordCache(10);
    cache.add(1, 1, records('aaaa', 'bbbb'));
    cache.add(2, 1, records('xx'));
    cache.add(1, 3, records('cccc'));
    // 14 bytes: loglet 2 was written least recently and goes first, then loglet 1's oldest record.
    expect(cache.sizeBytes).toBe(8);
    expect(cache.read(2, 1, 10, 100)).toBeUndefined();
    expect(cache.read(1, 1, 10, 100)).toBeUndefined();
    expect(text(cache.read(1, 2, 10, 100))).toEqual(['bbbb', 'cccc']);
  });
});
