// Changes to nodes that operators make: storage state, worker state, removal. Without `force` only
// safe changes pass (the reference's transition tables and feasibility checks); with it those are
// skipped, but never the check that the node exists, nor the compare-and-set keyed by the
// generation the operator saw (a node that restarted since is not changed blindly).
import { ApiError } from '../../api/errors';
import { formatGenId, formatLogletId, formatNodeSet, formatPlainId, formatReplication } from '../../api/ids';
import { replicatedSegments } from '../../api/logs';
import type {
  Logs,
  NodeConfig as NodeEntry,
  NodesConfiguration,
  RemoveNodesOutcome,
  RemoveNodesRequest,
  SetStorageStateRequest,
  SetWorkerStateRequest,
  StateChangeOutcome,
  Tombstone,
} from '../../api/schemas';
import { isSafeStorageTransition, isSafeWorkerTransition, shouldWriteTo } from '../../api/states';
import type { Logger } from '../logger';
import type { MetadataManager } from '../metadata/manager';

type NodeRef = { id: number; generation?: number };

function unsafe(message: string, hint = 'pass --force only if you understand why it is unsafe'): ApiError {
  return new ApiError('UNSAFE', message, hint);
}

/** The node as the operator saw it, or why it cannot be changed. */
function lookup(nodes: NodesConfiguration, ref: NodeRef): NodeEntry {
  const node = nodes.nodes.find((n) => n.id === ref.id);
  if (!node) {
    const removed = nodes.tombstones.some((t) => t.id === ref.id);
    throw new ApiError(
      'NOT_FOUND',
      `node ${formatPlainId(ref.id)} ${removed ? 'has been permanently deleted from config' : 'was not found in config'}`,
      'see `cairnctl nodes list`',
    );
  }
  if (ref.generation !== undefined && node.generation !== ref.generation) {
    throw new ApiError(
      'VERSION_CONFLICT',
      `node was found but has a mismatching generation (expected=${formatGenId({ id: ref.id, generation: ref.generation })} found=${formatGenId(node)})`,
      'the node restarted since you looked; check its state again and retry',
    );
  }
  return node;
}

export class NodeOperations {
  constructor(
    private readonly metadata: MetadataManager,
    private readonly logger: Logger,
  ) {}

  async setStorageState(request: SetStorageStateRequest): Promise<StateChangeOutcome> {
    const target = request.storage_state;
    const check = (nodes: NodesConfiguration) => {
      const listed = request.nodes.map((ref) => lookup(nodes, ref));
      if (request.force) return listed;
      for (const node of listed) {
        if (!node.roles.includes('log-server')) {
          throw unsafe(`Node ${formatPlainId(node.id)} doesn't have \`log-server\` role. Its last-observed generation ${formatGenId(node)} has roles: [${node.roles.join(', ')}]`);
        }
        const from = node.log_server.storage_state;
        if (!isSafeStorageTransition(from, target)) {
          throw unsafe(`Node ${formatPlainId(node.id)} is currently in \`${from}\` storage-state. Transitioning into \`${target}\` is unsafe.`, `if you know why it is safe: cairnctl nodes set-storage-state --nodes ${formatPlainId(node.id)} --storage-state ${target} --force`);
        }
      }
      if (target !== 'read-write') {
        const replication = this.metadata.require('bifrost_config').value.default_provider.replication;
        const remaining = nodes.nodes.filter((n) => n.roles.includes('log-server') && shouldWriteTo(n.log_server.storage_state) && !listed.includes(n));
        if (remaining.length === 0) throw unsafe('Safety-check failed: lost the ability to generate nodesets');
        if (remaining.length < replication.node) {
          throw unsafe(
            `Safety-check failed: nodesets like ${formatNodeSet(remaining.map((n) => n.id))} will not be able to satisfy replication property ${formatReplication(replication)}`,
          );
        }
      }
      return listed;
    };
    return this.change(request.dry_run ?? false, (nodes) => {
      const listed = check(nodes);
      const at = new Date().toISOString();
      const changes = listed.map((n) => ({ node_id: n.id, generational_id: formatGenId(n), from: n.log_server.storage_state, to: target }));
      const next = nodes.nodes.map((n) => {
        if (!listed.includes(n) || n.log_server.storage_state === target) return n;
        const last_change = { from: n.log_server.storage_state, to: target, at, by: request.requested_by ?? 'cairnctl', ...(request.reason ? { reason: request.reason } : {}) };
        return { ...n, log_server: { storage_state: target, last_change } };
      });
      return { next: { ...nodes, nodes: next }, changes };
    }, 'storage-state');
  }

  async setWorkerState(request: SetWorkerStateRequest): Promise<StateChangeOutcome> {
    const target = request.worker_state;
    return this.change(request.dry_run ?? false, (nodes) => {
      const listed = request.nodes.map((ref) => lookup(nodes, ref));
      if (!request.force) {
        for (const node of listed) {
          const from = node.worker.worker_state;
          if (!isSafeWorkerTransition(from, target)) {
            throw unsafe(`Node ${formatGenId(node)} is in state ${from}. It's not safe to change its worker-state to ${target}`);
          }
        }
        const table = this.metadata.require('partition_table').value;
        if (target !== 'active' && table.replication.kind === 'limit') {
          const remaining = nodes.nodes.filter((n) => n.roles.includes('worker') && n.worker.worker_state === 'active' && !listed.includes(n));
          if (remaining.length < table.replication.property.node) {
            throw unsafe('Safety-check failed: Can no longer create new replica sets with worker-state changes.');
          }
        }
      }
      const changes = listed.map((n) => ({ node_id: n.id, generational_id: formatGenId(n), from: n.worker.worker_state, to: target }));
      return { next: { ...nodes, nodes: nodes.nodes.map((n) => (listed.includes(n) ? { ...n, worker: { worker_state: target } } : n)) }, changes };
    }, 'worker-state');
  }

  async removeNodes(request: RemoveNodesRequest): Promise<RemoveNodesOutcome> {
    const logs = this.metadata.require('bifrost_config').value;
    let removed: Tombstone[] = [];
    const outcome = await this.change(request.dry_run ?? false, (nodes) => {
      const listed = request.nodes.map((ref) => lookup(nodes, ref));
      if (!request.force) for (const node of listed) this.checkRemovable(node, logs);
      const at = new Date().toISOString();
      removed = listed.map((n) => ({ id: n.id, name: n.name, removed_at: at }));
      return {
        next: { ...nodes, nodes: nodes.nodes.filter((n) => !listed.includes(n)), tombstones: [...nodes.tombstones, ...removed] },
        changes: [],
      };
    }, 'removal');
    return { dry_run: outcome.dry_run, nodes_config_version: outcome.nodes_config_version, removed };
  }

  /** The reference's disable-node checker, with the node id in the message. */
  private checkRemovable(node: NodeEntry, logs: Logs): void {
    const refuse = (why: string, hint?: string) => unsafe(`It is not safe to disable node ${formatPlainId(node.id)}: ${why}`, hint);
    const state = node.log_server.storage_state;
    if (state === 'read-write') {
      throw refuse('log server cannot be disabled because it is in read-write state', `first: cairnctl nodes set-storage-state --nodes ${formatPlainId(node.id)} --storage-state read-only`);
    }
    if (state !== 'disabled') {
      const holding = replicatedSegments(logs).find((s) => s.params.nodeset.includes(node.id));
      if (holding) {
        throw refuse(`log server is part of a node set of loglet ${formatLogletId(holding.params.loglet_id)}. You need to trim this loglet before disabling the log server`);
      }
    }
    if (node.roles.includes('metadata-server')) throw refuse('metadata server is an active member', 'the embedded metadata store lives on this node');
  }

  /** One compare-and-set of the nodes configuration (or, for a dry run, the same checks only). */
  private async change(
    dryRun: boolean,
    plan: (nodes: NodesConfiguration) => { next: NodesConfiguration; changes: StateChangeOutcome['changes'] },
    what: string,
  ): Promise<StateChangeOutcome> {
    if (dryRun) {
      await this.metadata.refresh().catch(() => undefined);
      const current = this.metadata.require('nodes_config');
      return { dry_run: true, nodes_config_version: current.version, changes: plan(current.value).changes };
    }
    let changes: StateChangeOutcome['changes'] = [];
    const updated = await this.metadata.update('nodes_config', (current) => {
      if (!current) throw new ApiError('NOT_PROVISIONED', 'the cluster is not provisioned');
      const planned = plan(current);
      changes = planned.changes;
      return planned.next;
    });
    this.logger.info({ changes, what }, `nodes configuration changed by an operator (${what})`);
    return { dry_run: false, nodes_config_version: updated!.version, changes };
  }
}
