// How cairnctl reaches a cluster: every --address is probed in parallel with a short timeout (a dead
// or hung node costs at most that), and each metadata document is read from the responsive node that
// has seen its newest version.
import { HttpClient, HttpStatusError, TransportError } from '../api/http-client';
import type { RouteName, RouteResponse } from '../api/routes';
import { formatPlainId } from '../api/ids';
import type { TlsClientOptions } from '../api/tls';
import { isEpochKey, metadataSchema, type Ident, type MetadataDocument, type MetadataKey, type NodeConfig } from '../api/schemas';
import { CliError, EXIT, mapError, notAnAdminAddress, TOKEN_HINT } from './errors';

/** How long a node may take to answer a probe before it is shown as unreachable. */
export const PROBE_TIMEOUT_MS = 900;

export interface NodeProbe {
  address: string;
  ident?: Ident;
  error?: string;
  /** What the failure was, for telling a refused token or a wrong port from a dead node. */
  failure?: unknown;
  ms: number;
}

export interface Versioned<T> {
  version: number;
  value: T;
  /** The node the document was read from. */
  from: string;
}

export interface ConnectionOptions {
  addresses: string[];
  /** `-S`: metadata and admin calls go to this one address only, with no discovery. */
  singleAddress: boolean;
  addressSource: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  token?: string;
  /** From --tls-ca, --tls-cert, --tls-key and --insecure-skip-tls-verify. */
  tls?: TlsClientOptions;
  debug: (message: string) => void;
}

export class ClusterConnection {
  readonly http: HttpClient;
  private readonly probes = new Map<string, Promise<NodeProbe>>();
  private readonly documents = new Map<MetadataKey, Promise<Versioned<unknown>>>();
  private readonly probeTimeoutMs: number;

  constructor(private readonly options: ConnectionOptions) {
    this.http = new HttpClient({
      connectTimeoutMs: options.connectTimeoutMs,
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      keepAliveTimeoutMs: 1_000,
      tls: options.tls,
    });
    this.probeTimeoutMs = Math.min(PROBE_TIMEOUT_MS, options.requestTimeoutMs);
  }

  get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs;
  }

  /** Asks one node who it is; never throws, a failure is part of the result. Memoised per address. */
  probe(address: string): Promise<NodeProbe> {
    let pending = this.probes.get(address);
    if (!pending) {
      const started = Date.now();
      pending = this.http
        .call(address, 'ident', { timeoutMs: this.probeTimeoutMs })
        .then(
          (ident): NodeProbe => ({ address, ident, ms: Date.now() - started }),
          (err: Error): NodeProbe => ({ address, error: err.message, failure: err, ms: Date.now() - started }),
        )
        .then((probe) => {
          this.options.debug(`probe ${address}: ${probe.ident ? `${probe.ident.status}` : probe.error} (${probe.ms.toFixed(0)} ms)`);
          return probe;
        });
      this.probes.set(address, pending);
    }
    return pending;
  }

  /** Probes every --address; fails if none answers as a node: exit 6 for a refused token, 2 for an
   *  ingress port, 3 when nothing answered. */
  async seeds(): Promise<NodeProbe[]> {
    const probes = await Promise.all(this.options.addresses.map((a) => this.probe(a)));
    if (probes.some((p) => p.ident)) return probes;
    const answered = probes.filter((p) => p.failure instanceof HttpStatusError).map((p) => p.failure as HttpStatusError);
    const certificateRefused = answered.find((e) => e.code === 'CLIENT_CERTIFICATE_REFUSED');
    if (certificateRefused) throw mapError(certificateRefused);
    const refused = answered.find((e) => e.status === 401 || e.status === 403);
    if (refused) {
      const given = this.options.token ? 'the token given was refused' : 'no token was given';
      throw new CliError(`${originOf(refused.url)} refused the request: ${refused.message} (${given})`, EXIT.UNAUTHORIZED, TOKEN_HINT);
    }
    const ingress = answered.find((e) => e.listener === 'ingress');
    if (ingress) throw notAnAdminAddress(ingress.url);
    if (answered.length) {
      const first = answered[0]!;
      throw new CliError(`${originOf(first.url)} did not answer as a cairn node: ${mapError(first).message}`, EXIT.UNREACHABLE, 'check the port: --address wants a node\'s bind-address');
    }
    const detail = probes.map((p) => p.error).join('; ');
    const tlsFailure = probes.map((p) => p.failure).find((f) => f instanceof TransportError && f.kind === 'tls');
    if (tlsFailure) {
      const mapped = mapError(tlsFailure);
      throw new CliError(`cannot reach any node: ${detail}`, mapped.exitCode, mapped.hint);
    }
    // A node serving TLS closes a plain HTTP connection without a word.
    const plainReset = probes.every((p) => p.failure instanceof TransportError && p.failure.kind === 'reset' && p.address.startsWith('http://'));
    throw new CliError(
      `cannot reach any node: ${detail}`,
      EXIT.UNREACHABLE,
      plainReset
        ? 'the nodes closed the connection: if they serve TLS (tls.cert-file), use https:// addresses'
        : `is cairn-server running there? the address came from ${this.options.addressSource}; set --address or CAIRN_ADDRESS`,
    );
  }

  /** Addresses given on the command line that did not answer (for warnings). */
  async unreachableSeeds(): Promise<NodeProbe[]> {
    return (await Promise.all(this.options.addresses.map((a) => this.probe(a)))).filter((p) => !p.ident);
  }

  metadata<K extends MetadataKey>(key: K): Promise<Versioned<MetadataDocument<K>>> {
    let pending = this.documents.get(key);
    if (!pending) {
      pending = this.fetchFreshest(key);
      this.documents.set(key, pending);
    }
    return pending as Promise<Versioned<MetadataDocument<K>>>;
  }

  private async fetchFreshest<K extends MetadataKey>(key: K): Promise<Versioned<MetadataDocument<K>>> {
    if (isEpochKey(key)) return this.fetchNewestEpoch(key);
    const candidates = (await this.seeds())
      .filter((p) => (p.ident?.metadata_versions[key] ?? 0) > 0)
      .sort((a, b) => b.ident!.metadata_versions[key]! - a.ident!.metadata_versions[key]!);
    if (candidates.length === 0) {
      throw new CliError(
        `the cluster has no ${key}: it has not been provisioned yet`,
        EXIT.NOT_FOUND,
        'provision it with `cairnctl provision` (or `cairn-server local up` for a local cluster)',
      );
    }
    let lastError: unknown;
    for (const candidate of candidates) {
      try {
        const entry = await this.http.call(candidate.address, 'metadataGet', {
          params: { key },
          timeoutMs: this.options.requestTimeoutMs,
        });
        const value = metadataSchema(key).parse(entry.value);
        this.options.debug(`${key} v${entry.version} from ${candidate.address}`);
        return { version: entry.version, value, from: candidate.address };
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  /** A partition's epoch (not listed in the nodes' idents): every node that answered is asked, the newest copy wins. */
  private async fetchNewestEpoch<K extends MetadataKey>(key: K): Promise<Versioned<MetadataDocument<K>>> {
    const seeds = (await this.seeds()).filter((p) => p.ident);
    const answers = await Promise.allSettled(seeds.map((seed) => this.http.call(seed.address, 'metadataGet', { params: { key }, timeoutMs: this.options.requestTimeoutMs }).then((entry) => ({ entry, from: seed.address }))));
    const newest = answers
      .flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []))
      .sort((a, b) => b.entry.version - a.entry.version)[0];
    if (!newest) throw new CliError(`no node holds ${key}: no such partition, or the cluster is not provisioned`, EXIT.NOT_FOUND, 'see `cairnctl partitions list`');
    return { version: newest.entry.version, value: metadataSchema(key).parse(newest.entry.value), from: newest.from };
  }

  /** Probes the given nodes in parallel (reusing probes of the same address). */
  async probeNodes(nodes: readonly NodeConfig[]): Promise<Map<number, NodeProbe>> {
    const probes = await Promise.all(nodes.map((node) => this.probe(node.address)));
    return new Map(nodes.map((node, i) => [node.id, probes[i]!]));
  }

  /**
   * Calls an admin-role endpoint on the first admin node that answers: nodes that answered a probe
   * first, then the others by id. A refusal or an error answer is final; only unreachable or
   * not-ready nodes make it try the next one.
   */
  async admin<N extends RouteName>(
    name: N,
    options: { params?: Record<string, string | number>; body?: unknown; timeoutMs?: number } = {},
  ): Promise<RouteResponse<N>> {
    if (this.options.singleAddress) return this.singleAdmin(name, options);
    const nodes = (await this.metadata('nodes_config')).value.nodes.filter((n) => n.roles.includes('admin'));
    const probes = await Promise.all(nodes.map((n) => this.probes.get(n.address) ?? Promise.resolve(undefined)));
    const ordered = nodes.map((node, i) => ({ node, answered: !!probes[i]?.ident })).sort((a, b) => Number(b.answered) - Number(a.answered) || a.node.id - b.node.id);
    const failures: string[] = [];
    for (const { node } of ordered) {
      try {
        return await this.http.call(node.address, name, { ...options, timeoutMs: options.timeoutMs ?? this.options.requestTimeoutMs });
      } catch (err) {
        const retryable = err instanceof TransportError || (err instanceof HttpStatusError && err.code === 'NOT_READY');
        if (!retryable) throw err;
        failures.push((err as Error).message);
        this.options.debug(`admin call ${name} on ${formatPlainId(node.id)} failed: ${(err as Error).message}`);
      }
    }
    throw new CliError(`no admin node could be reached: ${failures.join('; ') || 'the cluster has no node with the admin role'}`, EXIT.UNREACHABLE);
  }

  private async singleAdmin<N extends RouteName>(name: N, options: { params?: Record<string, string | number>; body?: unknown; timeoutMs?: number }): Promise<RouteResponse<N>> {
    const [seed] = await this.seeds();
    const roles = seed!.ident!.roles;
    if (!roles.includes('admin')) {
      throw new CliError(`single-address mode: ${seed!.address} does not have the admin role (it has ${roles.join(', ')})`, EXIT.FAILED, 'point -S at a node with the admin role, or use -s to let cairnctl find one');
    }
    return this.http.call(seed!.address, name, { ...options, timeoutMs: options.timeoutMs ?? this.options.requestTimeoutMs });
  }

  /** Calls an endpoint of one node with the probe timeout (for per-node views such as loglet info). */
  node<N extends RouteName>(address: string, name: N, params: Record<string, string | number> = {}): Promise<RouteResponse<N>> {
    return this.http.call(address, name, { params, timeoutMs: this.probeTimeoutMs });
  }

  /** A node counts as alive if it answers as the generation the nodes configuration knows. */
  static isAlive(node: NodeConfig, probe: NodeProbe | undefined): boolean {
    return !!probe?.ident && probe.ident.node_id === node.id && probe.ident.generation === node.generation && probe.ident.status === 'alive';
  }

  describeDead(node: NodeConfig, probe: NodeProbe | undefined): string {
    if (!probe?.ident) return probe?.error ?? 'not probed';
    if (probe.ident.node_id !== node.id) return `${node.address} is now node ${probe.ident.node_id ? formatPlainId(probe.ident.node_id) : 'unregistered'}`;
    return `answers as generation ${probe.ident.generation}, status ${probe.ident.status}`;
  }

  close(): void {
    this.http.destroy();
  }
}

function originOf(url: string): string {
  return /^https?:\/\/[^/]+/.exec(url)?.[0] ?? url;
}
