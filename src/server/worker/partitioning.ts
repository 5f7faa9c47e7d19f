// Which partition a key belongs to: a 32-bit FNV-1a hash of the key's UTF-8 bytes, mixed so that
// similar short keys spread over the high bits (murmur3's finalizer), matched against the
// partitions' key ranges.
import type { PartitionTable } from '../../api/schemas';

export function keyHash(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

export function partitionForKey(key: string, table: PartitionTable): PartitionTable['partitions'][number] {
  const hash = keyHash(key);
  const partition = table.partitions.find((p) => hash >= p.key_range.start && hash <= p.key_range.end);
  if (!partition) throw new Error(`no partition covers hash ${hash}`);
  return partition;
}
