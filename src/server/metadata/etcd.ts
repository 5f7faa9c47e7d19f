// The metadata store on etcd v3 (metadata-client.type = "etcd"): each key is a JSON document under
// `metadata-client.key-prefix`. A key's version is its etcd mod revision, which grows with every
// write and never goes backwards, not even across a delete and re-create (etcd's per-key `version`
// restarts at 1 then, so it is not used). Compare-and-set is an etcd transaction on the mod revision
// (or on the create revision being 0 for does-not-exist). Changes arrive by an etcd watch on the
// prefix, carrying the new values; a (re)connected watch asks for a full resync.
import type { IBackoff } from 'cockatiel';
import type { Etcd3, IKeyValue, Namespace, Watcher } from 'etcd3';
import { ApiError } from '../../api/errors';
import type { Precondition, VersionedValue } from '../../api/schemas';
import { etcdHealthy } from './servers';
import { versionConflict, type LeaseKeeper, type MetadataChange, type MetadataStore, type MetadataWatch } from './store';

/** How long each member's health check may take when a failure is explained. */
const HEALTH_PROBE_MS = 300;

export interface EtcdOptions {
  /** Client URLs of the etcd members (http://127.0.0.1:2379, ...). */
  addresses: string[];
  /** Every key lives under it, e.g. /cairn/<cluster-name>/. */
  prefix: string;
  /** Bounds connecting and each request: a store without quorum fails within it, naming etcd. */
  timeoutMs: number;
}

/** How long a member that failed three requests in a row is left alone. */
const MEMBER_PAUSE_MS = 1_000;

/** The `etcd3` client, loaded only by nodes that use etcd (it brings gRPC along). */
export async function connectEtcd(options: EtcdOptions): Promise<Etcd3> {
  const [{ Etcd3 }, { ExponentialBackoff, handleWhen, retry, circuitBreaker, ConsecutiveBreaker, noop }] = await Promise.all([import('etcd3'), import('cockatiel')]);
  const { isRecoverableError } = await import('etcd3');
  return new Etcd3({
    hosts: options.addresses,
    dialTimeout: options.timeoutMs,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + options.timeoutMs }),
    faultHandling: {
      // Another member is tried at once; a member that failed three times in a row is left alone for a
      // while. With a single endpoint there is no other member to go to, and leaving it alone would
      // only refuse requests once it is back (its watch failing as it reconnects trips the breaker too).
      global: retry(handleWhen(isRecoverableError), { maxAttempts: options.addresses.length }),
      host: () => (options.addresses.length > 1 ? circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: MEMBER_PAUSE_MS, breaker: new ConsecutiveBreaker(3) }) : noop),
      // A broken watch comes back within a second, not cockatiel's default 30 s. (etcd3 calls next()
      // on what it gets, i.e. wants the factory; its typing says IBackoff.)
      watchBackoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1_000 }) as unknown as IBackoff<unknown>,
    },
  });
}

export class EtcdMetadataStore implements MetadataStore {
  private readonly kv: Namespace;
  readonly leases: LeaseKeeper;

  constructor(
    private readonly client: Etcd3,
    private readonly options: EtcdOptions,
  ) {
    this.kv = client.namespace(options.prefix);
    this.leases = this.leaseKeeper();
  }

  /** etcd's own leases (grant, keep alive, revoke), each request bounded like the others. */
  private leaseKeeper(): LeaseKeeper {
    const leases = this.client.leaseClient;
    const keepAliveOnce = async (id: string) => {
      const stream = await leases.leaseKeepAlive();
      try {
        const answer = await new Promise<{ TTL: string }>((resolve, reject) => {
          stream.on('data', resolve);
          stream.on('error', reject);
          stream.write({ ID: id });
        });
        // etcd answers TTL 0 for a lease it no longer has.
        return Number(answer.TTL) > 0;
      } finally {
        stream.end();
      }
    };
    return {
      grant: async (ttlMs) => {
        const answer = await this.request('grant a lease', (callOptions) => leases.leaseGrant({ TTL: Math.ceil(ttlMs / 1000), ID: 0 }, callOptions));
        return { id: String(answer.ID), ttlMs: Number(answer.TTL) * 1000 };
      },
      keepAlive: (id) =>
        this.request('keep a lease alive', async () => {
          // A stream is not retried on another member by the client's policy (unary calls are): a
          // renewal that met a dead member tries the next one, as long as the deadline allows.
          for (let attempt = 1; ; attempt++) {
            try {
              return await keepAliveOnce(id);
            } catch (err) {
              if (attempt >= this.options.addresses.length) throw err;
            }
          }
        }),
      claim: async (key, value, id) => {
        const result = await this.request(`claim ${key}`, (callOptions) =>
          this.kv.if(key, 'Create', '==', 0).options(callOptions).then(this.kv.put(key).value(JSON.stringify(value)).lease(id)).else(this.kv.get(key)).commit(),
        );
        if (result.succeeded) return { won: true, holder: value };
        const current = result.responses[0]?.response_range?.kvs[0];
        return { won: false, holder: current ? JSON.parse(current.value.toString('utf8')) : null };
      },
      revoke: async (id) => {
        await this.request('revoke a lease', (callOptions) => leases.leaseRevoke({ ID: id }, callOptions)).catch((err: Error) => {
          // Already gone is what revoking wanted.
          if (!/lease not found/i.test(err.message)) throw err;
        });
      },
    };
  }

  get description(): string {
    return `etcd at ${this.options.addresses.join(', ')} (prefix ${this.options.prefix})`;
  }

  /**
   * An etcd request that failed for another reason than a precondition: UNAVAILABLE, naming etcd.
   * `run` passes `callOptions` to its builder: one deadline for every attempt the client's retry
   * policy makes, so that no attempt outlives the request (a late failure, after etcd is back,
   * would count against the member's circuit breaker and refuse the next requests).
   */
  private async request<T>(what: string, run: (callOptions: { deadline: number }) => Promise<T>): Promise<T> {
    const callOptions = { deadline: Date.now() + this.options.timeoutMs };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    });
    try {
      return await Promise.race([run(callOptions), deadline]);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      // The circuit breaker's own words ("Execution prevented because the circuit breaker is open") mean nothing to an operator.
      const reason = (err as { isBrokenCircuitError?: boolean }).isBrokenCircuitError
        ? `every member failed its last requests; each is tried again ${MEMBER_PAUSE_MS} ms after its last failure`
        : (err as Error).message;
      throw new ApiError('UNAVAILABLE', `etcd did not ${what}: ${reason} (endpoints ${this.options.addresses.join(', ')})`, await this.quorumHint());
    } finally {
      clearTimeout(timer);
    }
  }

  /** What to look at when etcd does not answer: the members that do not answer their health check. */
  private async quorumHint(): Promise<string> {
    const health = await Promise.all(this.options.addresses.map((address) => etcdHealthy(address, HEALTH_PROBE_MS)));
    const down = this.options.addresses.filter((_, i) => !health[i]);
    const majority = Math.floor(this.options.addresses.length / 2) + 1;
    return down.length
      ? `etcd members not healthy: ${down.join(', ')}; a majority (${majority} of ${this.options.addresses.length}) must be up for any metadata change (cairnctl metadata-server list-servers shows each member)`
      : 'check that a majority of the etcd members is up and reachable (metadata-client.addresses)';
  }

  async get(key: string): Promise<VersionedValue | null> {
    const response = await this.request(`read ${key}`, (callOptions) => this.kv.get(key).options(callOptions).exec());
    const kv = response.kvs[0];
    return kv ? { key, version: Number(kv.mod_revision), value: JSON.parse(kv.value.toString('utf8')) } : null;
  }

  /** A transaction guarded by `precondition` on `key`; VERSION_CONFLICT (with the version found) if it does not hold. */
  private async guarded(key: string, precondition: Precondition, operation: Parameters<ReturnType<Namespace['if']>['then']>[0], what: string): Promise<number> {
    const txn =
      precondition.kind === 'does-not-exist'
        ? this.kv.if(key, 'Create', '==', 0)
        : precondition.kind === 'matches-version'
          ? this.kv.if(key, 'Mod', '==', precondition.version)
          : // An always-true comparison, so that every write is one transaction.
            this.kv.if(key, 'Mod', '>', -1);
    const result = await this.request(what, (callOptions) => txn.options(callOptions).then(operation).else(this.kv.get(key)).commit());
    if (result.succeeded) return Number(result.header.revision);
    const current = result.responses[0]?.response_range?.kvs[0];
    throw versionConflict(key, precondition, current ? Number(current.mod_revision) : null);
  }

  put(key: string, value: unknown, precondition: Precondition): Promise<number> {
    return this.guarded(key, precondition, this.kv.put(key).value(JSON.stringify(value)), `write ${key}`);
  }

  async delete(key: string, precondition: Precondition): Promise<void> {
    await this.guarded(key, precondition, this.kv.delete().key(key), `delete ${key}`);
  }

  async versions(): Promise<Record<string, number>> {
    const response = await this.request('list the metadata keys', (callOptions) => this.kv.getAll().options(callOptions).exec());
    // The namespace gives keys back without the prefix.
    return Object.fromEntries(response.kvs.map((kv: IKeyValue) => [kv.key.toString('utf8'), Number(kv.mod_revision)]));
  }

  /** Stops each watch still running, for close(). */
  private readonly watches = new Set<() => Promise<void>>();

  watch(watcher: MetadataWatch): () => void {
    let stopped = false;
    let stream: Watcher | undefined;
    const start = () => {
      void this.kv
        .watch()
        .prefix('')
        .create()
        .then(
          (created) => {
            if (stopped) return void created.cancel().catch(() => undefined);
            stream = created;
            watcher.onResync();
            // Events can still come while a cancel is on its way: a stopped watch reports nothing.
            created.on('connected', () => stopped || watcher.onResync());
            created.on('put', (kv) => {
              if (stopped) return;
              const change: MetadataChange = { key: kv.key.toString('utf8'), version: Number(kv.mod_revision), value: JSON.parse(kv.value.toString('utf8')) };
              watcher.onChange([change]);
            });
            created.on('delete', () => stopped || watcher.onResync());
            created.on('error', () => undefined); // it reconnects by itself ('connected' then resyncs)
          },
          () => {
            if (!stopped) setTimeout(start, 500);
          },
        );
    };
    const stop = async () => {
      stopped = true;
      this.watches.delete(stop);
      await stream?.cancel().catch(() => undefined);
    };
    this.watches.add(stop);
    start();
    return () => void stop();
  }

  /** Ends the watches first: closing the client lets streams already open run on (gRPC closes a channel only for new calls). */
  async close(): Promise<void> {
    await Promise.all([...this.watches].map((stop) => stop()));
    this.client.close();
  }
}
