// `cairnctl replicated-loglet digest <loglet> [--from] [--to] [-u]`: which log-server holds which
// offset; U marks offsets held by fewer log-servers than the replication asks for, D offsets whose
// copies differ in content (their checksums disagree).
import { formatPlainId } from '../../../api/ids';
import type { LogletDigest } from '../../../api/schemas';
import type { CommandContext } from '../../context';
import type { DigestJson } from '../../output/documents';
import { blank, styled, table, type Cell, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import type { digestSpec } from './index';
import { identityRows, resolveLoglet } from './loglet';

/** Offsets are shown at most this many at a time; narrow with --from/--to. */
const MAX_ROWS = 100_000;

export async function run(ctx: CommandContext, args: ArgsOf<typeof digestSpec>): Promise<View> {
  const { cluster, loglet, nodes } = await resolveLoglet(ctx, args.loglet);
  const members = [...loglet.params.nodeset].sort((a, b) => a - b);
  const answers = await Promise.all(
    members.map(async (id): Promise<{ digest: LogletDigest | null; error: string | null }> => {
      const node = nodes.nodes.find((n) => n.id === id);
      if (!node) return { digest: null, error: 'not in the nodes configuration' };
      try {
        const digest = await cluster.http.call(node.address, 'logServerDigest', {
          params: { loglet: loglet.logletId },
          query: { from: args.from, to: args.to },
          timeoutMs: cluster.requestTimeoutMs,
        });
        return { digest, error: null };
      } catch (err) {
        return { digest: null, error: (err as Error).message };
      }
    }),
  );
  const errors = answers.map((a) => a.error);
  const digests = answers.map((a) => a.digest);
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
      nodes: members.map((node_id, i) => ({ node_id, state: cells[i] === 'X' ? ('exists' as const) : cells[i] === 'T' ? ('trimmed' as const) : digests[i] ? ('missing' as const) : ('unknown' as const) })),
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
  const json: DigestJson = {
    loglet_id: `${loglet.logId}_${loglet.segmentIndex}`,
    loglet_id_raw: loglet.logletId,
    replication: loglet.params.replication,
    observed_global_tail: globalTail,
    log_servers: members.map((node_id, i) => ({ node_id, state: digests[i]?.state ?? null, error: errors[i] ?? null })),
    offsets: args.underReplicatedOnly ? offsets.filter((o) => o.under_replicated || o.copies_differ) : offsets,
  };
  return {
    json,
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
    warnings: members.flatMap((id, i) => (errors[i] ? [`${formatPlainId(id)}: ${errors[i]}`] : [])),
  };
}
