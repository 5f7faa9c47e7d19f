// `cairnctl logs describe [ids] [--skip N | --from-segment-id N] [--tail N | --head N | --all] [--extra]`.
import { formatGenId, formatLogletId, formatNodeSet, formatReplication, formatVersion } from '../../../api/ids';
import { findChain } from '../../../api/logs';
import type { NodesConfiguration, Segment } from '../../../api/schemas';
import type { CommandContext } from '../../context';
import { CliError, EXIT } from '../../errors';
import type { LogsDescribeJson } from '../../output/documents';
import { blank, line, styled, table, type Block, type Cell, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import type { logsDescribeSpec } from './index';
import { sequencerFields } from './sequencer';

/** The nodeset without nodes that can hold no data: removed, or with storage disabled. */
export function effectiveNodeset(nodeset: readonly number[], nodes: NodesConfiguration): number[] {
  return nodeset.filter((id) => nodes.nodes.some((n) => n.id === id && n.log_server.storage_state !== 'disabled'));
}

export async function run(ctx: CommandContext, args: ArgsOf<typeof logsDescribeSpec>): Promise<View> {
  const cluster = await ctx.cluster();
  const [logs, nodes] = await Promise.all([cluster.metadata('bifrost_config'), cluster.metadata('nodes_config')]);
  const ids = args.ids.length ? args.ids : logs.value.logs.map((l) => l.log_id);
  const missing = ids.filter((id) => !findChain(logs.value, id));
  if (missing.length) throw new CliError(`no such log: ${missing.join(', ')}`, EXIT.NOT_FOUND, 'see `cairnctl logs list`');
  const trimPoints = args.extra
    ? await Promise.all(ids.map((id) => cluster.admin('describeLog', { params: { log: id } }).then((d) => d.trim_point_lsn)))
    : undefined;

  const json: LogsDescribeJson['logs'] = [];
  const blocks: Block[] = [];
  for (const [i, id] of ids.entries()) {
    const chain = findChain(logs.value, id)!;
    const total = chain.segments.length;
    const from = args.fromSegmentId !== undefined ? chain.segments.filter((s) => s.index >= args.fromSegmentId!) : chain.segments.slice(args.skip ?? 0);
    const shown = args.all ? from : args.head !== undefined ? from.slice(0, args.head) : from.slice(Math.max(0, from.length - args.tail));
    const describe = (segment: Segment) => {
      const isTail = segment === chain.segments[total - 1];
      const params = segment.params;
      const node = params ? nodes.value.nodes.find((n) => `N${n.id}` === params.sequencer.split(':')[0]) : undefined;
      return {
        index: segment.index,
        from_lsn: segment.base_lsn,
        kind: segment.kind,
        is_tail: isTail,
        loglet_id: params ? formatLogletId(params.loglet_id) : null,
        replication: params?.replication ?? null,
        ...sequencerFields(params?.sequencer),
        sequencer_current: params ? !!node && formatGenId(node) === params.sequencer : null,
        nodeset: params?.nodeset ?? null,
        effective_nodeset: params ? effectiveNodeset(params.nodeset, nodes.value) : null,
        created_at: segment.created_at ?? null,
        seal: segment.seal ?? null,
      };
    };
    const segments = shown.map(describe);
    json.push({ log_id: id, ...(trimPoints ? { trim_point_lsn: trimPoints[i] } : {}), segments_total: total, segments });

    blocks.push(line(`Log Id: ${id} (${formatVersion(logs.version)})`));
    if (trimPoints) blocks.push(line(`Trim Point LSN: ${trimPoints[i]}`));
    if (segments.length === 0) {
      blocks.push(line('No segments to display.'), blank);
      continue;
    }
    const header = ['IDX', 'FROM-LSN', 'KIND', 'LOGLET-ID', 'REPLICATION', 'SEQUENCER', 'EFF-NODESET', 'CREATED-AT', ...(args.extra ? ['PARAMS'] : []), ''];
    const rows = shown.map((segment, n): Cell[] => {
      const s = segments[n]!;
      const short = s.effective_nodeset && s.replication && s.effective_nodeset.length < s.replication.node;
      const note = s.seal
        ? styled(`At ${s.seal.sealed_at} ${Object.entries(s.seal.context).map(([k, v]) => `${k}=${v}`).join(', ')}`, s.seal.permanent ? 'good' : undefined)
        : '';
      return [
        s.index,
        s.from_lsn,
        s.kind,
        s.loglet_id ?? '',
        s.replication ? formatReplication(s.replication) : '',
        s.sequencer_generational_id ? (s.is_tail ? styled(s.sequencer_generational_id, s.sequencer_current ? 'good' : 'bad') : s.sequencer_generational_id) : '',
        s.effective_nodeset ? styled(formatNodeSet(s.effective_nodeset), s.is_tail && short ? 'bad' : undefined) : '',
        s.created_at ? { time: s.created_at, style: 'rough' } : '--',
        ...(args.extra ? [segment.params ? JSON.stringify(segment.params) : ''] : []),
        note,
      ];
    });
    const markers = segments.map((s) => (s.is_tail ? styled('▶︎', 'good') : ''));
    blocks.push(table(header, rows, { markers, fit: { truncate: ['EFF-NODESET'] } }), line('---'), line(`${segments.length}/${total} segments shown.`), blank);
  }
  const document: LogsDescribeJson = { logs_version: logs.version, logs: json };
  return { json: document, blocks };
}
