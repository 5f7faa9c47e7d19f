// Bifrost's HTTP endpoints: the sequencer's (appends from other nodes' bifrost clients, and the
// committed tail, with a long-poll, for readers) and a log's records for `cairnctl logs dump`.
import { ApiError } from '../../api/errors';
import { formatLogletId } from '../../api/ids';
import { idParam } from '../admin/service';
import type { HttpServer } from '../http/server';
import type { MetadataManager } from '../metadata/manager';
import type { Bifrost } from './bifrost';
import { enforceRecordSize } from './record';
import type { Sequencer } from './sequencer';
import type { SequencerManager } from './sequencers';
import { decodeFrame, encodeFrame } from './wire';

const MAX_TAIL_WAIT_MS = 10_000;

export function bindSequencerRoutes(
  server: HttpServer,
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
    if (!sequencer) {
      throw new ApiError('SEALED', `loglet ${formatLogletId(logletId)} is not open for appends on this node`, 'the appender retries on the current tail segment');
    }
    return sequencer;
  };

  server.rawRoute('append', async ({ body }) => {
    const { header, records } = decodeFrame<{ loglet_id: number }>(body);
    for (const record of records) enforceRecordSize(record.length, recordSizeLimit);
    const sequencer = await sequencerFor(header.loglet_id);
    const { first, last } = await sequencer.append(records);
    const base = sequencer.baseLsn;
    return {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ loglet_id: header.loglet_id, first_offset: first, last_offset: last, first_lsn: base + first - 1, last_lsn: base + last - 1 }),
    };
  });

  server.route('sequencerTail', async ({ params, query }) => {
    const logletId = Number(params.loglet);
    const sequencer = await sequencerFor(logletId);
    const after = Number(query.get('after') ?? 0);
    const waitMs = Math.min(Number(query.get('wait_ms') ?? 0), MAX_TAIL_WAIT_MS);
    const committed = query.get('confirm') === '1' ? await sequencer.confirmedTail() : await sequencer.waitForTail(after, waitMs);
    return { loglet_id: logletId, committed_tail: committed, sealed: sequencer.sealed };
  });
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
