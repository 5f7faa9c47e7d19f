// `cairnctl logs list`.
import { formatLogletId, formatNodeSet, formatReplication, formatVersion } from '../../../api/ids';
import { tailLoglet, tailSegment } from '../../../api/logs';
import type { CommandContext } from '../../context';
import type { LogsListJson } from '../../output/documents';
export { logsChanges as watchChanges } from '../../output/changes';
import { line, styled, table, type Cell, type View } from '../../output/view';
import { sequencerFields } from './sequencer';

export async function run(ctx: CommandContext): Promise<View> {
  const logs = await (await ctx.cluster()).metadata('bifrost_config');
  const provider = logs.value.default_provider;

  const items = logs.value.logs.map((chain): LogsListJson['logs'][number] => {
    const tail = tailSegment(chain);
    const loglet = tailLoglet(chain);
    return {
      log_id: chain.log_id,
      segments: chain.segments.length,
      from_lsn: tail.base_lsn,
      kind: tail.kind,
      loglet_id: loglet ? formatLogletId(loglet.params.loglet_id) : null,
      replication: loglet?.params.replication ?? null,
      ...sequencerFields(loglet?.params.sequencer),
      nodeset: loglet?.params.nodeset ?? null,
    };
  });

  const na = styled('N/A', 'bad');
  const rows = items.map((item): Cell[] => [
    item.log_id,
    item.segments,
    item.from_lsn,
    item.kind,
    item.loglet_id ?? na,
    item.replication ? formatReplication(item.replication) : na,
    item.sequencer_generational_id ?? na,
    item.nodeset ? formatNodeSet(item.nodeset) : na,
  ]);

  const json: LogsListJson = {
    logs_version: logs.version,
    default_provider: { kind: provider.kind, replication: provider.replication, nodeset_size: provider.target_nodeset_size },
    logs: items,
  };
  return {
    json,
    blocks: [
      line(`Logs ${formatVersion(logs.version)}`),
      line(`└ Logs Provider: ${provider.kind}`),
      line(` ├ Log replication: ${formatReplication(provider.replication)}`),
      line(` └ Nodeset size: ${provider.target_nodeset_size}`),
      ...(items.length
        ? [table(['L-ID', 'SEGMENTS', 'FROM', 'KIND', 'LOGLET-ID', 'REPLICATION', 'SEQUENCER', 'NODESET'], rows, { fit: { truncate: ['NODESET'] } })]
        : [line('No logs yet: the cluster controller creates them once enough log-servers are read-write.')]),
    ],
  };
}
