// One cairn-server process: what every node runs (its listener, the metadata store the factory picks
// and this node's view of it, bifrost, the sequencers and the core routes), composed with the roles
// its configuration names (roles/): lock, open, bind, listen, join, start the roles, stop them.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { HttpClient } from '../api/http-client';
import { formatGenId, type GenerationalNodeId } from '../api/ids';
import { buildOpenApi } from '../api/openapi';
import { epochKey, type Ident, type NodeStats, type Role } from '../api/schemas';
import { provisionCluster } from './admin/provision';
import { Bifrost } from './bifrost/bifrost';
import { SequencerManager } from './bifrost/sequencers';
import { bindLogReadRoutes, bindSequencerOperations } from './bifrost/service';
import { loadNodeTls, redactedConfig, type NodeConfig } from './config';
import { CLUSTER_SECRET_HEADER, HttpServer } from './http/server';
import { freeDiskBytes, FULL_DISK_BYTES, StorageHealth } from './health';
import type { Logger } from './logger';
import { LogServerRegistry } from './log-server/registry';
import { createMetadataStore, type OpenedMetadataStore } from './metadata/factory';
import { MetadataManager } from './metadata/manager';
import { bindMetadataRoutes } from './metadata/service';
import { nodeMetrics } from './metrics';
import type { MetadataStore } from './metadata/store';
import { FatalNodeError, fencedReason, joinCluster } from './node-join';
import { AdminRole } from './roles/admin';
import { IngressRole } from './roles/ingress';
import { LogServerRole } from './roles/log-server';
import { MetadataServerRole } from './roles/metadata-server';
import { replicationBatch, type NodeRole, type NodeServices } from './roles/role';
import { WorkerRole } from './roles/worker';
import { sleep } from './sleep';
import { openDatabase, type Db } from './storage/sqlite';
import { PeerClients } from './transport/peer-client';
import { PeerServer } from './transport/peer-server';

export const VERSION = '0.1.0';
/** The metadata change feed is the way changes arrive; reading everything this often catches anything it missed. */
const METADATA_RESYNC_MS = 5_000;
const JOIN_RETRY_MS = 250;

/** The roles this node runs, by name; each is there only if the configuration names it. */
interface Roles {
  'metadata-server'?: MetadataServerRole;
  'log-server'?: LogServerRole;
  worker?: WorkerRole;
  admin?: AdminRole;
  'http-ingress'?: IngressRole;
}

export class CairnNode implements NodeServices {
  readonly startedAt = new Date();
  readonly http: HttpClient;
  private readonly server: HttpServer;
  /** The data path between nodes (stores, forwarded appends, reads, tails). */
  private readonly peers: PeerClients;
  private readonly peerServer: PeerServer;
  private readonly databases: Db[] = [];
  private opened!: OpenedMetadataStore;
  metadata!: MetadataManager;
  logServers!: LogServerRegistry;
  bifrost!: Bifrost;
  sequencers: SequencerManager | undefined;
  me: GenerationalNodeId | undefined;
  private status: Ident['status'] = 'starting-up';
  private readonly roles: Roles;
  private stopping: Promise<void> | undefined;
  /** Stores whose writes fail right now (reported in the ident, logged when it starts and ends). */
  readonly storage: StorageHealth;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private loopDelaySince = new Date();
  /** Called once a fatal condition has stopped the node (main makes sure the process ends). */
  onStopped: (() => void) | undefined;

  constructor(
    readonly config: NodeConfig,
    readonly logger: Logger,
  ) {
    this.storage = new StorageHealth(
      (problem, resolved) =>
        resolved
          ? logger.info({ component: problem.component, since: problem.since }, `${problem.component} writes work again`)
          : logger.error({ component: problem.component, err: problem.message, base_dir: config.baseDir }, `${problem.component} writes fail`),
      config.baseDir,
    );
    // Peers call each other's admin endpoints too (the controller probes /v1/node): with admin.token
    // set and no cluster-secret, the token is what lets them in.
    const headers: Record<string, string> = {
      ...(config.clusterSecret ? { [CLUSTER_SECRET_HEADER]: config.clusterSecret } : {}),
      ...(config.adminToken ? { authorization: `Bearer ${config.adminToken}` } : {}),
    };
    const tls = config.tls && loadNodeTls(config.tls);
    this.http = new HttpClient({ connectTimeoutMs: 2_000, headers, tls: tls?.client });
    this.peers = new PeerClients({ connectTimeoutMs: 2_000, clusterSecret: config.clusterSecret, messageLimit: config.messageSizeLimit, tls: tls?.client });
    this.peerServer = new PeerServer({ name: config.nodeName, logger, messageLimit: config.messageSizeLimit, clusterSecret: config.clusterSecret });
    this.loopDelay.enable();
    this.server = new HttpServer({
      name: config.nodeName,
      logger,
      bodyLimit: config.messageSizeLimit,
      roles: config.roles,
      adminToken: config.adminToken,
      clusterSecret: config.clusterSecret,
      tls: tls?.server,
    });
    this.server.acceptUpgrades((req, socket, head) => this.peerServer.upgrade(req, socket, head));
    this.roles = this.createRoles();
  }

  private createRoles(): Roles {
    const has = (role: Role) => this.config.roles.includes(role);
    const worker = has('worker') ? new WorkerRole(this) : undefined;
    return {
      'metadata-server': has('metadata-server') ? new MetadataServerRole(() => this.opened) : undefined,
      'log-server': has('log-server') ? new LogServerRole(this) : undefined,
      worker,
      admin: has('admin') ? new AdminRole(this) : undefined,
      'http-ingress': has('http-ingress') ? new IngressRole(this, worker) : undefined,
    };
  }

  /** The roles this node runs, in the order they start. */
  private get roleList(): NodeRole[] {
    const { roles } = this;
    return [roles['metadata-server'], roles['log-server'], roles.worker, roles.admin, roles['http-ingress']].filter((role) => role !== undefined);
  }

  get metadataStore(): MetadataStore {
    return this.opened.store;
  }

  /** The event loop's delay since the previous call (the window then starts again). */
  private eventLoopWindow(): NodeStats['event_loop'] {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const window = { max_delay_ms: ms(this.loopDelay.max), p99_delay_ms: ms(this.loopDelay.percentile(99)), since: this.loopDelaySince.toISOString() };
    this.loopDelay.reset();
    this.loopDelaySince = new Date();
    return window;
  }

  ident(): Ident {
    const ident: Ident = {
      status: this.status,
      name: this.config.nodeName,
      cluster_name: this.config.clusterName,
      node_id: this.me?.id ?? null,
      generation: this.me?.generation ?? null,
      address: this.config.advertisedAddress,
      roles: this.config.roles,
      started_at: this.startedAt.toISOString(),
      uptime_ms: Date.now() - this.startedAt.getTime(),
      admin: null,
      worker: null,
      log_server: null,
      metadata_server: null,
      metadata_versions: this.metadata ? this.metadata.versions() : {},
      partitions: [],
      sealed_tail_loglets: [],
      problems: this.storage.list(),
      cluster_controller: null,
    };
    for (const role of this.roleList) Object.assign(ident, role.report());
    return ident;
  }

  async start(): Promise<void> {
    try {
      await this.startUp();
    } catch (err) {
      throw this.explainStartFailure(err);
    }
  }

  private async startUp(): Promise<void> {
    mkdirSync(this.config.baseDir, { recursive: true });
    this.acquireLock();
    for (const role of this.roleList) await role.open?.();
    await this.openMetadata();
    this.bindRoutes();
    const address = await this.server.listen(this.config.bindAddress);
    this.logger.info(
      { address: this.config.advertisedAddress, bind: `${address.address}:${address.port}`, roles: this.config.roles },
      'node listening',
    );
    this.metadata.start(METADATA_RESYNC_MS);
    await this.join();
    await this.startRoles(this.me!);
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
    } catch (err) {
      lock.close();
      // Only a lock held elsewhere means "in use"; anything else (a full disk) is its own error.
      if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
      const holder = existsSync(pidFile) ? ` (pid ${readFileSync(pidFile, 'utf8').trim()})` : '';
      throw new FatalNodeError(`base-dir ${this.config.baseDir} is in use by another cairn-server${holder}; give each node its own base-dir`);
    }
    writeFileSync(pidFile, String(process.pid));
    this.databases.push(lock);
  }

  /**
   * A start that failed on a full disk says so: SQLite reports such failures as "disk I/O error"
   * (opening the log store, chaos seed 1313), which names neither cause nor remedy.
   */
  private explainStartFailure(err: unknown): unknown {
    if (err instanceof FatalNodeError) return err;
    const freeBytes = freeDiskBytes(this.config.baseDir);
    if (freeBytes === undefined || freeBytes >= FULL_DISK_BYTES) return err;
    const cause = err instanceof Error ? err.message : String(err);
    return new FatalNodeError(
      `the disk of base-dir ${this.config.baseDir} is full (${freeBytes} bytes free; ${cause}); free space on it, then start the node again`,
    );
  }

  private async openMetadata(): Promise<void> {
    this.opened = await createMetadataStore(this.config, {
      http: this.http,
      openEmbedded: () => {
        const db = openDatabase(path.join(this.config.baseDir, 'metadata.db'));
        this.databases.push(db);
        return db;
      },
    });
    this.metadata = new MetadataManager(this.metadataStore, this.logger);
    this.logServers = new LogServerRegistry(this.metadata, this.peers);
    this.bifrost = new Bifrost(() => this.me, this.metadata, () => this.sequencers, this.logServers, this.peers, this.config.recordSizeLimit, {
      ...replicationBatch(this.config),
      inflight: this.config.replicationInflightBatches,
    });
    this.metadata.on('change', (key) => {
      if (key !== 'nodes_config' || !this.me) return;
      const reason = fencedReason(this.metadata.require('nodes_config').value, this.me);
      if (reason) this.fail(new FatalNodeError(reason));
    });
  }

  /** The routes every node answers, then each role's; all of them before the node joins. */
  private bindRoutes(): void {
    const s = this.server;
    const { config } = this;
    s.route('health', () => ({ status: this.status === 'alive' ? 'ok' : 'starting', node: config.nodeName }));
    s.raw('GET', '/v1/openapi.json', 'none', () => ({
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(buildOpenApi(VERSION), null, 2),
    }));
    s.route('ident', () => this.ident());
    s.route('nodeSettings', () => ({ ...redactedConfig(config) }));
    bindMetadataRoutes(s, { config, store: this.metadataStore, metadata: this.metadata, http: this.http });
    s.route('provision', ({ json }) => provisionCluster(json as never, config, this.metadata));
    s.rawRoute('metrics', () =>
      nodeMetrics().scrape({ sequencers: this.sequencers, logStore: this.roles['log-server']?.logStore, partitions: this.roles.worker?.partitionManager }),
    );
    s.route('stats', async () => {
      const memory = process.memoryUsage();
      return {
        log_store: (await this.roles['log-server']?.stats()) ?? null,
        sequencers: this.sequencers?.stats() ?? [],
        memory: { rss_bytes: memory.rss, max_rss_bytes: process.resourceUsage().maxRSS * 1024 },
        event_loop: this.eventLoopWindow(),
      };
    });
    bindSequencerOperations(s, this.peerServer, () => this.sequencers, this.metadata, config.recordSizeLimit);
    // Reads are cut like replication batches.
    bindLogReadRoutes(s, this.bifrost, config.replicationBatchBytes);
    for (const role of this.roleList) role.bindRoutes(s, this.peerServer);
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

  /**
   * The log-server first (the sequencers store to it), then the sequencers every node runs, the
   * worker, the admin (its controller sees the worker's processors from its first round) and the
   * ingress, once everything it serves runs.
   */
  private async startRoles(me: GenerationalNodeId): Promise<void> {
    const { roles } = this;
    await roles['metadata-server']?.start();
    await roles['log-server']?.start(me);
    this.startSequencers(me);
    await roles.worker?.start(me);
    await roles.admin?.start(me);
    await roles['http-ingress']?.start(me);
  }

  /** Every node sequences the loglets the logs metadata gives it. */
  private startSequencers(me: GenerationalNodeId): void {
    const { config } = this;
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
      (logId) => {
        const partition = this.metadata.get('partition_table')?.value.partitions.find((p) => p.log_id === logId);
        return (partition && this.metadata.get(epochKey(partition.id))?.value.replica_set) ?? [];
      },
    );
  }

  /** A fatal condition after start: say why on stderr and in the log, then stop with exit code 1. */
  fail(err: Error): void {
    if (this.stopping) return;
    this.logger.error({ err: err.message }, `Shutting down: ${err.message}`);
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 1;
    void this.stop().then(() => this.onStopped?.());
  }

  /**
   * Work stops from the edge inwards: appends stop waiting for segments, then the ingress, the
   * processors and the sequencers stop; the controller last of all, so that it hands over (revoking
   * its lease) once nothing here acts. Storage closes once the listener has closed: the roles', then
   * the node's own (the lock, the embedded metadata store).
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const { roles } = this;
      this.status = 'shutting-down';
      this.bifrost?.close();
      await roles['http-ingress']?.stop();
      await roles.worker?.stop();
      this.sequencers?.stopAll();
      await roles.admin?.stop();
      await roles['log-server']?.stop();
      await roles['metadata-server']?.stop();
      this.metadata?.stop();
      this.loopDelay.disable();
      await this.opened?.store.close().catch(() => undefined);
      this.peerServer.close();
      await this.server.close().catch(() => undefined);
      this.http.destroy();
      this.peers.destroy();
      for (const role of this.roleList) await role.close?.();
      for (const db of this.databases) db.close();
      this.logger.info('node stopped');
    })();
    return this.stopping;
  }
}
