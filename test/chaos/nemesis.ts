// The nemesis: at seeded random moments it runs one fault from the table at a time (inject, hold,
// heal), printing the schedule as it goes. A fault is a small module (faults/*.ts) that only
// knows this context, so new kinds plug into faults/index.ts without touching the rest.
import { parseGenId } from '../../src/api/ids';
import { tailLoglet } from '../../src/api/logs';
import type { ChaosCluster } from './cluster';
import { seconds } from './history';
import type { Rng } from './rng';

export interface ScheduleEntry {
  at: number;
  fault: string;
  action: string;
  target: string;
  detail: string;
}

export interface FaultContext {
  cluster: ChaosCluster;
  rng: Rng;
  /** Records and prints one step of the schedule. */
  event(action: string, target: string, detail?: string): void;
  /** Waits, or returns early once the run is interrupted. */
  sleep(ms: number): Promise<void>;
  /** `local up`: starts every node and etcd member that is down and waits for the cluster to be healthy. */
  restart(): Promise<void>;
  /** The node running the sequencer of a log's tail segment, if it is known. */
  sequencerNode(logId: number): Promise<string | undefined>;
  logIds(): Promise<number[]>;
  partitionIds(): Promise<number[]>;
}

export interface Fault {
  name: string;
  summary: string;
  /** Runs before the cluster first starts (e.g. mounting a tmpfs); returns why the fault cannot run, if so. */
  prepare?(cluster: ChaosCluster, rng: Rng): string | undefined;
  /** Injects the fault, holds it, and heals it. */
  run(context: FaultContext): Promise<void>;
  /** Undoes whatever the fault may have left behind, after the nemesis stops. */
  heal?(context: FaultContext): Promise<void>;
}

export class Nemesis {
  readonly schedule: ScheduleEntry[] = [];
  faultsRun = 0;

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly faults: Fault[],
    private readonly rng: Rng,
    private readonly now: () => number,
    private readonly signal: AbortSignal,
    private readonly print: (line: string) => void,
  ) {}

  readonly context = (fault: string, rng: Rng): FaultContext => ({
    cluster: this.cluster,
    rng,
    event: (action, target, detail = '') => {
      const entry = { at: this.now(), fault, action, target, detail };
      this.schedule.push(entry);
      this.print(formatEntry(entry));
    },
    sleep: (ms) => abortableSleep(ms, this.signal),
    restart: async () => {
      const started = this.now();
      const result = await this.cluster.up();
      // "started n2 (pid 7)" and "started etcd member n2 (pid 8)" read n2(pid 7) and etcd n2(pid 8).
      const names = [...result.stderr.matchAll(/^started (etcd member )?(\S+) \(pid (\d+)\)/gm)].map((m) => `${m[1] ? 'etcd ' : ''}${m[2]}(pid ${m[3]})`);
      const took = `in ${seconds(this.now() - started)}`;
      const outcome = result.code === 0 ? `healthy ${took}` : `local up exit ${result.code}: ${lastLine(result.stderr)} ${took}`;
      this.schedule.push({ at: this.now(), fault, action: 'restart', target: names.join(',') || '-', detail: outcome });
      this.print(formatEntry(this.schedule[this.schedule.length - 1]!));
    },
    sequencerNode: async (logId) => {
      const chain = (await this.cluster.logs()).logs.find((c) => c.log_id === logId);
      const tail = chain && tailLoglet(chain);
      return tail ? `n${parseGenId(tail.params.sequencer).id}` : undefined;
    },
    logIds: async () => (await this.cluster.logs()).logs.map((c) => c.log_id),
    partitionIds: async () => (await this.cluster.partitionTable()).partitions.map((p) => p.id),
  });

  /** Runs faults until `untilMs` (the one in progress finishes, healed), with quiet gaps between. */
  async run(untilMs: number): Promise<void> {
    while (!this.signal.aborted && this.now() < untilMs) {
      await abortableSleep(this.rng.int(2_000, 6_000), this.signal);
      if (this.signal.aborted || this.now() >= untilMs) break;
      const fault = this.rng.pick(this.faults);
      this.faultsRun++;
      const context = this.context(fault.name, this.rng.fork(this.faultsRun));
      // A fault that cannot go on (say, no node answers with the logs) is logged; the heal after the
      // nemesis undoes whatever it left.
      await fault.run(context).catch((err: Error) => context.event('gave up', '-', err.message.split('\n')[0]));
    }
  }

  /** Heals anything left over: resumes paused nodes, lets each fault undo its state, restarts nodes. */
  async healAll(): Promise<void> {
    const context = this.context('heal', this.rng.fork(0));
    const resumed = this.cluster.resumeAll();
    if (resumed.length) context.event('resume', resumed.join(','), 'SIGCONT');
    for (const fault of this.faults) await fault.heal?.(context);
    await context.restart();
  }
}

export function formatEntry(entry: ScheduleEntry): string {
  return `[${seconds(entry.at).padStart(9)}] ${entry.fault.padEnd(12)} ${entry.action.padEnd(16)} ${entry.target.padEnd(10)} ${entry.detail}`;
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).pop()?.slice(0, 200) ?? '';
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
