// Which admin node acts as the cluster controller. With a store that has leases (etcd) it is the
// node holding the controller key under a lease it keeps alive; with the embedded store (which
// dies with its one node anyway) the alive admin node with the lowest id. Either way every change
// the controller makes is a compare-and-set, so a node that acts on a stale belief is fenced.
import type { GenerationalNodeId } from '../../api/ids';
import type { NodesConfiguration } from '../../api/schemas';
import type { Logger } from '../logger';
import type { LeaseKeeper } from '../metadata/store';
import { PeriodicTask } from '../periodic';

/** What the controller's probes know of a peer (see ClusterController.peers). */
export interface PeerView {
  alive: boolean;
  /** The last probe was refused: no process listens there, so it cannot be acting either. */
  refused: boolean;
}

export interface ControllerElection {
  /** Whether this node may act as the controller now. */
  acting(): boolean;
  /** The node acting as controller as far as this node knows (null: none known). */
  controllerId(): number | null;
  /** `acquired` is called when this node starts acting, so that it need not wait for its next round. */
  start(acquired: () => void): void;
  /** Stops campaigning; a holder gives the role up at once rather than letting its lease run out. */
  stop(): Promise<void>;
}

/** Embedded store: the alive admin node with the lowest id. */
export class LowestAliveAdmin implements ControllerElection {
  constructor(
    private readonly me: GenerationalNodeId,
    private readonly nodes: () => NodesConfiguration | undefined,
    private readonly peers: ReadonlyMap<number, PeerView>,
  ) {}

  controllerId(): number | null {
    return this.nodes()?.nodes.find((n) => n.roles.includes('admin') && this.peers.get(n.id)?.alive)?.id ?? null;
  }

  acting(): boolean {
    return this.controllerId() === this.me.id;
  }

  start(): void {}

  async stop(): Promise<void> {}
}

/** The controller key's value: who holds it, in which generation, under which lease. */
interface Holder {
  node_id: number;
  generation: number;
  lease: string;
}

const CONTROLLER_KEY = 'cluster-controller';
/**
 * The lease's TTL: how long a controller that stops answering (paused, cut off) keeps the role. A
 * holder whose process is gone is replaced sooner: the others see its port refuse and revoke it.
 */
const LEASE_TTL_MS = 2_000;
/** Renewals (and, while not holding, campaigns) this often: four per TTL. */
const RENEW_INTERVAL_MS = LEASE_TTL_MS / 4;
/** The holder stops acting this long before its lease could expire, for clock-rate differences. */
const SAFETY_MARGIN_MS = 200;

/**
 * etcd: a campaign on one key claimed under a lease. The holder acts only while its lease is
 * certainly valid: until the send time of its last answered renewal plus the TTL (less a margin),
 * which is no later than etcd can expire it, so a paused holder has stopped before anyone else
 * can win.
 */
export class LeaseElection implements ControllerElection {
  private lease: { id: string; ttlMs: number } | undefined;
  private validUntil = 0;
  private holder: Holder | null = null;
  private lastProblem: string | undefined;
  private acquired: () => void = () => undefined;
  private readonly task = new PeriodicTask(
    () => this.round(),
    (err) => this.note(`cannot campaign for the cluster controller: ${err.message}`),
  );

  constructor(
    private readonly me: GenerationalNodeId,
    private readonly leases: LeaseKeeper,
    private readonly nodes: () => NodesConfiguration | undefined,
    private readonly peers: ReadonlyMap<number, PeerView>,
    private readonly logger: Logger,
  ) {}

  acting(): boolean {
    return this.holds() && Date.now() < this.validUntil - SAFETY_MARGIN_MS;
  }

  controllerId(): number | null {
    return this.holder?.node_id ?? null;
  }

  start(acquired: () => void): void {
    this.acquired = acquired;
    this.task.start(RENEW_INTERVAL_MS);
  }

  async stop(): Promise<void> {
    this.task.stop();
    const lease = this.lease;
    this.lease = undefined;
    this.validUntil = 0;
    if (lease) await this.leases.revoke(lease.id).catch(() => undefined);
  }

  private holds(): boolean {
    return !!this.lease && this.holder?.lease === this.lease.id;
  }

  private async round(): Promise<void> {
    if (!this.lease) {
      const sent = Date.now();
      this.lease = await this.leases.grant(LEASE_TTL_MS);
      this.validUntil = sent + this.lease.ttlMs;
    } else {
      const sent = Date.now();
      if (!(await this.leases.keepAlive(this.lease.id))) {
        if (this.holds()) this.logger.warn('lost the cluster controller lease; no longer acting as controller');
        this.lease = undefined;
        this.validUntil = 0;
        return;
      }
      this.validUntil = sent + this.lease.ttlMs;
    }
    this.lastProblem = undefined;
    if (this.holds()) return;

    if ((await this.campaign()) === 'holder gone') await this.campaign();
  }

  /** Claims the controller key; a holder that is gone has its lease revoked (then claim again). */
  private async campaign(): Promise<'won' | 'held' | 'holder gone'> {
    const lease = this.lease!;
    const mine: Holder = { node_id: this.me.id, generation: this.me.generation, lease: lease.id };
    const { won, holder } = await this.leases.claim(CONTROLLER_KEY, mine, lease.id);
    const previous = this.holder;
    this.holder = holder as Holder | null;
    if (won) {
      this.logger.info({ lease_ttl_ms: lease.ttlMs }, 'acting as the cluster controller (holding its lease)');
      this.acquired();
      return 'won';
    }
    if (!this.holder) return 'held';
    if (previous?.lease !== this.holder.lease) this.logger.info({ controller: this.holder.node_id }, 'the cluster controller is another node');
    if (!this.holderGone(this.holder)) return 'held';
    this.logger.info({ controller: this.holder.node_id }, 'the cluster controller is gone (its process no longer runs); revoking its lease');
    await this.leases.revoke(this.holder.lease);
    return 'holder gone';
  }

  /** Definitely not running any more: its port refuses connections, or its node runs a newer generation. */
  private holderGone(holder: Holder): boolean {
    if (holder.node_id === this.me.id) return holder.generation !== this.me.generation;
    const node = this.nodes()?.nodes.find((n) => n.id === holder.node_id);
    if (!node || node.generation !== holder.generation) return true;
    return this.peers.get(holder.node_id)?.refused === true;
  }

  private note(problem: string): void {
    if (problem !== this.lastProblem) this.logger.warn(problem);
    this.lastProblem = problem;
  }
}
