// `cairnctl replicated-loglet info <loglet>`.
import { formatPlainId } from '../../../api/ids';
import type { CommandContext } from '../../context';
import type { LogletInfoJson } from '../../output/documents';
import { blank, styled, table, type Cell, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import { sequencerFields } from '../logs/sequencer';
import type { infoSpec } from './index';
import { identityRows, memberStates, resolveLoglet } from './loglet';

export async function run(ctx: CommandContext, args: ArgsOf<typeof infoSpec>): Promise<View> {
  const { cluster, loglet, nodes } = await resolveLoglet(ctx, args.loglet);
  const members = await memberStates(cluster, loglet, nodes);
  const unknown = styled('?', 'bad');
  const rows = members.map((m): Cell[] =>
    m.state
      ? [formatPlainId(m.node_id), m.state.local_tail, m.state.known_global_tail, m.state.trim_point, m.state.sealed ? styled('YES', 'accent') : 'NO']
      : [formatPlainId(m.node_id), unknown, unknown, unknown, unknown],
  );
  const json: LogletInfoJson = {
      loglet_id: `${loglet.logId}_${loglet.segmentIndex}`,
      loglet_id_raw: loglet.logletId,
      log_id: loglet.logId,
      segment_index: loglet.segmentIndex,
      segment_sealed: !loglet.isTail,
      ...sequencerFields(loglet.params.sequencer),
      sequencer_note: loglet.sequencerNote,
      replication: loglet.params.replication,
      nodeset: loglet.params.nodeset,
      log_servers: members,
  };
  return {
    json,
    blocks: [table([], identityRows(loglet)), blank, table(['', 'LOCAL-TAIL', 'GLOBAL-TAIL', 'TRIM-POINT', 'SEALED'], rows)],
    warnings: members.filter((m) => m.error).map((m) => `${formatPlainId(m.node_id)}: ${m.error}`),
  };
}
