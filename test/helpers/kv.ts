// Client side of the ingress and of the log records endpoint, for tests and benchmarks.
import type { PartitionTable } from '../../src/api/schemas';
import { decodeRecord } from '../../src/server/bifrost/record';
import { partitionForKey } from '../../src/server/worker/partitioning';
import { decodeFrame } from '../../src/server/bifrost/wire';

export interface PutOutcome {
  ok: boolean;
  status?: number;
  body?: string;
  attempts: number;
}

/** PUT, trying the next ingress on a connection failure or a 5xx, until `deadlineMs` passes. */
export async function putWithRetry(ingresses: string[], key: string, value: string | Buffer, deadlineMs = 30_000, start = 0): Promise<PutOutcome> {
  const deadline = Date.now() + deadlineMs;
  let attempts = 0;
  let last: PutOutcome = { ok: false, attempts: 0 };
  for (let i = start; Date.now() < deadline; i++) {
    attempts++;
    const sentAt = new Date().toISOString();
    try {
      const response = await fetch(`${ingresses[i % ingresses.length]}/kv/${encodeURIComponent(key)}`, {
        method: 'PUT',
        body: value,
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      });
      const body = await response.text();
      if (response.ok) return { ok: true, status: response.status, body, attempts };
      last = { ok: false, status: response.status, body, attempts };
      if (response.status < 500) return last;
    } catch (err) {
      // Which node left the write unanswered, and since when: what to look for in its server.log.
      last = { ok: false, attempts, body: `from ${ingresses[i % ingresses.length]} to the attempt sent at ${sentAt} (${(err as Error).name})` };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { ...last, attempts };
}

/**
 * Writes `<prefix>-0` ... `<prefix>-<count - 1>` (values of varied length), spreading the requests
 * over the ingresses, and records each acknowledged key and value in `into`.
 */
export async function writeNumberedKeys(ingresses: string[], prefix: string, count: number, into: Map<string, string>): Promise<void> {
  for (let n = 0; n < count; n++) {
    const key = `${prefix}-${n}`;
    const value = `${key}:${'v'.repeat(n % 40)}`;
    const outcome = await putWithRetry(ingresses, key, value, 30_000, n);
    if (!outcome.ok) throw new Error(`PUT ${key} failed after ${outcome.attempts} attempts: ${outcome.status ?? 'no answer'} ${outcome.body ?? ''}`);
    into.set(key, value);
  }
}

/** `count` new key names (`<prefix>-<n>`) that land in partition `partitionId`. */
export function keysInPartition(table: PartitionTable, partitionId: number, count: number, prefix: string): string[] {
  const keys: string[] = [];
  for (let n = 0; keys.length < count; n++) if (partitionForKey(`${prefix}-${n}`, table).id === partitionId) keys.push(`${prefix}-${n}`);
  return keys;
}

export async function get(ingress: string, key: string): Promise<{ status: number; body: Buffer }> {
  const response = await fetch(`${ingress}/kv/${encodeURIComponent(key)}`);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

export interface LogEntry {
  lsn: number;
  key: string;
  value: Buffer;
}

/** Every committed record of a log, in LSN order, checking that no LSN is missing. */
export async function readLog(address: string, logId: number): Promise<{ tail: number; entries: LogEntry[] }> {
  const entries: LogEntry[] = [];
  let from = 1;
  let tail = 1;
  for (;;) {
    const response = await fetch(`${address}/v1/logs/${logId}/records?from=${from}&max_records=5000`);
    if (!response.ok) throw new Error(`reading log ${logId} from ${from}: HTTP ${response.status} ${await response.text()}`);
    const { header, records } = decodeFrame<{ from: number; tail_lsn: number }>(Buffer.from(await response.arrayBuffer()));
    tail = header.tail_lsn;
    if (header.from !== from) throw new Error(`log ${logId}: asked for LSN ${from}, got ${header.from}`);
    records.forEach((record, i) => {
      const { key, value } = decodeRecord(record);
      entries.push({ lsn: from + i, key, value: Buffer.from(value) });
    });
    from += records.length;
    if (from >= tail || records.length === 0) break;
  }
  if (from !== tail) throw new Error(`log ${logId}: read up to LSN ${from - 1} but the tail is ${tail}`);
  return { tail, entries };
}

/** Concurrent writers of distinct keys through the ingresses, keeping what was acknowledged. */
export class Writers {
  readonly acked = new Map<string, string>();
  /** Acknowledged writes per partition, when clients write to one partition each. */
  readonly ackedIn = new Map<number, number>();
  /** The longest time between two acknowledged writes of a partition, likewise. */
  readonly longestPauseIn = new Map<number, number>();
  readonly failed: string[] = [];
  longestPauseMs = 0;
  private running = true;
  private readonly done: Promise<void>[];

  /**
   * `onePartitionEach`: client c writes only keys of partition c mod the partition count, so that a
   * stalled partition stalls only its own clients.
   */
  constructor(
    private readonly ingresses: () => string[],
    clients: number,
    private readonly options: { prefix?: string; onePartitionEach?: PartitionTable } = {},
  ) {
    this.done = Array.from({ length: clients }, (_, client) => this.client(client));
  }

  private async client(client: number): Promise<void> {
    const table = this.options.onePartitionEach;
    const partition = table?.partitions[client % table.partitions.length]!.id;
    let lastAck = Date.now();
    for (let i = 0; this.running; i++) {
      const key = `${this.options.prefix ?? 'c'}${client}-${i}`;
      if (table && partitionForKey(key, table).id !== partition) continue;
      const value = `${key}=${'x'.repeat(20 + ((i * 7919) % 200))}`;
      const outcome = await putWithRetry(this.ingresses(), key, value, 30_000, client + i);
      if (!outcome.ok) {
        this.failed.push(`${key}: ${outcome.status ?? 'no answer'} ${outcome.body ?? ''}`);
        continue;
      }
      this.acked.set(key, value);
      const now = Date.now();
      if (partition !== undefined) {
        const count = (this.ackedIn.get(partition) ?? 0) + 1;
        this.ackedIn.set(partition, count);
        if (count > 1) this.longestPauseIn.set(partition, Math.max(this.longestPauseIn.get(partition) ?? 0, now - lastAck));
      }
      this.longestPauseMs = Math.max(this.longestPauseMs, now - lastAck);
      lastAck = now;
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.done);
  }

  /** Reads every acknowledged key back, spread over the ingresses; throws at the first that differs. */
  async expectAllReadBack(): Promise<void> {
    const readers = this.ingresses();
    let i = 0;
    for (const [key, value] of this.acked) {
      const result = await get(readers[i++ % readers.length]!, key);
      if (result.status !== 200 || result.body.toString() !== value) {
        throw new Error(`acknowledged write ${key} reads back as ${result.status} ${result.body.toString().slice(0, 60)}`);
      }
    }
  }
}
