// One chaos run: a real cluster, concurrent clients, the seeded nemesis for the given time, then
// the heal and the four checks (liveness, no loss, replica agreement, linearizable registers), and
// the report. The cluster is always torn down by the caller through `cluster.cleanup`.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MetadataKind } from '../../src/server/local/cluster';
import { checkLiveness, partitionKeys } from './checks/liveness';
import { finalReads, isFinalRead } from './checks/final-reads';
import { checkHistory, type Violation } from './checks/register';
import { checkReplicas } from './checks/replicas';
import { KvClient, PartitionProbes, Workload } from './client';
import type { ChaosCluster } from './cluster';
import { FAULTS } from './faults';
import { History, seconds } from './history';
import { abortableSleep, formatEntry, Nemesis } from './nemesis';
import { formatViolation, logEvidence } from './report';
import { Rng } from './rng';
import { summarize } from './stats';

export interface ChaosOptions {
  seconds: number;
  seed: number;
  nodes: number;
  metadata: MetadataKind;
  faults: string[];
  clients: number;
  keys: number;
  sets: string[];
  keep: boolean;
}

export interface ChaosResult {
  ops: number;
  faults: number;
  violations: Violation[];
}

/**
 * Settings that make the faults bite: trims happen seconds after a snapshot rather than minutes,
 * and a sequencer keeps little in memory, so a log-server that was down is caught up from other
 * log-servers (the relay path) rather than from the sequencer's buffer.
 */
export const CHAOS_SETTINGS = ['admin.log-trim-delay=5s', 'bifrost.replication.sequencer-buffer-bytes=64KiB'];

const CLIENT_TIMEOUT_MS: [number, number] = [2_000, 8_000];
const VALUE_PADDING: [number, number] = [16, 2_048];
/** The workload goes on this long after the liveness check, before the final reads. */
const SETTLE_MS = 3_000;

export class Interrupted extends Error {}

export async function runChaos(options: ChaosOptions, cluster: ChaosCluster, signal: AbortSignal, out: (line: string) => void): Promise<ChaosResult> {
  const rng = new Rng(options.seed);
  const history = new History();
  const now = () => history.now();
  const checkpoint = () => {
    if (signal.aborted) throw new Interrupted('interrupted');
  };

  const faults = [];
  for (const name of options.faults) {
    const fault = FAULTS[name]!();
    const unavailable = fault.prepare?.(cluster, rng);
    if (unavailable) out(`chaos: fault ${name} left out: ${unavailable}`);
    else faults.push(fault);
  }
  out(`chaos: seed ${options.seed}, ${options.nodes} nodes on the ${options.metadata} metadata store, ${options.seconds}s of faults: ${faults.map((f) => `${f.name} (${f.summary})`).join('; ')}`);
  out(`chaos: cluster folder ${cluster.dir}`);
  await cluster.up();
  checkpoint();
  const nodes = cluster.nodeNames();
  const table = await cluster.partitionTable();
  out(`[${seconds(now()).padStart(9)}] cluster up: ${table.partitions.length} partitions, settings ${CHAOS_SETTINGS.join(' ')}`);

  const kv = new KvClient(cluster, history);
  const keys = Array.from({ length: options.keys }, (_, i) => `k${i}`);
  const workload = new Workload(kv, nodes, { clients: options.clients, keys, timeoutMs: CLIENT_TIMEOUT_MS, padding: VALUE_PADDING }, rng.fork(1));
  const probeKeys = partitionKeys(table, 'probe');
  const probes = new PartitionProbes(kv, nodes, probeKeys);
  const nemesis = new Nemesis(cluster, faults, rng.fork(2), now, signal, out);
  let liveness: Awaited<ReturnType<typeof checkLiveness>> = { violations: [], keys: [] };
  try {
    if (faults.length) await nemesis.run(now() + options.seconds * 1000);
    else await abortableSleep(options.seconds * 1000, signal);
    checkpoint();
    out(`[${seconds(now()).padStart(9)}] nemesis stopped after ${nemesis.faultsRun} faults; healing`);
    await nemesis.healAll();
    checkpoint();
    liveness = await checkLiveness(kv, nodes, table, now);
    out(`[${seconds(now()).padStart(9)}] liveness: ${table.partitions.length - liveness.violations.length} of ${table.partitions.length} partitions took a write within 5s`);
    await abortableSleep(SETTLE_MS, signal);
  } finally {
    await Promise.all([workload.stop(), probes.stop()]);
  }
  checkpoint();
  const unread = await finalReads(kv, nodes, [...keys, ...liveness.keys, ...probeKeys.values()], now);
  out(`[${seconds(now()).padStart(9)}] final reads of ${keys.length} workload keys, the liveness and the probe keys through ${nodes.length} ingresses done`);
  checkpoint();
  const replicas = await checkReplicas(cluster);
  out(`[${seconds(now()).padStart(9)}] replicas: compared ${replicas.offsets} committed offsets in ${replicas.segments} segments`);
  kv.close();

  const violations = [
    ...liveness.violations,
    ...unread,
    ...checkHistory(history.ops, isFinalRead),
    ...replicas.violations,
  ];
  for (const line of summarize(history, table)) out(line);
  if (violations.length) {
    out(`\nchaos: seed ${options.seed}; fault schedule:`);
    for (const entry of nemesis.schedule) out(formatEntry(entry));
    for (const [i, violation] of violations.entries()) {
      const evidence = violation.check === 'linearizable' || violation.check === 'no-loss' ? await logEvidence(cluster, table, violation).catch((err: Error) => `  (log not readable: ${err.message})`) : undefined;
      out(`\n${formatViolation(i + 1, violation, history.ops, evidence)}`);
    }
  }
  if (options.keep) {
    writeFileSync(path.join(cluster.dir, 'history.json'), JSON.stringify(history.ops));
    writeFileSync(path.join(cluster.dir, 'schedule.json'), JSON.stringify(nemesis.schedule, null, 1));
  }
  return { ops: history.ops.length, faults: nemesis.faultsRun, violations };
}
