// Sealing a replicated loglet: seal it on an f-majority of its nodeset (a set that intersects every
// write quorum, so it holds a copy of every committed record), take the highest local tail among
// them as the loglet's tail, and repair records below it that fewer than a write quorum hold.
// Log-servers that lost their data answer too but do not count: they are not authoritative.
import { ApiError } from '../../api/errors';
import { formatLogletId, formatPlainId } from '../../api/ids';
import type { ReplicatedLogletParams } from '../../api/schemas';
import type { LogServerClient } from '../log-server/client';
import type { LogletState } from '../log-server/log-store';
import type { Logger } from '../logger';
import { readForCopy } from './sequencer';

/** Slow log-servers are not waited for once an f-majority has answered and this much time passed. */
const SEAL_PATIENCE_MS = 1_500;
const SEAL_TIMEOUT_MS = 10_000;

export interface SealResult {
  /** Exclusive tail offset: the loglet holds offsets [1, tail). */
  tail: number;
  repaired: number;
  sealedOn: number[];
}

/** What the sealer needs to know of each nodeset member's storage state. */
export interface MemberStates {
  /** In the effective nodeset: not disabled, not removed. */
  holdsData(id: number): boolean;
  /** Its answer counts towards an f-majority: it has not lost its data. */
  authoritative(id: number): boolean;
  /** Known to be down or cut off (the cluster controller's probes say so): not worth any patience. */
  unreachable?(id: number): boolean;
}

export function fMajority(nodesetSize: number, replication: number): number {
  return Math.max(1, nodesetSize - replication + 1);
}

/** What the authoritative members of a nodeset answered (see askNodeset). */
export interface NodesetAnswers<T> {
  /** Answers of members that hold data and are authoritative, by node id. */
  counted: Map<number, T>;
  /** The f-majority of the effective nodeset. */
  needed: number;
  /** Members that hold data (not disabled, not removed). */
  effective: number;
  /** `N<id>: <error>` of every member that failed to answer. */
  failures: string[];
}

/**
 * Asks every member of a nodeset; resolves once all answered, or an f-majority did and patience ran
 * out (or only members known to be unreachable are left), or at the deadline. A paused member so
 * costs at most SEAL_PATIENCE_MS, not its request timeout, and one the controller knows is down
 * costs nothing.
 */
export async function askNodeset<T>(params: ReplicatedLogletParams, members: MemberStates, ask: (id: number) => Promise<T>): Promise<NodesetAnswers<T>> {
  const effective = params.nodeset.filter((id) => members.holdsData(id)).length;
  const needed = fMajority(effective, params.replication.node);
  const counted = new Map<number, T>();
  const failures: string[] = [];
  const unanswered = new Set(params.nodeset);
  await new Promise<void>((resolve) => {
    // A flag, not a clock comparison: a timer may fire a millisecond before Date.now() says its time
    // has passed, and with nothing else left to answer the wait would then run to the deadline.
    let patienceOver = false;
    const finish = () => {
      clearTimeout(patience);
      clearTimeout(deadline);
      resolve();
    };
    const check = () => {
      if (!unanswered.size) return finish();
      if (counted.size >= needed && (patienceOver || [...unanswered].every((id) => members.unreachable?.(id)))) finish();
    };
    const patience = setTimeout(() => {
      patienceOver = true;
      check();
    }, SEAL_PATIENCE_MS);
    const deadline = setTimeout(finish, SEAL_TIMEOUT_MS);
    for (const nodeId of params.nodeset) {
      Promise.resolve()
        .then(() => ask(nodeId))
        .then(
          (answer) => {
            if (members.holdsData(nodeId) && members.authoritative(nodeId)) counted.set(nodeId, answer);
          },
          (err: Error) => failures.push(`${formatPlainId(nodeId)}: ${err.message}`),
        )
        .finally(() => {
          unanswered.delete(nodeId);
          check();
        });
    }
  });
  return { counted, needed, effective, failures };
}

/** Seals on every member that answers (see askNodeset); fails unless an f-majority did. */
async function sealAll(params: ReplicatedLogletParams, client: (id: number) => LogServerClient, members: MemberStates): Promise<Map<number, LogletState>> {
  const { counted, needed, effective, failures } = await askNodeset(params, members, (id) => client(id).seal(params.loglet_id));
  if (counted.size < needed) {
    throw new ApiError(
      'UNAVAILABLE',
      `cannot seal loglet ${formatLogletId(params.loglet_id)}: ${counted.size} authoritative log-server(s) of ${effective} answered, an f-majority is ${needed}${failures.length ? ` (${failures.join('; ')})` : ''}`,
      'bring enough log-servers of the nodeset back and retry',
    );
  }
  return counted;
}

export async function sealLoglet(
  params: ReplicatedLogletParams,
  client: (id: number) => LogServerClient,
  members: MemberStates,
  batch: { bytes: number; records: number },
  logger: Logger,
): Promise<SealResult> {
  const sealed = await sealAll(params, client, members);
  const byTail = [...sealed.entries()].sort((a, b) => b[1].local_tail - a[1].local_tail);
  const [sourceId, sourceState] = byTail[0]!;
  const tail = sourceState.local_tail;
  let repaired = 0;
  /** Local tails the repair raised. */
  const targetTails = new Map<number, number>();
  // Every record below the tail must end on a write quorum: the source plus the next best holders.
  for (const [targetId, targetState] of byTail.slice(1, params.replication.node)) {
    let next = targetState.local_tail;
    while (next < tail) {
      const copy = await readForCopy(client(sourceId), params.loglet_id, next, { batchRecords: batch.records, batchBytes: batch.bytes }).catch((err: Error) => {
        throw new ApiError('INTERNAL', `repair of ${formatLogletId(params.loglet_id)}: ${err.message}`);
      });
      const chunk = copy.records.slice(0, Math.max(0, tail - copy.first));
      const request = { loglet_id: params.loglet_id, first_offset: copy.first, known_global_tail: tail, repair: true, trim_point: copy.trimPoint };
      const result = await client(targetId).store(request, chunk);
      if (result.status !== 'ok') throw new ApiError('INTERNAL', `repair store on ${formatPlainId(targetId)} answered ${result.status}`);
      next = copy.first + chunk.length;
      repaired += chunk.length;
    }
    targetTails.set(targetId, next);
  }
  // The sealed tail is the loglet's global tail for good: its log-servers learn it (best effort;
  // readers do not depend on it), so that info and digest agree with find-tail.
  await Promise.all(
    [...sealed.entries()].map(([nodeId, state]) =>
      client(nodeId)
        .store({ loglet_id: params.loglet_id, first_offset: Math.min(Math.max(state.local_tail, targetTails.get(nodeId) ?? 0), tail), known_global_tail: tail, repair: true }, [])
        .catch(() => undefined),
    ),
  );
  logger.info({ loglet: formatLogletId(params.loglet_id), tail, repaired, sealed_on: [...sealed.keys()] }, 'loglet sealed');
  return { tail, repaired, sealedOn: [...sealed.keys()] };
}
