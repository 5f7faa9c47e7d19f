// Bifrost's operations: the sequencer's for peers on the node-to-node transport (appends from other
// nodes' bifrost clients, and the committed tail, with a long-poll, for readers), the committed
// tail as an HTTP endpoint for checks, and a log's records for `cairnctl logs dump`.
import { ApiError } from '../../api/errors';
import { formatLogletId } from '../../api/ids';
import type { AppendResult, SequencerTail } from '../../api/schemas';
import { idParam } from '../admin/service';
import { failpointHit } from '../failpoints';
import type { HttpServer } from '../http/server';
import type { MetadataManager } from '../metadata/manager';
import { headerOperation, type PeerServer } from '../transport/peer-server';
import type { Bifrost } from './bifrost';
import { enforceRecordSize } from './record';
import type { Sequencer } from './sequencer';
import type { SequencerManager } from './sequencers';
import { decodeFrame, encodeFrame } from './wire';

const MAX_TAIL_WAIT_MS = 10_000;

/**
 * What a reader asks a sequencer: the committed tail, once it passes `after` (waiting up to
 * `wait_ms`), or confirmed with a write quorum of log-servers that the loglet is not sealed.
 */
export interface TailQuestion {
  loglet_id: number;
  after?: number;
  wait_ms?: number;
  confirm?: boolean;
}

const notOpenHere = (logletId: number) =>
  new ApiError('SEALED', `loglet ${formatLogletId(logletId)} is not open for appends on this node`, 'the appender retries on the current tail segment');

export function bindSequencerOperations(
  server: HttpServer,
  peer: PeerServer,
  sequencers: () => SequencerManager | undefined,
  metadata: MetadataManager,
  recordSizeLimit: number,
): void {
  /** The sequencer of a loglet if it runs here; refreshes metadata once in case ours is behind. */
  const sequencerFor = async (logletId: number): Promise<Sequencer> => {
    let sequencer = sequencers()?.find(logletId);
    if (!sequencer) {
      await metadata.refresh().catch(() => undefined);
      sequencer = sequencers()?.find(logletId);
    }
    if (!sequencer) throw notOpenHere(logletId);
    return sequencer;
  };

  const tail = async (question: TailQuestion): Promise<SequencerTail> => {
    const sequencer = await sequencerFor(question.loglet_id);
    const waitMs = Math.min(question.wait_ms ?? 0, MAX_TAIL_WAIT_MS);
    const committed = question.confirm ? await sequencer.confirmedTail() : await sequencer.waitForTail(question.after ?? 0, waitMs);
    return { loglet_id: question.loglet_id, committed_tail: committed, sealed: sequencer.sealed };
  };

  peer.handle('append', async (payload) => {
    const { header, records } = decodeFrame<{ loglet_id: number }>(payload);
    for (const record of records) enforceRecordSize(record.length, recordSizeLimit);
    // A test stands here for a node that does not know yet that it sequences the loglet (its view of
    // the logs lags the appender's).
    if (failpointHit('sequencer-not-started')) throw notOpenHere(header.loglet_id);
    const sequencer = await sequencerFor(header.loglet_id);
    const { first, last } = await sequencer.append(records);
    const base = sequencer.baseLsn;
    const result: AppendResult = { loglet_id: header.loglet_id, first_offset: first, last_offset: last, first_lsn: base + first - 1, last_lsn: base + last - 1 };
    return encodeFrame(result, []);
  });
  peer.handle('tail', headerOperation(tail));
  server.route('sequencerTail', ({ params, query }) =>
    tail({ loglet_id: Number(params.loglet), after: Number(query.get('after') ?? 0), wait_ms: Number(query.get('wait_ms') ?? 0), confirm: query.get('confirm') === '1' }),
  );
}

/** A log's records from `?from=` (LSN, default 1), at most `?max_records=` (1 to 100000) and `readLimitBytes`. */
export function bindLogReadRoutes(server: HttpServer, bifrost: Bifrost, readLimitBytes: number): void {
  server.rawRoute('logRecords', async ({ params, query }) => {
    const logId = idParam(params.log, 'log');
    const from = Math.max(1, Number(query.get('from') ?? 1));
    const max = Math.max(1, Math.min(Number(query.get('max_records') ?? 1000), 100_000));
    const tail = await bifrost.tailLsn(logId);
    const { records } = from < tail ? await bifrost.read(logId, from, max, readLimitBytes, tail) : { records: [] };
    return { headers: { 'content-type': 'application/octet-stream' }, body: encodeFrame({ log_id: logId, from, tail_lsn: tail }, records) };
  });
}
