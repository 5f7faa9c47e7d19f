// One cairn-server process: its HTTP listener, metadata view, cluster membership and roles.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ApiError } from '../api/errors';
import { HttpClient } from '../api/http-client';
import { formatGenId, parseGenId, type GenerationalNodeId } from '../api/ids';
import { tailLoglet } from '../api/logs';
import { buildOpenApi } from '../api/openapi';
import { isEpochKey, METADATA_KEYS, MetadataKeyText, type Ident, type MetadataKey, type NodeStats } from '../api/schemas';
import { ClusterController } from './admin/controller';
import { LeaseElection, LowestAliveAdmin } from './admin/election';
import { LogOperations } from './admin/log-ops';
import { NodeOperations } from './admin/node-ops';
import { bindAdminRoutes, idParam } from './admin/service';
import { provisionCluster } from './admin/provision';
import { Bifrost } from './bifrost/bifrost';
import { SequencerManager } from './bifrost/sequencers';
import { bindSequencerRoutes } from './bifrost/service';
import { encodeFrame } from './bifrost/wire';
import type { NodeConfig } from './config';
import { CLUSTER_SECRET_HEADER, HttpServer } from './http/server';
import { createIngress } from './ingress/ingress';
import { StorageHealth } from './health';
import type { Logger } from './logger';
import { LogStoreHandle } from './log-server/log-store-handle';
import { provisionLogServer } from './log-server/provision';
import { LogServerRegistry } from './log-server/registry';
import { bindLogServerRoutes } from './log-server/service';
import { MetadataManager } from './metadata/manager';
import { nodeMetrics } from './metrics';
import { EmbeddedMetadataStore } from './metadata/embedded';
import { createMetadataStore } from './metadata/factory';
import { metadataServers } from './metadata/servers';
import { bindMetadataStoreRoutes } from './metadata/service';
import type { MetadataStore } from './metadata/store';
import { FatalNodeError, fencedReason, joinCluster } from './node-join';
import { sleep } from './sleep';
import { openDatabase, type Db } from './storage/sqlite';
import { PartitionManager } from './worker/manager';
import { PartitionStore } from './worker/partition-store';
import { bindWorkerRoutes, type WorkerDeps } from './worker/service';
import { SnapshotRepository } from './worker/snapshot-repository';

export const VERSION = '0.1.0';
/** The metadata change feed is the way changes arrive; reading everything this often catches anything it missed. */
const METADATA_RESYNC_MS = 5_000;
const CONTROLLER_INTERVAL_MS = 500;
const JOIN_RETRY_MS = 250;

/** Throws NOT_READY until a component exists (it is created once the node has joined). */
function ready<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new ApiError('NOT_READY', `${what} is not running on this node yet`, 'retry in a moment');
  return value;
}


type RoleStatus = 'starting-up' | 'ready' | 'failsafe' | 'stopped';

export class CairnNode {
  readonly startedAt = new Date();
  readonly http: HttpClient;
  private readonly server: HttpServer;
  private readonly databases: Db[] = [];
  private metadataStore!: MetadataStore;
  metadata!: MetadataManager;
  me: GenerationalNodeId | undefined;
  private status: Ident['status'] = 'starting-up';
  private readonly roleStatus: Record<'admin' | 'worker' | 'log-server', RoleStatus> = {
    admin: 'starting-up',
    worker: 'starting-up',
    'log-server': 'starting-up',
  };
  private controller: ClusterController | undefined;
  private logServers!: LogServerRegistry;
  private logStore: LogStoreHandle | undefined;
  private sequencers: SequencerManager | undefined;
  private bifrost!: Bifrost;
  private ops: LogOperations | undefined;
  private partitionStore: PartitionStore | undefined;
  private partitions: PartitionManager | undefined;
  private repository: SnapshotRepository | undefined;
  private ingress: HttpServer | undefined;
  private stopping: Promise<void> | undefined;
  /** Stores whose writes fail right now (reported in the ident, logged when it starts and ends). */
  readonly storage = new StorageHealth((problem, resolved) =>
    resolved
      ? this.logger.info({ component: problem.component, since: problem.since }, `${problem.component} writes work again`)
      : this.logger.error({ component: problem.component, err: problem.message, base_dir: this.config.baseDir }, `${problem.component} writes fail`),
  );
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private loopDelaySince = new Date();
  /** Called once a fatal condition has stopped the node (main makes sure the process ends). */
  onStopped: (() => void) | undefined;

  constructor(
    readonly config: NodeConfig,
    readonly logger: Logger,
  ) {
    // Peers call each other's admin endpoints too (the controller probes /v1/node): with admin.token
    // set and no cluster-secret, the token is what lets them in.
    const headers: Record<string, string> = {
      ...(config.clusterSecret ? { [CLUSTER_SECRET_HEADER]: config.clusterSecret } : {}),
      ...(config.adminToken ? { authorization: `Bearer ${config.adminToken}` } : {}),
    };
    // Several connections per peer: Node's HTTP server answers pipelined requests one by one, so
    // stores of different loglets (and in-flight batches of one) need connections of their own.
    this.http = new HttpClient({ connectTimeoutMs: 2_000, headers });
    this.loopDelay.enable();
    this.server = new HttpServer({
      name: config.nodeName,
      logger,
      bodyLimit: config.messageSizeLimit,
      roles: config.roles,
      adminToken: config.adminToken,
      clusterSecret: config.clusterSecret,
    });
  }

  /** The event loop's delay since the previous call (the window then starts again). */
  private eventLoopWindow(): NodeStats['event_loop'] {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const window = { max_delay_ms: ms(this.loopDelay.max), p99_delay_ms: ms(this.loopDelay.percentile(99)), since: this.loopDelaySince.toISOString() };
    this.loopDelay.reset();
    this.loopDelaySince = new Date();
    return window;
  }

  hasRole(role: NodeConfig['roles'][number]): boolean {
    return this.config.roles.includes(role);
  }

  ident(): Ident {
    const role = <R extends 'admin' | 'worker' | 'log-server'>(r: R) => (this.hasRole(r) ? this.roleStatus[r] : null);
    return {
      status: this.status,
      name: this.config.nodeName,
      cluster_name: this.config.clusterName,
      node_id: this.me?.id ?? null,
      generation: this.me?.generation ?? null,
      address: this.config.advertisedAddress,
      roles: this.config.roles,
      started_at: this.startedAt.toISOString(),
      uptime_ms: Date.now() - this.startedAt.getTime(),
      admin: role('admin'),
      worker: role('worker'),
      log_server: role('log-server'),
      metadata_server: this.hasRole('metadata-server') ? 'member' : null,
      metadata_versions: this.metadata ? this.metadata.versions() : {},
      partitions: this.partitions?.statuses() ?? [],
      sealed_tail_loglets: this.sealedTailLoglets(),
      problems: this.storage.list(),
      cluster_controller: this.controller?.controllerId() ?? null,
    };
  }

  /** Tail loglets this node's log-server has sealed: the controller finishes their reconfiguration. */
  private sealedTailLoglets(): number[] {
    const store = this.logStore;
    const logs = this.metadata?.get('bifrost_config')?.value;
    if (!store || !logs) return [];
    return logs.logs.flatMap((chain) => {
      const loglet = tailLoglet(chain)?.params.loglet_id;
      return loglet !== undefined && store.isSealed(loglet) ? [loglet] : [];
    });
  }

  async start(): Promise<void> {
    mkdirSync(this.config.baseDir, { recursive: true });
    this.acquireLock();
    await this.openSnapshotRepository();
    await this.openMetadata();
    this.bindRoutes();
    const address = await this.server.listen(this.config.bindAddress);
    this.logger.info(
      { address: this.config.advertisedAddress, bind: `${address.address}:${address.port}`, roles: this.config.roles },
      'node listening',
    );
    this.metadata.start(METADATA_RESYNC_MS);
    await this.join();
    await this.startRoles();
    this.status = 'alive';
    this.logger.info({ node_id: formatGenId(this.me!) }, `My Node ID is ${formatGenId(this.me!)}`);
  }

  /**
   * One process per base-dir: two processes writing the same storage would corrupt it. The lock is
   * an exclusive SQLite lock, which the kernel drops when the holder dies, even by kill -9.
   */
  private acquireLock(): void {
    const lock = new Database(path.join(this.config.baseDir, 'LOCK'), { timeout: 0 });
    const pidFile = path.join(this.config.baseDir, 'LOCK.pid');
    try {
      lock.pragma('locking_mode = EXCLUSIVE');
      lock.exec('BEGIN EXCLUSIVE');
    } catch {
      lock.close();
      const holder = existsSync(pidFile) ? ` (pid ${readFileSync(pidFile, 'utf8').trim()})` : '';
      throw new FatalNodeError(`base-dir ${this.config.baseDir} is in use by another cairn-server${holder}; give each node its own base-dir`);
    }
    writeFileSync(pidFile, String(process.pid));
    this.databases.push(lock);
  }

  private async openSnapshotRepository(): Promise<void> {
    const destination = this.config.snapshotDestination;
    if (!destination || !this.hasRole('worker')) return;
    try {
      this.repository = await SnapshotRepository.open(destination, path.join(this.config.baseDir, 'snapshot-staging'));
    } catch (err) {
      throw new FatalNodeError(`cannot open the snapshot repository ${destination.url} (worker.snapshots.destination): ${(err as Error).message}`);
    }
  }

  private async openMetadata(): Promise<void> {
    this.metadataStore = await createMetadataStore(this.config, {
      http: this.http,
      openEmbedded: () => {
        const db = openDatabase(path.join(this.config.baseDir, 'metadata.db'));
        this.databases.push(db);
        return db;
      },
    });
    this.metadata = new MetadataManager(this.metadataStore, this.logger);
    this.logServers = new LogServerRegistry(this.metadata, this.http, this.config.messageSizeLimit);
    this.bifrost = new Bifrost(() => this.me, this.metadata, () => this.sequencers, this.logServers, this.http, this.config.recordSizeLimit, {
      ...this.batch,
      inflight: this.config.replicationInflightBatches,
    });
    this.metadata.on('change', (key) => {
      if (key !== 'nodes_config' || !this.me) return;
      const reason = fencedReason(this.metadata.require('nodes_config').value, this.me);
      if (reason) this.fail(new FatalNodeError(reason));
    });
  }

  private bindRoutes(): void {
    const s = this.server;
    s.route('health', () => ({ status: this.status === 'alive' ? 'ok' : 'starting', node: this.config.nodeName }));
    s.raw('GET', '/v1/openapi.json', 'none', () => ({
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(buildOpenApi(VERSION), null, 2),
    }));
    s.route('ident', () => this.ident());
    s.route('metadataServers', () => metadataServers(this.config, this.metadataStore, this.http));
    s.route('metadataGet', ({ params }) => {
      const key = params.key!;
      if (!(METADATA_KEYS as readonly string[]).includes(key) && !isEpochKey(key)) {
        throw new ApiError('NOT_FOUND', `unknown metadata key '${key}'`, `known keys: ${METADATA_KEYS.join(', ')}, pp_epoch_<partition>`);
      }
      const entry = this.metadata.get(key as MetadataKey);
      if (!entry) throw new ApiError('NOT_FOUND', `no ${key} yet: the cluster is not provisioned`, 'provision it with `cairnctl provision`');
      return { key, version: entry.version, value: entry.value };
    });
    s.rawRoute('metrics', () => nodeMetrics().scrape({ sequencers: this.sequencers, logStore: this.logStore, partitions: this.partitions }));
    s.route('provision', ({ json }) => provisionCluster(json as never, this.config, this.metadata));
    s.route('stats', async () => {
      const memory = process.memoryUsage();
      return {
        log_store: this.logStore ? await this.logStore.stats() : null,
        sequencers: this.sequencers?.stats() ?? [],
        memory: { rss_bytes: memory.rss, max_rss_bytes: process.resourceUsage().maxRSS * 1024 },
        event_loop: this.eventLoopWindow(),
      };
    });
    if (this.hasRole('log-server')) bindLogServerRoutes(s, () => ready(this.logStore, 'the log-server'), this.readLimitBytes());
    bindSequencerRoutes(s, () => this.sequencers, this.metadata, this.config.recordSizeLimit);
    s.rawRoute('logRecords', async ({ params, query }) => {
      const logId = idParam(params.log, 'log');
      const from = Math.max(1, Number(query.get('from') ?? 1));
      const max = Math.max(1, Math.min(Number(query.get('max_records') ?? 1000), 100_000));
      const tail = await this.bifrost.tailLsn(logId);
      const { records } = from < tail ? await this.bifrost.read(logId, from, max, this.readLimitBytes(), tail) : { records: [] };
      return { headers: { 'content-type': 'application/octet-stream' }, body: encodeFrame({ log_id: logId, from, tail_lsn: tail }, records) };
    });
    if (this.hasRole('admin')) {
      bindAdminRoutes(s, {
        ops: () => ready(this.ops, 'the cluster controller'),
        nodeOps: new NodeOperations(this.metadata, this.logger),
        controller: () => ready(this.controller, 'the cluster controller'),
        metadata: this.metadata,
        http: this.http,
      });
    }
    if (this.hasRole('worker')) bindWorkerRoutes(s, this.workerDeps());
    if (this.metadataStore instanceof EmbeddedMetadataStore) bindMetadataStoreRoutes(s, this.metadataStore);
  }

  private async join(): Promise<void> {
    let announced: 'unreachable' | 'unprovisioned' | undefined;
    for (;;) {
      if (this.stopping) throw new FatalNodeError('stopped before joining the cluster');
      const unreachable = await this.metadata.refresh().then(
        () => undefined,
        (err: Error) => err.message,
      );
      if (this.metadata.isProvisioned()) break;
      // Only a store that answered can say the cluster is not provisioned.
      if (unreachable !== undefined && announced !== 'unreachable') {
        this.logger.warn({ err: unreachable, store: this.metadataStore.description }, 'The metadata store is unreachable; retrying until it answers');
        announced = 'unreachable';
      } else if (unreachable === undefined && announced !== 'unprovisioned') {
        this.status = 'awaiting-provisioning';
        this.logger.info('Cluster has not been provisioned, yet. Awaiting provisioning via `cairnctl provision`');
        announced = 'unprovisioned';
      }
      await sleep(JOIN_RETRY_MS);
    }
    this.status = 'starting-up';
    for (;;) {
      try {
        this.me = await joinCluster(this.metadata, this.config);
        return;
      } catch (err) {
        if (err instanceof FatalNodeError) throw err;
        this.logger.warn({ err: (err as Error).message }, 'cannot join the cluster yet, retrying');
        await sleep(JOIN_RETRY_MS);
      }
    }
  }

  private workerDeps(): WorkerDeps {
    return {
      manager: () => this.partitions,
      store: () => this.partitionStore,
      bifrost: this.bifrost,
      repository: this.repository,
      nodeName: this.config.nodeName,
    };
  }

  /** Reads and repairs are cut like replication batches. */
  private readLimitBytes(): number {
    return this.config.replicationBatchBytes;
  }

  private get batch(): { bytes: number; records: number } {
    return { bytes: this.config.replicationBatchBytes, records: this.config.replicationBatchRecords };
  }

  private async startRoles(): Promise<void> {
    const me = this.me!;
    const { config } = this;
    if (this.hasRole('log-server')) {
      const store = new LogStoreHandle(
        path.join(config.baseDir, 'log-store.db'),
        (err) => this.fail(err),
        this.storage,
        (sequencer) => {
          // Only what this node knows for sure: a newer generation, or a removed node (an unknown
          // one may just be newer than this node's copy of the nodes configuration).
          const id = parseGenId(sequencer);
          const nodes = this.metadata.get('nodes_config')?.value;
          const node = nodes?.nodes.find((n) => n.id === id.id);
          return node ? node.generation > id.generation : !!nodes?.tombstones.some((t) => t.id === id.id);
        },
      );
      this.logStore = store;
      await provisionLogServer(store, this.metadata, me, this.logger);
      this.logServers.attachLocal(me.id, store);
      this.roleStatus['log-server'] = 'ready';
    }
    this.sequencers = new SequencerManager(
      me,
      this.metadata,
      this.logServers,
      {
        batchBytes: config.replicationBatchBytes,
        batchRecords: config.replicationBatchRecords,
        inflightBatches: config.replicationInflightBatches,
        bufferBytes: config.sequencerBufferBytes,
      },
      this.logger,
    );
    if (this.hasRole('worker')) {
      const db = openDatabase(path.join(config.baseDir, 'partition-store.db'), { durable: false });
      this.databases.push(db);
      this.partitionStore = new PartitionStore(db);
      this.partitions = new PartitionManager(
        me,
        this.metadata,
        this.partitionStore,
        this.bifrost,
        this.storage,
        {
          repository: this.repository,
          retained: config.snapshotsRetained,
          identity: () => {
            const nodes = this.metadata.require('nodes_config').value;
            return { clusterName: nodes.cluster_name, clusterFingerprint: nodes.cluster_fingerprint, nodeName: config.nodeName };
          },
        },
        this.batch,
        this.logger,
      );
      this.partitions.start();
      this.roleStatus.worker = 'ready';
    }
    if (this.hasRole('admin')) {
      this.controller = new ClusterController(me, this.metadata, this.http, () => this.ident(), config.logTrimDelayMs, this.logger);
      this.ops = new LogOperations(me, this.metadata, this.logServers, this.bifrost, this.controller.peers, this.batch, this.logger);
      const nodes = () => this.metadata.get('nodes_config')?.value;
      const leases = this.metadataStore.leases;
      const election = leases
        ? new LeaseElection(me, leases, nodes, this.controller.peers, this.logger)
        : new LowestAliveAdmin(me, nodes, this.controller.peers);
      this.controller.start(CONTROLLER_INTERVAL_MS, this.ops, election);
      this.roleStatus.admin = 'ready';
    }
    if (this.hasRole('http-ingress')) {
      this.ingress = createIngress({
        metadata: this.metadata,
        bifrost: this.bifrost,
        http: this.http,
        worker: this.workerDeps(),
        me: () => this.me?.id,
        recordSizeLimit: config.recordSizeLimit,
        logger: this.logger,
        nodeName: config.nodeName,
      });
      const address = await this.ingress.listen(config.ingressBindAddress);
      this.logger.info({ ingress: `${address.address}:${address.port}` }, 'ingress listening');
    }
  }

  /** A fatal condition after start: say why on stderr and in the log, then stop with exit code 1. */
  fail(err: Error): void {
    if (this.stopping) return;
    this.logger.error({ err: err.message }, `Shutting down: ${err.message}`);
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 1;
    void this.stop().then(() => this.onStopped?.());
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.status = 'shutting-down';
      this.bifrost?.close();
      await this.ingress?.close().catch(() => undefined);
      this.partitions?.stop();
      this.sequencers?.stopAll();
      await this.controller?.stop();
      this.metadata?.stop();
      this.loopDelay.disable();
      await this.metadataStore?.close().catch(() => undefined);
      await this.server.close().catch(() => undefined);
      this.http.destroy();
      await this.logStore?.close();
      this.repository?.close();
      for (const db of this.databases) db.close();
      this.logger.info('node stopped');
    })();
    return this.stopping;
  }
}
