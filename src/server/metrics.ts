// The node's Prometheus metrics (GET /metrics): one registry per cairn-server process, created on
// first use, so that importing this module costs nothing and the CLI never loads prom-client.
// Hot paths observe once per request or batch (never per record), through the node's own counters
// and histograms (metric-series.ts: an observation of prom-client's costs about ten times as much);
// gauges that describe state (in-flight stores, sealed loglets, processor lag, snapshot age) are
// prom-client's, read from the node's components when scraped.
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { formatPlainId } from '../api/ids';
import type { NodeStats, ProcessorStatus } from '../api/schemas';
import { CounterFamily, type CounterSeries, HistogramFamily, type HistogramSeries } from './metric-series';

/** Latencies from well under a millisecond (a local fsync) to seconds (a failover). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_RECORD_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];
const BATCH_BYTE_BUCKETS = [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

/** What a scrape reads from the node: each is absent while its role is not running. */
export interface ScrapeSources {
  sequencers?: { stats(): NodeStats['sequencers'] };
  logStore?: { sealedCount: number };
  partitions?: { statuses(): ProcessorStatus[]; snapshotTimes(): Map<number, number> };
}

/** Seconds from a `performance.now()` reading until now. */
export function secondsSince(startedMs: number): number {
  return (performance.now() - startedMs) / 1000;
}

export type MetadataOperation = 'get' | 'put' | 'delete' | 'versions';
export type MetadataOutcome = 'ok' | 'conflict' | 'error';

export class NodeMetrics {
  readonly registry = new Registry();
  private readonly ingressAppendOk: HistogramSeries;
  private readonly ingressAppendFailed: HistogramSeries;
  private readonly sequencerAppend: HistogramSeries;
  private readonly appendedRecords: CounterSeries;
  private readonly appendedBytes: CounterSeries;
  private readonly storeRoundTrip: HistogramFamily;
  private readonly storeRoundTripByPeer = new Map<number, HistogramSeries>();
  private readonly storeBatchRecords: HistogramSeries;
  private readonly applyBatchRecords: HistogramFamily;
  private readonly applyBatchByPartition = new Map<number, HistogramSeries>();
  private readonly storeBatchBytes: HistogramSeries;
  private readonly logStoreCommit: HistogramSeries;
  private readonly logStoreSyncs: Record<'event-loop' | 'thread-pool', CounterSeries>;
  private readonly metadataRequest: HistogramFamily;
  private readonly inflightStores: Gauge<'peer'>;
  private readonly sealedLoglets: Gauge;
  private readonly appliedLsn: Gauge<'partition'>;
  private readonly applyLag: Gauge<'partition'>;
  private readonly snapshotAge: Gauge<'partition'>;
  private readonly repeatedWrites: CounterFamily;

  constructor() {
    const registers = [this.registry];
    // process_cpu_seconds_total, process_resident_memory_bytes, nodejs_* (heap, event loop lag, GC).
    collectDefaultMetrics({ register: this.registry });
    const registry = this.registry;
    const ingressAppend = new HistogramFamily({
      name: 'cairn_ingress_append_duration_seconds',
      help: 'Ingress PUT /kv/{key}: from the request (body read) to its acknowledgement, by outcome',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registry,
    });
    this.ingressAppendOk = ingressAppend.labels('ok');
    this.ingressAppendFailed = ingressAppend.labels('error');
    this.sequencerAppend = new HistogramFamily({
      name: 'cairn_sequencer_append_duration_seconds',
      help: "A sequencer's append: from its arrival (waiting for buffer room included) to its commit by a write quorum",
      buckets: LATENCY_BUCKETS,
      registry,
    }).labels();
    this.appendedRecords = new CounterFamily({ name: 'cairn_appended_records_total', help: 'Records committed by the sequencers of this node', registry }).labels();
    this.appendedBytes = new CounterFamily({ name: 'cairn_appended_bytes_total', help: 'Payload bytes of the records committed by the sequencers of this node', registry }).labels();
    this.repeatedWrites = new CounterFamily({
      name: 'cairn_partition_repeated_writes_total',
      help: 'Records the partition processor on this node skipped as repeats of a write it had applied (an append retried after an ambiguous failure)',
      labelNames: ['partition'],
      registry,
    });
    this.storeRoundTrip = new HistogramFamily({
      name: 'cairn_store_round_trip_seconds',
      help: 'A store batch from a sequencer of this node to one log-server (peer), until its answer (durable there)',
      labelNames: ['peer'],
      buckets: LATENCY_BUCKETS,
      registry,
    });
    this.storeBatchRecords = new HistogramFamily({
      name: 'cairn_store_batch_records',
      help: 'Records per store batch the sequencers of this node send to a log-server',
      buckets: BATCH_RECORD_BUCKETS,
      registry,
    }).labels();
    this.applyBatchRecords = new HistogramFamily({
      name: 'cairn_partition_apply_batch_records',
      help: 'Records per transaction in which the processor of a partition on this node applies its log to the partition store',
      labelNames: ['partition'],
      buckets: BATCH_RECORD_BUCKETS,
      registry,
    });
    this.storeBatchBytes = new HistogramFamily({
      name: 'cairn_store_batch_bytes',
      help: 'Bytes (framing included) per store batch the sequencers of this node send to a log-server',
      buckets: BATCH_BYTE_BUCKETS,
      registry,
    }).labels();
    this.logStoreCommit = new HistogramFamily({
      name: 'cairn_log_store_commit_duration_seconds',
      help: "One group commit of this node's log store: the inserts of every store in it and the transaction's commit (fsync)",
      buckets: LATENCY_BUCKETS,
      registry,
    }).labels();
    const logStoreSyncs = new CounterFamily({
      name: 'cairn_log_store_fdatasyncs_total',
      help: "fdatasyncs of this node's log store WAL, by where they ran: on the event loop (alone, while recent ones were quick) or in the thread pool",
      labelNames: ['on'],
      registry,
    });
    this.logStoreSyncs = { 'event-loop': logStoreSyncs.labels('event-loop'), 'thread-pool': logStoreSyncs.labels('thread-pool') };
    this.metadataRequest = new HistogramFamily({
      name: 'cairn_metadata_request_duration_seconds',
      help: 'Requests of this node to the metadata store, by operation and outcome (conflict: a compare-and-set precondition failed)',
      labelNames: ['operation', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registry,
    });
    this.inflightStores = new Gauge({
      name: 'cairn_store_inflight_batches',
      help: 'Store batches in flight from the sequencers of this node to each log-server (peer), bounded by replication.inflight-batches',
      labelNames: ['peer'],
      registers,
    });
    this.sealedLoglets = new Gauge({ name: 'cairn_log_server_sealed_loglets', help: "Loglets sealed on this node's log-server", registers });
    this.appliedLsn = new Gauge({
      name: 'cairn_partition_applied_lsn',
      help: 'The last LSN the partition processor on this node has applied',
      labelNames: ['partition'],
      registers,
    });
    this.applyLag = new Gauge({
      name: 'cairn_partition_apply_lag_records',
      help: 'Committed records of the partition log the processor on this node has not applied yet (as of the tail it last read)',
      labelNames: ['partition'],
      registers,
    });
    this.snapshotAge = new Gauge({
      name: 'cairn_partition_snapshot_age_seconds',
      help: 'Seconds since the newest published snapshot of a partition this node leads (absent while it knows of none)',
      labelNames: ['partition'],
      registers,
    });
  }

  ingressAppended(startedMs: number, ok: boolean): void {
    (ok ? this.ingressAppendOk : this.ingressAppendFailed).observe(secondsSince(startedMs));
  }

  sequencerCommitted(startedMs: number, records: number, bytes: number): void {
    this.sequencerAppend.observe(secondsSince(startedMs));
    this.appendedRecords.inc(records);
    this.appendedBytes.inc(bytes);
  }

  writesRepeated(partition: number, count: number): void {
    this.repeatedWrites.labels(String(partition)).inc(count);
  }

  storeBatch(records: number, bytes: number): void {
    this.storeBatchRecords.observe(records);
    this.storeBatchBytes.observe(bytes);
  }

  applied(partition: number, records: number): void {
    let child = this.applyBatchByPartition.get(partition);
    if (!child) this.applyBatchByPartition.set(partition, (child = this.applyBatchRecords.labels(String(partition))));
    child.observe(records);
  }

  storeAnswered(peer: number, startedMs: number): void {
    let child = this.storeRoundTripByPeer.get(peer);
    if (!child) this.storeRoundTripByPeer.set(peer, (child = this.storeRoundTrip.labels(formatPlainId(peer))));
    child.observe(secondsSince(startedMs));
  }

  logStoreCommitted(seconds: number): void {
    this.logStoreCommit.observe(seconds);
  }

  logStoreSynced(on: 'event-loop' | 'thread-pool'): void {
    this.logStoreSyncs[on].inc();
  }

  metadataAnswered(operation: MetadataOperation, outcome: MetadataOutcome, startedMs: number): void {
    this.metadataRequest.labels(operation, outcome).observe(secondsSince(startedMs));
  }

  /** The Prometheus text exposition of every metric, with the gauges read from `sources` now. */
  async scrape(sources: ScrapeSources): Promise<{ headers: Record<string, string>; body: string }> {
    this.inflightStores.reset();
    const inflight = new Map<number, number>();
    for (const sequencer of sources.sequencers?.stats() ?? []) {
      for (const peer of sequencer.peers) inflight.set(peer.node_id, (inflight.get(peer.node_id) ?? 0) + peer.inflight_batches);
    }
    for (const [peer, count] of inflight) this.inflightStores.labels(formatPlainId(peer)).set(count);

    if (sources.logStore) this.sealedLoglets.set(sources.logStore.sealedCount);
    else this.sealedLoglets.reset();

    for (const gauge of [this.appliedLsn, this.applyLag, this.snapshotAge]) gauge.reset();
    const snapshotTimes = sources.partitions?.snapshotTimes() ?? new Map<number, number>();
    const now = Date.now();
    for (const status of sources.partitions?.statuses() ?? []) {
      const partition = String(status.partition_id);
      const applied = status.applied_lsn ?? 0;
      this.appliedLsn.labels(partition).set(applied);
      if (status.target_tail_lsn !== null) this.applyLag.labels(partition).set(Math.max(0, status.target_tail_lsn - 1 - applied));
      const snapshotAt = snapshotTimes.get(status.partition_id);
      if (status.mode === 'leader' && snapshotAt !== undefined) this.snapshotAge.labels(partition).set(Math.max(0, (now - snapshotAt) / 1000));
    }
    return { headers: { 'content-type': this.registry.contentType }, body: await this.registry.metrics() };
  }
}

let instance: NodeMetrics | undefined;

/** This process's metrics (a cairn-server process runs one node). */
export function nodeMetrics(): NodeMetrics {
  return (instance ??= new NodeMetrics());
}
