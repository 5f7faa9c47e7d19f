// The metadata store's servers as they report themselves, for `cairnctl metadata-server
// list-servers` and `status`: each etcd member's status (through etcd's JSON gateway, so no gRPC
// client per member), or the embedded store's one server.
import { statSync } from 'node:fs';
import path from 'node:path';
import type { HttpClient } from '../../api/http-client';
import type { MetadataServer, MetadataServers } from '../../api/schemas';
import type { NodeConfig } from '../config';
import type { MetadataStore } from './store';

/** A member that does not answer within this long is listed as unreachable. */
const STATUS_TIMEOUT_MS = 1_000;

const unreachable = (address: string, error: string, name: string | null = null): MetadataServer => ({
  name,
  address,
  status: 'unreachable',
  version: null,
  leader: null,
  members: [],
  applied: null,
  committed: null,
  term: null,
  log_length: null,
  snapshot_index: null,
  snapshot_size: null,
  error,
});

interface EtcdMember {
  ID: string;
  name: string;
  clientURLs?: string[];
}

interface EtcdStatus {
  version: string;
  dbSize: string;
  /** Absent (or 0) while the member knows no leader. */
  leader?: string;
  /** Such as `etcdserver: no leader`. */
  errors?: string[];
  raftIndex: string;
  raftTerm: string;
  raftAppliedIndex?: string;
}

async function etcdCall<T>(address: string, path: string): Promise<T> {
  const response = await fetch(`${address}${path}`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
  return (await response.json()) as T;
}

/** True once the member at `clientUrl` answers /health as healthy (it has a leader). */
export async function etcdHealthy(clientUrl: string, timeoutMs = STATUS_TIMEOUT_MS): Promise<boolean> {
  try {
    const response = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok && ((await response.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

/** True if the member at `clientUrl` says it is the raft leader. */
export async function etcdIsLeader(clientUrl: string): Promise<boolean> {
  try {
    const status = await etcdCall<EtcdStatus & { header: { member_id: string } }>(clientUrl, '/v3/maintenance/status');
    return status.leader !== undefined && status.leader === status.header.member_id;
  } catch {
    return false;
  }
}

const reason = (err: unknown) => ((err as Error).name === 'TimeoutError' ? `no answer within ${STATUS_TIMEOUT_MS} ms` : ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message);

/** Every member etcd knows of (and every configured endpoint), each with its own status. */
export async function etcdServers(addresses: readonly string[]): Promise<MetadataServers> {
  let members: EtcdMember[] = [];
  for (const address of addresses) {
    try {
      members = (await etcdCall<{ members: EtcdMember[] }>(address, '/v3/cluster/member/list')).members;
      break;
    } catch {
      // the next endpoint may answer
    }
  }
  const nameOf = new Map(members.map((m) => [m.ID, m.name]));
  const names = members.map((m) => m.name).sort();
  const endpoints = new Map<string, string | null>(addresses.map((a) => [a, null]));
  for (const member of members) for (const url of member.clientURLs ?? []) endpoints.set(url.replace(/\/+$/, ''), member.name);
  // A configured endpoint that is a member's client URL takes the member's name.
  const servers = await Promise.all(
    [...endpoints.entries()].map(async ([address, name]): Promise<MetadataServer> => {
      try {
        const status = await etcdCall<EtcdStatus & { header: { member_id: string } }>(address, '/v3/maintenance/status');
        return {
          name: nameOf.get(status.header.member_id) ?? name,
          address,
          status: 'member',
          version: status.version,
          leader: status.leader && status.leader !== '0' ? (nameOf.get(status.leader) ?? status.leader) : null,
          members: names,
          applied: Number(status.raftAppliedIndex ?? status.raftIndex),
          committed: Number(status.raftIndex),
          term: Number(status.raftTerm),
          log_length: null,
          snapshot_index: null,
          snapshot_size: Number(status.dbSize),
          error: status.errors?.length ? status.errors.join('; ') : null,
        };
      } catch (err) {
        return unreachable(address, reason(err), name);
      }
    }),
  );
  return { kind: 'etcd', servers: servers.sort((a, b) => (a.name ?? a.address).localeCompare(b.name ?? b.address)) };
}

/** The embedded store as served by this node (it has the metadata-server role). */
async function embeddedServer(config: NodeConfig, store: MetadataStore): Promise<MetadataServers> {
  const versions = Object.values(await store.versions());
  const latest = versions.length ? Math.max(...versions) : 0;
  let size: number | null = null;
  try {
    size = statSync(path.join(config.baseDir, 'metadata.db')).size;
  } catch {
    // not created yet
  }
  const server: MetadataServer = {
    name: config.nodeName,
    address: config.advertisedAddress,
    status: 'member',
    version: 'embedded',
    leader: config.nodeName,
    members: [config.nodeName],
    applied: latest,
    committed: latest,
    term: null,
    log_length: null,
    snapshot_index: null,
    snapshot_size: size,
    error: null,
  };
  return { kind: 'embedded', servers: [server] };
}

/** The servers of the store this node uses, asked from where this node reaches them. */
export async function metadataServers(config: NodeConfig, store: MetadataStore, http: HttpClient): Promise<MetadataServers> {
  const client = config.metadataClient;
  if (client.type === 'etcd') return etcdServers(client.addresses);
  if (config.roles.includes('metadata-server')) return embeddedServer(config, store);
  // Another node serves the embedded store: it answers for itself.
  const address = client.addresses[0]!;
  try {
    return await http.call(address, 'metadataServers', { timeoutMs: STATUS_TIMEOUT_MS });
  } catch (err) {
    return { kind: 'embedded', servers: [unreachable(address, (err as Error).message)] };
  }
}
