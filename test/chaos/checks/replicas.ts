// Replica agreement: for every replicated segment of every log, each log-server of its nodeset is
// read directly (the raw routes the sequencer uses) and its copy of every committed offset, above
// the trim point and below the segment's committed tail (the next segment's base, or the
// sequencer's committed tail), is compared byte for byte with the others'. A committed offset held
// by fewer log-servers than the replication factor (and trimmed by none) is reported too.
import { formatLogletId, parseGenId } from '../../../src/api/ids';
import { routePath } from '../../../src/api/routes';
import type { LogChain, Segment } from '../../../src/api/schemas';
import { decodeRecord } from '../../../src/server/bifrost/record';
import { decodeFrame } from '../../../src/server/bifrost/wire';
import type { ChaosCluster } from '../cluster';
import type { Violation } from './register';

/** One log-server's copy of a segment's offsets [from, tail). */
export interface Copy {
  trimPoint: number;
  records: Map<number, Buffer>;
}

export interface SegmentCopies {
  logId: number;
  segment: Segment & { params: NonNullable<Segment['params']> };
  from: number;
  tail: number;
  copies: Map<number, Copy>;
  /** Log-servers that could not be read, with why. */
  unreadable: Map<number, string>;
}

const PAGE_RECORDS = 1_000;
const SHOWN_OFFSETS = 5;

function describeRecord(record: Buffer | undefined): string {
  if (!record) return 'missing';
  try {
    const { key, value } = decodeRecord(record);
    return `${key}=${value.toString('utf8').split(':')[0]}`;
  } catch {
    return `${record.length} bytes`;
  }
}

/** Compares the copies of one segment; pure, so it can be checked on hand-made copies. */
export function compareCopies(segment: SegmentCopies): Violation[] {
  const violations: Violation[] = [];
  const { logId, from, tail, copies } = segment;
  const base = segment.segment.base_lsn;
  const loglet = formatLogletId(segment.segment.params.loglet_id);
  const need = segment.segment.params.replication.node;
  const differing: string[] = [];
  const under: string[] = [];
  let differingCount = 0;
  let underCount = 0;
  for (let offset = from; offset < tail; offset++) {
    const held = [...copies].filter(([, copy]) => copy.records.has(offset));
    const contents = new Set(held.map(([, copy]) => copy.records.get(offset)!.toString('base64')));
    const lsn = base + offset - 1;
    const perNode = () => [...copies].map(([node, copy]) => `N${node}=${offset <= copy.trimPoint ? 'trimmed' : describeRecord(copy.records.get(offset))}`).join(' ');
    if (contents.size > 1) {
      if (differing.length < SHOWN_OFFSETS) differing.push(`LSN ${lsn} (offset ${offset}): ${perNode()}`);
      differingCount++;
    }
    const trimmedBy = [...copies.values()].filter((copy) => offset <= copy.trimPoint).length;
    if (trimmedBy === 0 && held.length + segment.unreadable.size < need) {
      if (under.length < SHOWN_OFFSETS) under.push(`LSN ${lsn} (offset ${offset}): ${perNode()}`);
      underCount++;
    }
  }
  if (differingCount) {
    violations.push({
      check: 'replicas',
      message: `log ${logId} loglet ${loglet}: ${differingCount} committed offset(s) differ between log-servers:\n    ${differing.join('\n    ')}`,
      witnesses: [],
    });
  }
  if (underCount) {
    violations.push({
      check: 'replicas',
      message: `log ${logId} loglet ${loglet}: ${underCount} committed offset(s) held by fewer than ${need} log-servers:\n    ${under.join('\n    ')}`,
      witnesses: [],
    });
  }
  return violations;
}

/** Every offset a log-server holds in [from, tail), read run by run (reads stop at a gap). */
async function readCopy(cluster: ChaosCluster, address: string, loglet: number, from: number, tail: number): Promise<Copy> {
  const state = await cluster.http.call(address, 'logServerState', { params: { loglet }, timeoutMs: 5_000 });
  const digest = await cluster.http.call(address, 'logServerDigest', { params: { loglet }, query: { from, to: tail }, timeoutMs: 10_000 });
  const records = new Map<number, Buffer>();
  for (const [runStart, runEnd] of digest.runs) {
    let next = runStart;
    while (next < runEnd) {
      const url = `${address}${routePath('logServerRecords', { loglet })}?from=${next}&max_records=${Math.min(PAGE_RECORDS, runEnd - next)}`;
      const response = await cluster.http.request(url, { timeoutMs: 10_000 });
      if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
      const { header, records: page } = decodeFrame<{ from: number }>(response.body);
      if (page.length === 0) break;
      page.forEach((record, i) => records.set(header.from + i, Buffer.from(record)));
      next = header.from + page.length;
    }
  }
  return { trimPoint: state.trim_point, records };
}

/** The committed tail (exclusive offset) of a segment: fixed by the next segment's base once sealed
 *  and extended, otherwise the sequencer's committed tail (or the highest a log-server knows of). */
async function committedTail(cluster: ChaosCluster, chain: LogChain, index: number): Promise<number> {
  const segment = chain.segments[index]!;
  const next = chain.segments[index + 1];
  if (next) return next.base_lsn - segment.base_lsn + 1;
  const loglet = segment.params!.loglet_id;
  const sequencer = cluster.node(`n${parseGenId(segment.params!.sequencer).id}`);
  try {
    return (await cluster.http.call(sequencer.address, 'sequencerTail', { params: { loglet }, timeoutMs: 5_000 })).committed_tail;
  } catch {
    // the sequencer is gone or sealed: fall back on what the log-servers were told
  }
  const states = await Promise.allSettled(
    segment.params!.nodeset.map((id) => cluster.http.call(cluster.node(`n${id}`).address, 'logServerState', { params: { loglet }, timeoutMs: 5_000 })),
  );
  return Math.max(1, ...states.flatMap((s) => (s.status === 'fulfilled' ? [s.value.known_global_tail] : [])));
}

export async function checkReplicas(cluster: ChaosCluster): Promise<{ violations: Violation[]; segments: number; offsets: number }> {
  const logs = await cluster.logs();
  const violations: Violation[] = [];
  let segments = 0;
  let offsets = 0;
  for (const chain of logs.logs) {
    for (const [index, segment] of chain.segments.entries()) {
      if (segment.kind !== 'replicated' || !segment.params) continue;
      const tail = await committedTail(cluster, chain, index);
      const from = Math.max(1, (chain.trim_point ?? 0) - segment.base_lsn + 2);
      if (from >= tail) continue;
      const copies = new Map<number, Copy>();
      const unreadable = new Map<number, string>();
      for (const id of segment.params.nodeset) {
        try {
          copies.set(id, await readCopy(cluster, cluster.node(`n${id}`).address, segment.params.loglet_id, from, tail));
        } catch (err) {
          unreadable.set(id, (err as Error).message);
        }
      }
      for (const [id, why] of unreadable) {
        violations.push({ check: 'replicas', message: `log ${chain.log_id} loglet ${formatLogletId(segment.params.loglet_id)}: could not read N${id}'s copy: ${why}`, witnesses: [] });
      }
      violations.push(...compareCopies({ logId: chain.log_id, segment: segment as SegmentCopies['segment'], from, tail, copies, unreadable }));
      segments++;
      offsets += tail - from;
    }
  }
  return { violations, segments, offsets };
}
