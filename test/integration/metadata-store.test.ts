// The metadata store contract, run against every real backend: the embedded store on a SQLite file,
// a metadata-server process reached over HTTP, and a real etcd member. Each backend must give the
// same answers to reads, compare-and-set writes, concurrent writers, deletes and re-creates, and
// deliver changes made by another client to a watcher, until the watch is stopped or the store
// closed. Then outages, for etcd and for the metadata-server: a hung or dead process fails requests
// within the timeout with UNAVAILABLE naming the store, and the same store object and its watch
// recover once it is back. On etcd, Cairn's version is the mod revision, not etcd's per-key version.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api/errors';
import { HttpClient } from '../../src/api/http-client';
import { allocatePorts } from '../../src/server/local/cluster';
import { startEtcdMember, type EtcdMember } from '../../src/server/local/etcd';
import { etcdHealthy } from '../../src/server/metadata/servers';
import { EmbeddedMetadataStore } from '../../src/server/metadata/embedded';
import { connectEtcd, EtcdMetadataStore, type EtcdOptions } from '../../src/server/metadata/etcd';
import { REQUEST_TIMEOUT_MS as REMOTE_REQUEST_TIMEOUT_MS, RemoteMetadataStore } from '../../src/server/metadata/remote';
import type { MetadataChange, MetadataStore } from '../../src/server/metadata/store';
import { openDatabase } from '../../src/server/storage/sqlite';
import { alive, pauseProcess, startServer, waitUntil, type NodeProcess } from '../helpers/cluster';

/** A backend under test: `open` gives a client of the one store (another one on each call where the backend has clients). */
interface Backend {
  open(): Promise<MetadataStore>;
  stop(): Promise<void>;
}

/** Stops a process by pid (waking it first, should a test have stopped it) and waits until it is gone. */
async function killAndWait(pid: number): Promise<void> {
  for (const signal of ['SIGCONT', 'SIGKILL'] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
  }
  await waitUntil(`pid ${pid} to exit`, async () => !alive(pid), 10_000, 50);
}

async function embeddedBackend(): Promise<Backend> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cairn-meta-embedded-'));
  const db = openDatabase(path.join(dir, 'metadata.db'));
  // In process there is one store object: the embedded store announces its own writes only.
  const store = new EmbeddedMetadataStore(db);
  return {
    open: async () => store,
    stop: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A cairn-server with only the metadata-server role; `restart` brings it back on the same port and data. */
class MetadataServerProcess {
  private server!: NodeProcess;
  private readonly clients: HttpClient[] = [];
  private constructor(
    private readonly dir: string,
    private readonly port: number,
  ) {}

  get address(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.server.pid;
  }

  static async start(): Promise<MetadataServerProcess> {
    const [port] = await allocatePorts(1);
    const server = new MetadataServerProcess(mkdtempSync(path.join(tmpdir(), 'cairn-meta-remote-')), port!);
    try {
      await server.restart();
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  async restart(): Promise<void> {
    this.server = startServer(['--set', `base-dir=${this.dir}`, '--set', `bind-address=127.0.0.1:${this.port}`, '--set', 'node-name=meta', '--set', 'roles=metadata-server']);
    const probe = this.open();
    await waitUntil(`the metadata-server at ${this.address} to answer`, async () => (await probe.versions().then(() => true, () => false)) || !alive(this.pid) || undefined);
    if (!alive(this.pid)) throw new Error(`the metadata-server exited: ${this.server.output()}`);
  }

  open(): RemoteMetadataStore {
    const http = new HttpClient({ connectTimeoutMs: 1_000 });
    this.clients.push(http);
    return new RemoteMetadataStore([this.address], http);
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.close()));
    if (this.server) await killAndWait(this.server.pid);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function remoteBackend(): Promise<Backend> {
  const server = await MetadataServerProcess.start();
  return { open: async () => server.open(), stop: () => server.stop() };
}

/** One real etcd member in a temp folder; `restart` brings it back on the same ports and data. */
class EtcdProcess {
  member!: EtcdMember;
  private constructor(private readonly dir: string) {}

  static async start(): Promise<EtcdProcess> {
    const etcd = new EtcdProcess(mkdtempSync(path.join(tmpdir(), 'cairn-meta-etcd-')));
    const [client, peer] = await allocatePorts(2);
    const dataDir = path.join(etcd.dir, 'm1');
    mkdirSync(dataDir, { recursive: true });
    etcd.member = { name: 'm1', pid: 0, client_url: `http://127.0.0.1:${client}`, peer_url: `http://127.0.0.1:${peer}`, data_dir: dataDir, log: path.join(etcd.dir, 'etcd.log') };
    await etcd.restart();
    return etcd;
  }

  async restart(): Promise<void> {
    const { pid: _, ...member } = this.member;
    this.member.pid = startEtcdMember(member, [member], 'cairn-contract-test');
    await waitUntil(`etcd member ${member.name} (${member.client_url}) to be healthy`, () => etcdHealthy(member.client_url), 30_000, 100);
  }

  async stop(): Promise<void> {
    if (this.member.pid) await killAndWait(this.member.pid);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const ETCD_TIMEOUT_MS = 1_500;
let etcd: EtcdProcess | undefined;
const etcdClients: Etcd3[] = [];
const etcdOptions = (): EtcdOptions => ({ addresses: [etcd!.member.client_url], prefix: `/cairn/contract-${process.pid}/`, timeoutMs: ETCD_TIMEOUT_MS });
const openEtcd = async (): Promise<EtcdMetadataStore> => {
  const client = await connectEtcd(etcdOptions());
  etcdClients.push(client);
  return new EtcdMetadataStore(client, etcdOptions());
};

async function stopEtcd(): Promise<void> {
  for (const client of etcdClients.splice(0)) client.close();
  await etcd?.stop();
}

async function etcdBackend(): Promise<Backend> {
  etcd = await EtcdProcess.start();
  return {
    open: openEtcd,
    stop: stopEtcd,
  };
}

/** The store rejects with VERSION_CONFLICT reporting `found` as the current version (null: absent). */
async function expectConflict(attempt: Promise<unknown>, found: number | null): Promise<void> {
  const err = await attempt.then(
    () => new Error('expected VERSION_CONFLICT, the write succeeded'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).code).toBe('VERSION_CONFLICT');
  expect((err as ApiError).details).toEqual({ current_version: found });
  expect((err as ApiError).message).toContain(found === null ? 'found no value' : `found v${found}`);
}

/**
 * What a watcher on a store knows, kept the way a node's metadata manager keeps it: changes applied
 * (a change without a value is read), a resync reads everything again. Also counts what it received.
 */
class Follower {
  readonly known = new Map<string, { version: number; value: unknown }>();
  readonly changes: MetadataChange[] = [];
  resyncs = 0;
  private readonly unwatch: () => void;
  private queue = Promise.resolve();

  constructor(private readonly store: MetadataStore) {
    this.unwatch = store.watch({
      onChange: (changes) => {
        this.changes.push(...changes);
        this.then(() => this.apply(changes));
      },
      onResync: () => {
        this.resyncs++;
        this.then(() => this.resync());
      },
    });
  }

  private then(step: () => Promise<void>): void {
    this.queue = this.queue.then(step).catch(() => undefined);
  }

  private async apply(changes: MetadataChange[]): Promise<void> {
    for (const change of changes) {
      if (change.version <= (this.known.get(change.key)?.version ?? 0)) continue;
      const entry = change.value !== undefined ? { version: change.version, value: change.value } : await this.store.get(change.key);
      if (entry) this.known.set(change.key, { version: entry.version, value: entry.value });
      else this.known.delete(change.key);
    }
  }

  private async resync(): Promise<void> {
    const versions = await this.store.versions();
    for (const key of [...this.known.keys()]) if (!(key in versions)) this.known.delete(key);
    for (const [key, version] of Object.entries(versions)) {
      if (version === this.known.get(key)?.version) continue;
      const entry = await this.store.get(key);
      if (entry) this.known.set(key, { version: entry.version, value: entry.value });
    }
  }

  /** True once every change and resync received so far has been applied. */
  idle(): Promise<boolean> {
    return this.queue.then(() => true);
  }

  stop(): void {
    this.unwatch();
  }
}

// Keys the metadata-server accepts (pp_epoch_<n>); each test takes fresh ones.
let nextKey = 1;
const freshKey = () => `pp_epoch_${nextKey++}`;

describe.each([
  ['embedded', embeddedBackend],
  ['remote (metadata-server process)', remoteBackend],
  ['etcd', etcdBackend],
] as const)('metadata store contract: %s', (_name, makeBackend) => {
  let backend: Backend;
  let store: MetadataStore;

  beforeAll(async () => {
    backend = await makeBackend();
    store = await backend.open();
  });
  afterAll(async () => {
    await store?.close();
    await backend?.stop();
  });

  it('get of a missing key is null', async () => {
    expect(await store.get(freshKey())).toBeNull();
  });

  it('put then get gives back the value and the version the put returned', async () => {
    const key = freshKey();
    const value = { epoch: 3, note: 'ü', list: [1, 2, { deep: null }] };
    const version = await store.put(key, value, { kind: 'does-not-exist' });
    expect(version).toBeGreaterThan(0);
    expect(await store.get(key)).toEqual({ key, version, value });
  });

  it('does-not-exist: succeeds once, then VERSION_CONFLICT naming the version found', async () => {
    const key = freshKey();
    const version = await store.put(key, 'first', { kind: 'does-not-exist' });
    await expectConflict(store.put(key, 'second', { kind: 'does-not-exist' }), version);
    expect(await store.get(key)).toEqual({ key, version, value: 'first' });
  });

  it('matches-version: the right version writes, a wrong one conflicts naming the current version', async () => {
    const key = freshKey();
    const v1 = await store.put(key, 1, { kind: 'does-not-exist' });
    const v2 = await store.put(key, 2, { kind: 'matches-version', version: v1 });
    expect(v2).toBeGreaterThan(v1);
    await expectConflict(store.put(key, 3, { kind: 'matches-version', version: v1 }), v2);
    await expectConflict(store.put(freshKey(), 3, { kind: 'matches-version', version: v1 }), null);
    await expectConflict(store.delete(key, { kind: 'matches-version', version: v1 }), v2);
    expect(await store.get(key)).toEqual({ key, version: v2, value: 2 });
  });

  it('concurrent compare-and-set: one of N writers from the same version wins; retrying, all N increments land', async () => {
    const N = 8;
    const key = freshKey();
    const start = await store.put(key, { count: 0 }, { kind: 'does-not-exist' });
    const writers = await Promise.all(Array.from({ length: N }, () => backend.open()));
    const outcomes = await Promise.allSettled(writers.map((w, i) => w.put(key, { count: 1, by: i }, { kind: 'matches-version', version: start })));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const lost of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
      expect(lost.reason).toBeInstanceOf(ApiError);
      expect((lost.reason as ApiError).code).toBe('VERSION_CONFLICT');
    }
    const afterRace = (await store.get(key))!;
    expect(afterRace.value).toMatchObject({ count: 1 });

    let conflicts = 0;
    const increment = async (writer: MetadataStore) => {
      for (;;) {
        const current = (await writer.get(key))!;
        try {
          return await writer.put(key, { count: (current.value as { count: number }).count + 1 }, { kind: 'matches-version', version: current.version });
        } catch (err) {
          if (!(err instanceof ApiError && err.code === 'VERSION_CONFLICT')) throw err;
          conflicts++;
        }
      }
    };
    const versions = await Promise.all(writers.map(increment));
    expect(new Set(versions).size).toBe(N);
    const final = (await store.get(key))!;
    expect(final.value).toEqual({ count: 1 + N });
    expect(final.version).toBe(Math.max(...versions));
    // Sanity: the writers really did race (otherwise this case tests nothing).
    expect(conflicts).toBeGreaterThan(0);
    await Promise.all(writers.filter((w) => w !== store).map((w) => w.close()));
  });

  it('versions strictly increase, across a delete and a re-create too', async () => {
    const key = freshKey();
    const seen = [await store.put(key, 'a', { kind: 'does-not-exist' })];
    seen.push(await store.put(key, 'b', { kind: 'none' }));
    await expectConflict(store.delete(key, { kind: 'does-not-exist' }), seen[1]!);
    await store.delete(key, { kind: 'matches-version', version: seen[1]! });
    expect(await store.get(key)).toBeNull();
    expect((await store.versions())[key]).toBeUndefined();
    // Deleting what is not there with does-not-exist holds; a version precondition does not.
    await store.delete(key, { kind: 'does-not-exist' });
    await expectConflict(store.delete(key, { kind: 'matches-version', version: seen[1]! }), null);
    seen.push(await store.put(key, 'c', { kind: 'does-not-exist' }));
    seen.push(await store.put(key, 'd', { kind: 'matches-version', version: seen[2]! }));
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
    expect(await store.get(key)).toEqual({ key, version: seen[3], value: 'd' });
  });

  it('versions() lists exactly the live keys with their versions', async () => {
    for (const [key, version] of Object.entries(await store.versions())) await store.delete(key, { kind: 'matches-version', version });
    expect(await store.versions()).toEqual({});
    const [a, b, c] = [freshKey(), freshKey(), freshKey()];
    const va = await store.put(a, 'a', { kind: 'does-not-exist' });
    const vb = await store.put(b, 'b', { kind: 'does-not-exist' });
    const vc = await store.put(c, 'c', { kind: 'does-not-exist' });
    const vc2 = await store.put(c, 'c2', { kind: 'matches-version', version: vc });
    await store.delete(b, { kind: 'matches-version', version: vb });
    expect(await store.versions()).toEqual({ [a]: va, [c]: vc2 });
  });

  it('watch: resyncs on start, delivers another client\'s writes with version and value, learns of deletes, and stops on close', async () => {
    const watching = await backend.open();
    const writer = await backend.open();
    const follower = new Follower(watching);
    try {
      await waitUntil('onResync at the start of the watch', async () => follower.resyncs > 0, 10_000, 20);
      const key = freshKey();
      const before = follower.changes.length;
      const version = await writer.put(key, { hello: 'watcher' }, { kind: 'does-not-exist' });
      await waitUntil('the watcher to see the write', async () => follower.known.get(key)?.version === version, 10_000, 20);
      expect(follower.known.get(key)).toEqual({ version, value: { hello: 'watcher' } });
      // Only the key written is reported as changed, with the version the write returned.
      await waitUntil('the change itself', async () => follower.changes.slice(before).some((c) => c.key === key && c.version === version), 5_000, 20);
      expect(follower.changes.slice(before).map((c) => c.key)).toEqual([key]);

      const updated = await writer.put(key, { hello: 'again' }, { kind: 'matches-version', version });
      await waitUntil('the watcher to see the update', async () => follower.known.get(key)?.version === updated, 10_000, 20);
      expect(follower.known.get(key)?.value).toEqual({ hello: 'again' });

      await writer.delete(key, { kind: 'matches-version', version: updated });
      await waitUntil('the watcher to learn of the delete', async () => !follower.known.has(key), 10_000, 20);

      // Once stopped, nothing more arrives: a watcher still following sees the next write, this one does not.
      follower.stop();
      await expectNotDelivered(follower, writer, await backend.open());
    } finally {
      follower.stop();
      if (watching !== store) await watching.close();
      if (writer !== store) await writer.close();
    }
  });

  // Last: on the embedded store, `store` is the one object every client shares.
  it('close() ends the watches made through the store', async () => {
    const watching = await backend.open();
    const follower = new Follower(watching);
    await waitUntil('onResync at the start of the watch', async () => follower.resyncs > 0, 10_000, 20);
    await watching.close();
    // The embedded store announces a write before put() returns: that write is the barrier there.
    const [writer, witnessStore] = watching === store ? [store, undefined] : [await backend.open(), await backend.open()];
    await expectNotDelivered(follower, writer, witnessStore);
    follower.stop();
    if (writer !== store) await writer.close();
  });
});

/**
 * A write through `writer` does not reach `follower` (whose watch ended): once a new watcher on
 * `witnessStore` holds it, `follower` has neither got the change nor been asked to resync.
 */
async function expectNotDelivered(follower: Follower, writer: MetadataStore, witnessStore: MetadataStore | undefined): Promise<void> {
  const witness = witnessStore && new Follower(witnessStore);
  try {
    if (witness) await waitUntil('the witness to start watching', async () => witness.resyncs > 0 && (await witness.idle()), 10_000, 20);
    const [received, resyncs] = [follower.changes.length, follower.resyncs];
    const key = freshKey();
    const version = await writer.put(key, 'unseen', { kind: 'does-not-exist' });
    if (witness) await waitUntil('the witness to see the write', async () => witness.known.get(key)?.version === version, 10_000, 20);
    expect(follower.changes.length).toBe(received);
    expect(follower.resyncs).toBe(resyncs);
    expect(follower.known.has(key)).toBe(false);
  } finally {
    witness?.stop();
    if (witnessStore && witnessStore !== writer) await witnessStore.close();
  }
}

/** A request that fails within `withinMs` (plus some slack for a busy machine) with UNAVAILABLE whose message matches each of `says`. */
async function expectUnavailable(request: () => Promise<unknown>, withinMs: number, says: Array<string | RegExp>): Promise<void> {
  const started = Date.now();
  const err = await request().then(
    () => new Error('expected the request to fail'),
    (e: unknown) => e,
  );
  expect(Date.now() - started).toBeLessThan(withinMs + 1_500);
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).code).toBe('UNAVAILABLE');
  for (const words of says) expect((err as ApiError).message).toMatch(words);
}

/** The same store object and its watch work again once the store is back. */
async function expectRecovered(store: MetadataStore, follower: Follower): Promise<void> {
  const key = freshKey();
  const version = await waitUntil('a write to succeed again', () => store.put(key, 'back', { kind: 'does-not-exist' }), 15_000, 100);
  expect(await store.get(key)).toEqual({ key, version, value: 'back' });
  await waitUntil('the watch to deliver again', async () => follower.known.get(key)?.version === version, 15_000, 20);
}

describe('remote: the metadata-server hangs or dies', () => {
  let server: MetadataServerProcess;
  let store: RemoteMetadataStore;
  let follower: Follower;

  beforeAll(async () => {
    server = await MetadataServerProcess.start();
    store = server.open();
    follower = new Follower(store);
    await waitUntil('the watch to start', async () => follower.resyncs > 0, 10_000, 20);
  });
  afterAll(async () => {
    follower?.stop();
    await server?.stop();
  });

  it('SIGSTOP: a request fails within its timeout with UNAVAILABLE naming the address; after SIGCONT all works again', async () => {
    await pauseProcess(server.pid);
    try {
      await expectUnavailable(() => store.get(freshKey()), REMOTE_REQUEST_TIMEOUT_MS, [/^metadata store unreachable: /, server.address]);
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    await expectRecovered(store, follower);
  }, 60_000);

  it('kill -9 and restart on the same data: requests fail fast meanwhile; then the same store works, the watch resyncs and delivers', async () => {
    const key = freshKey();
    const version = await store.put(key, 'kept', { kind: 'does-not-exist' });
    await killAndWait(server.pid);
    await expectUnavailable(() => store.put(freshKey(), 'lost', { kind: 'does-not-exist' }), 1_000, [/^metadata store unreachable: /, server.address]);
    const resyncs = follower.resyncs;
    await server.restart();
    // A new store process may have changed anything: the watcher is told to read it all again.
    await waitUntil('a resync after the restart', async () => follower.resyncs > resyncs, 15_000, 20);
    await expectRecovered(store, follower);
    expect(await store.get(key)).toEqual({ key, version, value: 'kept' });
  }, 60_000);
});

describe('etcd: versions, and a member that hangs or dies', () => {
  const etcdFailure = () => [/^etcd did not /, etcd!.member.client_url];

  let store: EtcdMetadataStore;
  let follower: Follower;

  beforeAll(async () => {
    etcd = await EtcdProcess.start();
    store = await openEtcd();
    follower = new Follower(store);
    await waitUntil('the watch to start', async () => follower.resyncs > 0, 10_000, 20);
  });
  afterAll(async () => {
    follower?.stop();
    await stopEtcd();
  });

  it("a re-created key's version goes on from the mod revision, while etcd's own per-key version restarts at 1", async () => {
    const key = freshKey();
    const raw = async () => (await etcdClients[0]!.get(`${etcdOptions().prefix}${key}`).exec()).kvs[0]!;
    const v1 = await store.put(key, 'a', { kind: 'does-not-exist' });
    const v2 = await store.put(key, 'b', { kind: 'matches-version', version: v1 });
    expect(await raw()).toMatchObject({ version: '2', mod_revision: String(v2) });
    await store.delete(key, { kind: 'matches-version', version: v2 });
    const v3 = await store.put(key, 'c', { kind: 'does-not-exist' });
    expect(v3).toBeGreaterThan(v2);
    expect(await raw()).toMatchObject({ version: '1', mod_revision: String(v3) });
    expect(await store.get(key)).toEqual({ key, version: v3, value: 'c' });
  });

  it('SIGSTOP: requests fail within the timeout with UNAVAILABLE naming etcd and its endpoint; after SIGCONT all works again', async () => {
    await store.put(freshKey(), 'before', { kind: 'does-not-exist' });
    await pauseProcess(etcd!.member.pid);
    try {
      await expectUnavailable(() => store.get(freshKey()), ETCD_TIMEOUT_MS, etcdFailure());
      await expectUnavailable(() => store.put(freshKey(), 'lost', { kind: 'does-not-exist' }), ETCD_TIMEOUT_MS, etcdFailure());
    } finally {
      process.kill(etcd!.member.pid, 'SIGCONT');
    }
    await expectRecovered(store, follower);
  }, 60_000);

  it('kill -9 and restart on the same data: requests fail fast meanwhile, then the same store and its watch work again', async () => {
    const key = freshKey();
    const version = await store.put(key, 'kept', { kind: 'does-not-exist' });
    await killAndWait(etcd!.member.pid);
    await expectUnavailable(() => store.versions(), ETCD_TIMEOUT_MS, etcdFailure());
    await etcd!.restart();
    await expectRecovered(store, follower);
    expect(await store.get(key)).toEqual({ key, version, value: 'kept' });
  }, 60_000);
});
