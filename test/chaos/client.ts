// Clients of the key/value ingress: one PUT or GET recorded in the history with its outcome, the
// workload of concurrent clients on a small key space with unique values, and one write probe per
// partition.
import { HttpClient, TransportError } from '../../src/api/http-client';
import type { ChaosCluster } from './cluster';
import type { History, Op } from './history';
import type { Rng } from './rng';

/** One agent for every client: connections are kept alive, as a real client's would be. */
export class KvClient {
  private readonly http = new HttpClient({ connectTimeoutMs: 1_000, connectionsPerOrigin: 16 });

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly history: History,
  ) {}

  /**
   * A PUT is `ok` once answered 2xx, `fail` on a 4xx or when the connection was never made (the
   * request was not sent), and `info` otherwise: a timeout, a reset or a 5xx may still commit.
   */
  async put(client: string, node: string, key: string, value: string, timeoutMs: number): Promise<Op> {
    const invoke = this.history.now();
    let outcome: Op['outcome'];
    let detail: string | undefined;
    try {
      const response = await this.http.request(`${this.cluster.ingress(node)}/kv/${encodeURIComponent(key)}`, { method: 'PUT', body: value, timeoutMs });
      outcome = response.status < 300 ? 'ok' : response.status < 500 ? 'fail' : 'info';
      if (outcome !== 'ok') detail = describeStatus(response.status, response.body);
    } catch (err) {
      const kind = err instanceof TransportError ? err.kind : 'other';
      outcome = kind === 'refused' || kind === 'connect-timeout' ? 'fail' : 'info';
      detail = kind;
    }
    return this.history.record({ client, kind: 'write', key, value, invoke, complete: this.history.now(), outcome, node, detail });
  }

  /** A GET is `ok` with the value, or with `null` when the key has none (404 NOT_FOUND); otherwise it
   *  failed, which for a read changes nothing. */
  async get(client: string, node: string, key: string, timeoutMs: number): Promise<Op> {
    const invoke = this.history.now();
    let outcome: Op['outcome'] = 'fail';
    let value: string | null = null;
    let detail: string | undefined;
    try {
      const response = await this.http.request(`${this.cluster.ingress(node)}/kv/${encodeURIComponent(key)}`, { timeoutMs });
      if (response.status === 200) {
        outcome = 'ok';
        value = response.body.toString('utf8');
      } else if (response.status === 404 && isNoValue(response.body)) {
        outcome = 'ok';
      } else {
        detail = describeStatus(response.status, response.body);
      }
    } catch (err) {
      outcome = 'info';
      detail = err instanceof TransportError ? err.kind : (err as Error).message;
    }
    return this.history.record({ client, kind: 'read', key, value, invoke, complete: this.history.now(), outcome, node, detail });
  }

  close(): void {
    this.http.destroy();
  }
}

/** Only the worker's own "no value" answer means the key is empty, never a 404 of routing. */
function isNoValue(body: Buffer): boolean {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { code?: string; message?: string };
    return parsed.code === 'NOT_FOUND' && /no value for key/.test(parsed.message ?? '');
  } catch {
    return false;
  }
}

function describeStatus(status: number, body: Buffer): string {
  let message = '';
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { code?: string; message?: string };
    message = `${parsed.code ?? ''} ${parsed.message ?? ''}`.trim();
  } catch {
    message = body.toString('utf8', 0, Math.min(body.length, 120));
  }
  return `HTTP ${status}${message ? ` ${message.slice(0, 160)}` : ''}`;
}

export interface WorkloadOptions {
  clients: number;
  keys: string[];
  /** Each operation's timeout is drawn from this range: short ones let a client blocked on a paused
   *  node move on, long ones let a request sent late in a pause be answered after it. */
  timeoutMs: [number, number];
  /** Bytes of padding after a value's name: varied, so that records cross replication batches. */
  padding: [number, number];
}

/** Pause after an operation that did not succeed, so a down node is not hammered in a tight loop. */
const BACKOFF_MS = 100;

/** Client loops that run until stopped. */
abstract class ClientLoops {
  protected running = true;
  protected done: Promise<void>[] = [];

  /** Stops issuing operations and waits for those in flight (each bounded by its timeout). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.done);
  }
}

/**
 * Concurrent clients, each doing PUT or GET (half and half) on a random key through its own node's
 * ingress, as Jepsen binds clients to nodes: a client of a paused node keeps sending it requests
 * (which may be answered from stale state when it wakes) while the others carry on elsewhere.
 */
export class Workload extends ClientLoops {
  constructor(
    private readonly kv: KvClient,
    nodes: string[],
    private readonly options: WorkloadOptions,
    rng: Rng,
  ) {
    super();
    this.done = Array.from({ length: options.clients }, (_, i) => this.client(`c${i + 1}`, nodes[i % nodes.length]!, rng.fork(i + 1)));
  }

  private async client(name: string, node: string, rng: Rng): Promise<void> {
    for (let seq = 0; this.running; seq++) {
      const key = rng.pick(this.options.keys);
      const timeoutMs = rng.int(...this.options.timeoutMs);
      const op = rng.chance(0.5)
        ? await this.kv.put(name, node, key, `${name}-${seq}:${'.'.repeat(rng.int(...this.options.padding))}`, timeoutMs)
        : await this.kv.get(name, node, key, timeoutMs);
      if (op.outcome !== 'ok') await new Promise((r) => setTimeout(r, BACKOFF_MS));
    }
  }
}

export const PROBE_INTERVAL_MS = 100;
const PROBE_TIMEOUT_MS = 1_000;

/**
 * One writer per partition, writing a key of its own every PROBE_INTERVAL_MS through the ingresses
 * in turn (the next one after a failure): how long each partition went without taking a write. The
 * workload's clients cannot tell that: each one waits on whichever partition holds it up, so one
 * stalled partition stalls writes to all of them.
 */
export class PartitionProbes extends ClientLoops {
  constructor(
    private readonly kv: KvClient,
    nodes: string[],
    keys: Map<number, string>,
  ) {
    super();
    this.done = [...keys].map(([partition, key]) => this.probe(partition, key, nodes));
  }

  private async probe(partition: number, key: string, nodes: string[]): Promise<void> {
    for (let seq = 0, node = partition; this.running; seq++) {
      const op = await this.kv.put(probeClient(partition), nodes[node % nodes.length]!, key, `probe-p${partition}-${seq}:`, PROBE_TIMEOUT_MS);
      if (op.outcome !== 'ok') node++;
      await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
    }
  }
}

/** The history's client name of a partition's probe. */
export const probeClient = (partition: number): string => `probe-p${partition}`;
