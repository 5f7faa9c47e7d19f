// What `info` and `digest` share: where a loglet is used, and each nodeset member's view of it.
import { formatGenId, formatLogletId, formatNodeSet, formatPlainId, formatReplication, parseLogletId, splitLogletId } from '../../../api/ids';
import { findChain } from '../../../api/logs';
import type { LogletState, Logs, NodesConfiguration, ReplicatedLogletParams } from '../../../api/schemas';
import type { ClusterConnection } from '../../connection';
import type { CommandContext } from '../../context';
import { CliError, EXIT, usageError } from '../../errors';
import { styled, type Cell } from '../../output/view';

export interface LogletContext {
  logletId: number;
  logId: number;
  segmentIndex: number;
  params: ReplicatedLogletParams;
  isTail: boolean;
  sequencerNote: string | null;
}

function locateLoglet(logletId: number, logs: Logs, nodes: NodesConfiguration): LogletContext {
  const { logId, segmentIndex } = splitLogletId(logletId);
  const chain = findChain(logs, logId);
  const index = chain?.segments.findIndex((s) => s.params?.loglet_id === logletId) ?? -1;
  if (!chain || index < 0) {
    throw new CliError(`loglet ${formatLogletId(logletId)} is not part of any log chain`, EXIT.NOT_FOUND, 'see `cairnctl logs describe`');
  }
  const params = chain.segments[index]!.params!;
  const [id, generation] = params.sequencer.slice(1).split(':').map(Number);
  const node = nodes.nodes.find((n) => n.id === id);
  const sequencerNote = !node
    ? `(gone; node ${formatPlainId(id!)} has been permanently deleted from config)`
    : node.generation > generation!
      ? `(gone; current generation is ${formatGenId(node)})`
      : node.generation < generation!
        ? `(newer than nodes config, config has ${formatGenId(node)})`
        : null;
  return { logletId, logId, segmentIndex, params, isTail: index === chain.segments.length - 1, sequencerNote };
}

/** Parses the loglet id an operator typed and finds it in the logs metadata. */
export async function resolveLoglet(
  ctx: CommandContext,
  text: string,
): Promise<{ cluster: ClusterConnection; loglet: LogletContext; nodes: NodesConfiguration }> {
  let logletId: number;
  try {
    logletId = parseLogletId(text);
  } catch (err) {
    throw usageError((err as Error).message);
  }
  const cluster = await ctx.cluster();
  const [logs, nodes] = await Promise.all([cluster.metadata('bifrost_config'), cluster.metadata('nodes_config')]);
  return { cluster, loglet: locateLoglet(logletId, logs.value, nodes.value), nodes: nodes.value };
}

/** The key/value rows that open both views. */
export function identityRows(loglet: LogletContext): Cell[][] {
  return [
    [styled('Loglet Id:', undefined, true), `${formatLogletId(loglet.logletId)} (raw=${loglet.logletId})`],
    [styled('Used in:', undefined, true), `LogId=${loglet.logId} at Segment=${loglet.segmentIndex}${loglet.isTail ? '' : ' (SEGMENT IS SEALED)'}`],
    [styled('Sequencer:', undefined, true), `${loglet.params.sequencer}${loglet.sequencerNote ? ` ${loglet.sequencerNote}` : ''}`],
    [styled('Replication:', undefined, true), formatReplication(loglet.params.replication)],
    [styled('Nodeset:', undefined, true), formatNodeSet(loglet.params.nodeset)],
  ];
}

export interface MemberState {
  node_id: number;
  state: LogletState | null;
  error: string | null;
}

/** Each nodeset member's state of the loglet, asked in parallel with the probe timeout. */
export async function memberStates(cluster: ClusterConnection, loglet: LogletContext, nodes: NodesConfiguration): Promise<MemberState[]> {
  return Promise.all(
    [...loglet.params.nodeset].sort((a, b) => a - b).map(async (id): Promise<MemberState> => {
      const node = nodes.nodes.find((n) => n.id === id);
      if (!node) return { node_id: id, state: null, error: 'not in the nodes configuration' };
      try {
        return { node_id: id, state: await cluster.node(node.address, 'logServerState', { loglet: loglet.logletId }), error: null };
      } catch (err) {
        return { node_id: id, state: null, error: (err as Error).message };
      }
    }),
  );
}
