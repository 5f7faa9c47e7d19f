// Log-server start-up against its storage marker, as in the reference: a provisioning node writes
// its marker and becomes read-write; a node that should have data but has no marker has lost it
// and marks itself data-loss (by compare-and-set keyed by its generation) before refusing to run.
import { formatGenId, formatPlainId, type GenerationalNodeId } from '../../api/ids';
import type { StorageState } from '../../api/schemas';
import type { Logger } from '../logger';
import type { MetadataManager } from '../metadata/manager';
import { FatalNodeError } from '../node-join';

export interface StorageMarker {
  node_id: number;
  created_at: string;
}

export interface MarkerStore {
  readMarker(): Promise<StorageMarker | undefined>;
  writeMarker(marker: StorageMarker): Promise<void>;
}

/** Compare-and-set of this node's storage state; fails if a newer generation registered meanwhile. */
export async function transitionOwnStorageState(
  metadata: MetadataManager,
  me: GenerationalNodeId,
  from: StorageState,
  to: StorageState,
  reason: string,
): Promise<void> {
  await metadata.update('nodes_config', (current) => {
    const entry = current?.nodes.find((node) => node.id === me.id);
    if (!entry || entry.generation !== me.generation) {
      throw new FatalNodeError(
        `another instance of the same node might have started, updating storage-state will fail (this process is ${formatGenId(me)})`,
      );
    }
    if (entry.log_server.storage_state === to) return undefined;
    if (entry.log_server.storage_state !== from) {
      throw new FatalNodeError(`log-server found an unexpected storage-state '${entry.log_server.storage_state}' in metadata store`);
    }
    const change = { from, to, at: new Date().toISOString(), by: formatGenId(me), reason };
    return {
      ...current!,
      nodes: current!.nodes.map((node) => (node.id === me.id ? { ...node, log_server: { storage_state: to, last_change: change } } : node)),
    };
  });
}

export async function provisionLogServer(
  markers: MarkerStore,
  metadata: MetadataManager,
  me: GenerationalNodeId,
  logger: Logger,
): Promise<void> {
  const node = formatPlainId(me.id);
  const marker = await markers.readMarker();
  if (marker && marker.node_id !== me.id) {
    throw new FatalNodeError(
      `log-server storage marker was found but it was created by another node. Found ${formatPlainId(marker.node_id)} while this node is ${node}`,
    );
  }
  const entry = metadata.require('nodes_config').value.nodes.find((n) => n.id === me.id);
  const state = entry?.log_server.storage_state ?? 'provisioning';
  switch (state) {
    case 'provisioning':
      if (!marker) await markers.writeMarker({ node_id: me.id, created_at: new Date().toISOString() });
      await transitionOwnStorageState(metadata, me, 'provisioning', 'read-write', 'log-server provisioned its storage');
      logger.info({ storage_state: 'read-write' }, 'log-server storage provisioned');
      return;
    case 'read-write':
    case 'read-only':
    case 'gone':
      if (marker) return;
      logger.warn(
        `Detected data loss for log-server of my node ${node}. The log-server marker is missing, storage-state was ${state}, will transition into \`data-loss\``,
      );
      await transitionOwnStorageState(metadata, me, state, 'data-loss', 'storage marker missing at start-up');
      throw new FatalNodeError(
        `Node cannot start a log-server on ${node}, it has detected that it has lost its data. storage-state is \`data-loss\``,
      );
    case 'data-loss':
      throw new FatalNodeError(
        `A previous generation of my node ${node} has marked this log-server's storage-state as \`data-loss\`. If this is a new node, please choose a different node-name to provision it as a new node`,
      );
    case 'disabled':
      throw new FatalNodeError("This node's storage-state is marked as `disabled`, log-server role cannot run on disabled nodes");
  }
}
