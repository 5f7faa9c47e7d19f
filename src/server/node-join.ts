// Joining the cluster as in the reference: a node is found by its name; a known name keeps its plain
// id and gets the next generation, a new name gets max id + 1 (tombstoned ids count, so they are
// never reused).
import { formatGenId, type GenerationalNodeId } from '../api/ids';
import type { NodeConfig as NodeEntry, NodesConfiguration } from '../api/schemas';
import type { NodeConfig } from './config';
import type { MetadataManager } from './metadata/manager';

export class FatalNodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FatalNodeError';
  }
}

export function registerNode(current: NodesConfiguration, config: NodeConfig, now: Date): { next: NodesConfiguration; self: NodeEntry } {
  if (current.cluster_name !== config.clusterName) {
    throw new FatalNodeError(`trying to join wrong cluster; expected '${config.clusterName}', actual '${current.cluster_name}'`);
  }
  const existing = current.nodes.find((node) => node.name === config.nodeName);
  if (existing && config.forceNodeId !== undefined && existing.id !== config.forceNodeId) {
    throw new FatalNodeError(`node id mismatch; configured node id 'N${config.forceNodeId}', actual node id 'N${existing.id}'`);
  }
  if (!existing && config.forceNodeId !== undefined) {
    const holder = current.nodes.find((node) => node.id === config.forceNodeId);
    if (holder) throw new FatalNodeError(`force-node-id N${config.forceNodeId} is already used by node '${holder.name}'`);
    if (current.tombstones.some((t) => t.id === config.forceNodeId)) {
      throw new FatalNodeError(`force-node-id N${config.forceNodeId} belonged to a removed node; removed ids are never reused`);
    }
  }
  const self: NodeEntry = existing
    ? {
        ...existing,
        generation: existing.generation + 1,
        address: config.advertisedAddress,
        roles: config.roles,
        location: config.location,
      }
    : {
        id: config.forceNodeId ?? Math.max(0, ...current.nodes.map((n) => n.id), ...current.tombstones.map((t) => t.id)) + 1,
        name: config.nodeName,
        generation: 1,
        address: config.advertisedAddress,
        roles: config.roles,
        location: config.location,
        log_server: { storage_state: 'provisioning' },
        worker: { worker_state: config.roles.includes('worker') ? 'active' : 'provisioning' },
        joined_at: now.toISOString(),
      };
  const nodes = existing ? current.nodes.map((node) => (node.id === self.id ? self : node)) : [...current.nodes, self];
  return { next: { ...current, nodes: nodes.sort((a, b) => a.id - b.id) }, self };
}

export async function joinCluster(metadata: MetadataManager, config: NodeConfig): Promise<GenerationalNodeId> {
  let self: NodeEntry | undefined;
  await metadata.update('nodes_config', (current) => {
    if (!current) throw new Error('cluster is not provisioned');
    const registered = registerNode(current, config, new Date());
    self = registered.self;
    return registered.next;
  });
  return { id: self!.id, generation: self!.generation };
}

/** Why this process must stop, if a newer generation of its node registered or it was removed. */
export function fencedReason(nodes: NodesConfiguration, me: GenerationalNodeId): string | undefined {
  const entry = nodes.nodes.find((node) => node.id === me.id);
  if (!entry) {
    return nodes.tombstones.some((t) => t.id === me.id) ? `This node (N${me.id}) has been removed from the cluster` : undefined;
  }
  if (entry.generation > me.generation) {
    return `This node has been preempted, a higher generation has been observed in nodes configuration. current=${formatGenId(me)} preempted_by=${formatGenId(entry)}`;
  }
  return undefined;
}
