// The cluster controller (admin role). Every admin node probes its peers; the alive admin node with
// the lowest id acts. Whatever it changes goes through compare-and-set on the metadata, so two nodes
// that briefly both believe they lead cannot corrupt it.
import { formatGenId, makeLogletId, type GenerationalNodeId } from '../../api/ids';
import type { HttpClient } from '../../api/http-client';
import type { Ident, LogChain, NodeConfig as NodeEntry, NodesConfiguration } from '../../api/schemas';
import type { Logger } from '../logger';
import type { MetadataManager } from '../metadata/manager';
import { PeriodicTask } from '../periodic';

const PROBE_TIMEOUT_MS = 500;
/** Logs are created once membership has been quiet this long, so that nodes starting together all
 *  land in the first nodesets instead of whichever two registered first. */
const MEMBERSHIP_SETTLE_MS = 1_000;

export interface PeerState {
  alive: boolean;
  generation: number | null;
  lastSeenAlive: Date | undefined;
  ident: Ident | undefined;
}

/** Log-servers that new nodesets may include (`should_write_to` in the reference). */
export function writeableLogServers(nodes: NodesConfiguration): NodeEntry[] {
  return nodes.nodes.filter((n) => n.roles.includes('log-server') && n.log_server.storage_state === 'read-write');
}

export class ClusterController {
  readonly peers = new Map<number, PeerState>();
  private readonly task = new PeriodicTask(
    () => this.tick(),
    (err) => this.logger.warn({ err: err.message }, 'cluster controller tick failed'),
  );
  private waitingNote: string | undefined;
  private membership = { version: 0, since: 0 };

  constructor(
    private readonly me: GenerationalNodeId,
    private readonly metadata: MetadataManager,
    private readonly http: HttpClient,
    private readonly selfIdent: () => Ident,
    private readonly logger: Logger,
  ) {}

  start(intervalMs: number): void {
    this.task.start(intervalMs);
  }

  stop(): void {
    this.task.stop();
  }

  isLeader(): boolean {
    const nodes = this.metadata.get('nodes_config')?.value;
    if (!nodes) return false;
    const leader = nodes.nodes.find((n) => n.roles.includes('admin') && this.peers.get(n.id)?.alive);
    return leader?.id === this.me.id;
  }

  private async tick(): Promise<void> {
    const nodes = this.metadata.get('nodes_config');
    if (!nodes) return;
    if (nodes.version !== this.membership.version) this.membership = { version: nodes.version, since: Date.now() };
    await this.probe(nodes.value);
    if (!this.isLeader()) return;
    await this.ensureLogs();
  }

  private async probe(nodes: NodesConfiguration): Promise<void> {
    await Promise.all(
      nodes.nodes.map(async (node) => {
        let ident: Ident | undefined;
        if (node.id === this.me.id) ident = this.selfIdent();
        else {
          try {
            ident = await this.http.call(node.address, 'ident', { timeoutMs: PROBE_TIMEOUT_MS });
          } catch {
            ident = undefined;
          }
        }
        const alive = ident?.status === 'alive' && ident.node_id === node.id && ident.generation === node.generation;
        const previous = this.peers.get(node.id);
        this.peers.set(node.id, {
          alive,
          generation: ident?.generation ?? null,
          lastSeenAlive: alive ? new Date() : previous?.lastSeenAlive,
          ident,
        });
      }),
    );
    for (const id of this.peers.keys()) if (!nodes.nodes.some((n) => n.id === id)) this.peers.delete(id);
  }

  private aliveNodes(nodes: NodesConfiguration): NodeEntry[] {
    return nodes.nodes.filter((n) => this.peers.get(n.id)?.alive);
  }

  /** Creates the log of every partition that has none yet, once enough log-servers are writeable. */
  private async ensureLogs(): Promise<void> {
    const table = this.metadata.get('partition_table')?.value;
    const logs = this.metadata.get('bifrost_config')?.value;
    const nodes = this.metadata.get('nodes_config')?.value;
    if (!table || !logs || !nodes) return;
    const missing = table.partitions.filter((p) => !logs.logs.some((l) => l.log_id === p.log_id));
    if (missing.length === 0) return;

    if (Date.now() - this.membership.since < MEMBERSHIP_SETTLE_MS) return;
    const replication = logs.default_provider.replication;
    const alive = this.aliveNodes(nodes);
    const nodeset = writeableLogServers(nodes).filter((n) => alive.includes(n));
    if (nodeset.length < replication.node) {
      this.noteWaiting(`waiting for ${replication.node} writeable log-servers to create logs (have ${nodeset.length})`);
      return;
    }
    const workers = alive.filter((n) => n.roles.includes('worker'));
    const sequencers = workers.length ? workers : nodeset;
    const limit = logs.default_provider.target_nodeset_size;
    const chosen = (limit > 0 ? nodeset.slice(0, Math.max(limit, replication.node)) : nodeset).map((n) => n.id);

    await this.metadata.update('bifrost_config', (current) => {
      if (!current) return undefined;
      const added: LogChain[] = [];
      for (const partition of table.partitions) {
        if (current.logs.some((l) => l.log_id === partition.log_id)) continue;
        const sequencer = sequencers[partition.log_id % sequencers.length]!;
        added.push({
          log_id: partition.log_id,
          segments: [
            {
              index: 0,
              base_lsn: 1,
              kind: 'replicated',
              created_at: new Date().toISOString(),
              params: {
                loglet_id: makeLogletId(partition.log_id, 0),
                sequencer: formatGenId(sequencer),
                replication: current.default_provider.replication,
                nodeset: chosen,
              },
            },
          ],
        });
      }
      if (added.length === 0) return undefined;
      return { ...current, logs: [...current.logs, ...added].sort((a, b) => a.log_id - b.log_id) };
    });
    this.waitingNote = undefined;
    this.logger.info({ logs: missing.map((p) => p.log_id) }, 'created logs');
  }

  private noteWaiting(note: string): void {
    if (note !== this.waitingNote) this.logger.info(note);
    this.waitingNote = note;
  }
}
