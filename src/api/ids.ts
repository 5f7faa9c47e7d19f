// Identifier and value formats shared by server and CLI. They follow restatectl 1.7 so that
// runbooks read the same: N3, N3:6, v12, e5, 0_1, {node: 2}, [N1, N2].

export interface GenerationalNodeId {
  id: number;
  generation: number;
}

export function formatPlainId(id: number): string {
  return `N${id}`;
}

export function formatGenId(node: GenerationalNodeId): string {
  return `N${node.id}:${node.generation}`;
}

export function formatVersion(version: number): string {
  return `v${version}`;
}

export function formatEpoch(epoch: number): string {
  return `e${epoch}`;
}

/** Accepts `N3` or `3`. */
export function parsePlainId(text: string): number {
  const match = /^\s*[Nn]?(\d+)\s*$/.exec(text);
  if (!match) throw new Error(`invalid node id '${text}': expected a node id such as N3 or 3`);
  const id = Number(match[1]);
  if (!Number.isSafeInteger(id) || id < 1) throw new Error(`invalid node id '${text}': node ids start at 1`);
  return id;
}

/** Accepts `N3:6` or `3:6`. */
export function parseGenId(text: string): GenerationalNodeId {
  const match = /^\s*[Nn]?(\d+):(\d+)\s*$/.exec(text);
  if (!match) throw new Error(`invalid generational node id '${text}': expected the form N3:6`);
  return { id: Number(match[1]), generation: Number(match[2]) };
}

const SEGMENT_BITS = 2 ** 32;

/** A loglet id packs the log id and the segment index: (log_id << 32) | segment. */
export function makeLogletId(logId: number, segmentIndex: number): number {
  return logId * SEGMENT_BITS + segmentIndex;
}

export function splitLogletId(raw: number): { logId: number; segmentIndex: number } {
  return { logId: Math.floor(raw / SEGMENT_BITS), segmentIndex: raw % SEGMENT_BITS };
}

export function formatLogletId(raw: number): string {
  const { logId, segmentIndex } = splitLogletId(raw);
  return `${logId}_${segmentIndex}`;
}

/** Accepts `0_1` or the raw number. */
export function parseLogletId(text: string): number {
  const pair = /^\s*(\d+)_(\d+)\s*$/.exec(text);
  if (pair) return makeLogletId(Number(pair[1]), Number(pair[2]));
  if (/^\s*\d+\s*$/.test(text)) return Number(text);
  throw new Error(`invalid loglet id '${text}': expected <log>_<segment> such as 0_1, or a raw number`);
}

export const REPLICATION_SCOPES = ['region', 'zone', 'node'] as const;
export type ReplicationScope = (typeof REPLICATION_SCOPES)[number];
export type ReplicationProperty = Partial<Record<ReplicationScope, number>> & { node: number };

export function formatReplication(property: ReplicationProperty): string {
  const parts = REPLICATION_SCOPES.filter((scope) => property[scope] !== undefined).map(
    (scope) => `${scope}: ${property[scope]}`,
  );
  return `{${parts.join(', ')}}`;
}

/** Accepts `2` (node scope) or `{zone: 2, node: 3}`. */
export function parseReplication(text: string): ReplicationProperty {
  const bare = /^\s*(\d+)\s*$/.exec(text);
  if (bare) return checkReplication({ node: Number(bare[1]) }, text);
  const braced = /^\s*\{(.*)\}\s*$/.exec(text);
  if (!braced) throw new Error(`invalid replication '${text}': expected a number or {node: 2}`);
  const property: Partial<Record<ReplicationScope, number>> = {};
  for (const part of braced[1]!.split(',')) {
    const kv = /^\s*(region|zone|node)\s*:\s*(\d+)\s*$/.exec(part);
    if (!kv) throw new Error(`invalid replication '${text}': '${part.trim()}' is not <scope>: <count> (scopes: region, zone, node)`);
    property[kv[1] as ReplicationScope] = Number(kv[2]);
  }
  if (property.node === undefined) throw new Error(`invalid replication '${text}': the node scope is required`);
  return checkReplication(property as ReplicationProperty, text);
}

function checkReplication(property: ReplicationProperty, text: string): ReplicationProperty {
  if (property.node < 1) throw new Error(`invalid replication '${text}': node replication must be at least 1`);
  return property;
}

export function formatNodeSet(ids: readonly number[]): string {
  return `[${[...ids].sort((a, b) => a - b).map(formatPlainId).join(', ')}]`;
}

export function formatRoles(roles: readonly string[]): string {
  return [...roles].sort().join(' | ');
}

/** Parses `1-4` or `3` into a list of ids (restatectl's range syntax). */
export function parseIdRange(text: string): number[] {
  const single = /^\s*(\d+)\s*$/.exec(text);
  if (single) return [Number(single[1])];
  const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  if (!range) throw new Error(`Invalid range syntax '${text}'`);
  const start = Number(range[1]);
  const end = Number(range[2]);
  if (start > end) throw new Error(`Invalid id range: ${start}..${end} start must be <= end range`);
  return Array.from({ length: end - start + 1 }, (_, i) => start + i);
}
