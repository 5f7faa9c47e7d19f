// Which partition a key belongs to: a 32-bit FNV-1a hash of the key's UTF-8 bytes, matched against
// the partitions' key ranges.
import type { PartitionTable } from '../../api/schemas';

export function keyHash(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function partitionForKey(key: string, table: PartitionTable): PartitionTable['partitions'][number] {
  const hash = keyHash(key);
  const partition = table.partitions.find((p) => hash >= p.key_range.start && hash <= p.key_range.end);
  if (!partition) throw new Error(`no partition covers hash ${hash}`);
  return partition;
}
