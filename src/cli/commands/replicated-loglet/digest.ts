// `cairnctl replicated-loglet digest <loglet> [--from] [--to] [-u]`: which log-server holds which
// offset; U marks offsets held by fewer log-servers than the replication asks for, D offsets whose
// copies differ in content (their checksums disagree).
import { formatPlainId } from '../../../api/ids';
import type { LogletDigest } from '../../../api/schemas';
import type { CommandContext } from '../../context';
import { blank, styled, table, type Cell, type View } from '../../output/view';
import { identityRows, resolveLoglet } from './loglet';

export interface DigestArgs {
  loglet: string;
  from?: number;
  to?: number;
  underReplicatedOnly?: boolean;
}

/** Offsets are shown at most this many at a time; narrow with --from/--to. */
const MAX_ROWS = 100_000;

export async function run(ctx: CommandContext, args: DigestArgs): Promise<View> {
  const { cluster, loglet, nodes } = await resolveLoglet(ctx, args.loglet);
  const members = [...loglet.params.nodeset].sort((a, b) => a - b);
  const digests = await Promise.all(
    members.map(async (id): Promise<LogletDigest | null> => {
      const node = nodes.nodes.find((n) => n.id === id);
      if (!node) return null;
      try {
        return await cluster.http.call(node.address, 'logServerDigest', {
          params: { loglet: loglet.logletId },
          query: { from: args.from, to: args.to },
          timeoutMs: cluster.requestTimeoutMs,
        });
      } catch {
        return null;
      }
    }),
  );
  const answered = digests.filter((d): d is LogletDigest => !!d);
  const minTrim = answered.length ? Math.min(...answered.map((d) => d.state.trim_point)) : 0;
  const maxTail = answered.length ? Math.max(...answered.map((d) => d.state.local_tail)) : 1;
  const globalTail = answered.length ? Math.max(...answered.map((d) => d.state.known_global_tail)) : 1;
  const from = Math.max(args.from ?? 1, minTrim + 1);
  const to = Math.min(args.to ?? maxTail, maxTail, from + MAX_ROWS);

  // Per log-server: offset -> checksum of its copy (null: stored before records carried one).
  const copies = digests.map((d) => {
    const byOffset = new Map<number, number | null>();
    let i = 0;
    for (const [start, end] of d?.runs ?? []) for (let offset = start; offset < end; offset++) byOffset.set(offset, d!.checksums[i++] ?? null);
    return byOffset;
  });
  const has = (d: LogletDigest, offset: number) => copies[digests.indexOf(d)]!.has(offset);
  const rows: Cell[][] = [];
  const offsets = [];
  for (let offset = from; offset < to; offset++) {
    const cells = digests.map((d): Cell => (!d ? styled('?', 'bad') : offset <= d.state.trim_point ? 'T' : has(d, offset) ? 'X' : '-'));
    const held = digests.filter((d) => d && (has(d, offset) || offset <= d.state.trim_point)).length;
    const under = held < loglet.params.replication.node;
    const checksums = new Set(copies.map((c) => c.get(offset)).filter((crc): crc is number => typeof crc === 'number'));
    const differ = checksums.size > 1;
    offsets.push({
      offset,
      nodes: Object.fromEntries(members.map((id, i) => [formatPlainId(id), cells[i] === 'X' ? 'exists' : cells[i] === 'T' ? 'trimmed' : digests[i] ? 'missing' : 'unknown'])),
      under_replicated: under,
      copies_differ: differ,
    });
    if (args.underReplicatedOnly && !under && !differ) continue;
    if (offset === globalTail) rows.push(['────', ...members.map(() => '────'), '']);
    const issues = [under ? 'U' : '', differ ? 'D' : ''].join('');
    rows.push([offset, ...cells, issues ? styled(issues, 'bad') : '']);
  }
  const footer = (label: string, value: (d: LogletDigest) => number): Cell[] => [label, ...digests.map((d) => (d ? value(d) : styled('?', 'bad'))), ''];
  const header = ['OFFSET', ...members.map((id, i) => {
    const d = digests[i];
    return !d ? `${formatPlainId(id)}(E)` : d.state.sealed ? `${formatPlainId(id)}(S)` : formatPlainId(id);
  }), 'ISSUES'];
  const rule = '═════════';
  return {
    json: {
      loglet_id_raw: loglet.logletId,
      replication: loglet.params.replication,
      observed_global_tail: globalTail,
      log_servers: members.map((id, i) => ({ node_id: id, state: digests[i]?.state ?? null })),
      offsets: args.underReplicatedOnly ? offsets.filter((o) => o.under_replicated || o.copies_differ) : offsets,
    },
    blocks: [
      table(header, [
        ...rows,
        ['', ...members.map(() => ''), ''],
        [rule, ...members.map(() => rule), ''],
        footer('LOCAL TAIL', (d) => d.state.local_tail),
        footer('GLOBAL TAIL', (d) => d.state.known_global_tail),
        footer('TRIM POINT', (d) => d.state.trim_point),
      ]),
      blank,
      table([], [...identityRows(loglet), [styled('Observed Global Tail:', undefined, true), globalTail]]),
    ],
    warnings: members.filter((_, i) => !digests[i]).map((id) => `${formatPlainId(id)} did not answer`),
  };
}
