// Real etcd members for a local cluster (`local up --metadata etcd`) and for tests: the `etcd` binary
// from PATH or ETCD_BIN (Debian's etcd-server package), one process per member with its own data
// folder, on loopback ports chosen by the caller.
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync } from 'node:fs';
import path from 'node:path';
import { runsWith } from './process';

/** One member as cluster.json records it; `name` is its node's name. */
export interface EtcdMember {
  name: string;
  pid: number;
  client_url: string;
  peer_url: string;
  data_dir: string;
  /** Its log, beside its node's. */
  log: string;
}

export class EtcdUnavailableError extends Error {}

/**
 * Raft timing for members on one machine (loopback round trips are far below a millisecond): a
 * leader is replaced 0.5-1 s after it dies, which the failover bench showed to matter when the
 * etcd leader's node also held the controller and several leaderships (etcd's defaults, 100 ms and
 * 1000 ms, suit members across a network).
 */
const HEARTBEAT_MS = 50;
const ELECTION_TIMEOUT_MS = 500;

/** The etcd binary: ETCD_BIN, or `etcd` on PATH. */
export function etcdBinary(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.ETCD_BIN;
  if (explicit) {
    try {
      accessSync(explicit, constants.X_OK);
      return explicit;
    } catch {
      throw new EtcdUnavailableError(
        `ETCD_BIN=${explicit} is not an executable file: point ETCD_BIN at the etcd executable, or unset it and install Debian's etcd-server package (apt-get install etcd-server)`,
      );
    }
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'etcd');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new EtcdUnavailableError(
    'no etcd binary: install Debian\'s etcd-server package (apt-get install etcd-server), or set ETCD_BIN to the etcd executable',
  );
}

/** True if `member.pid` is still that member's etcd process. */
export function isEtcdMemberRunning(member: Pick<EtcdMember, 'pid' | 'data_dir'>): boolean {
  // The NUL ends the argument: n1/etcd must not match n1/etcd-old.
  return runsWith(member.pid, `--data-dir=${member.data_dir}\0`);
}

/** Starts one member of `members` (detached, logging to its log file); returns its pid. */
export function startEtcdMember(member: Omit<EtcdMember, 'pid'>, members: ReadonlyArray<Omit<EtcdMember, 'pid'>>, clusterToken: string): number {
  const binary = etcdBinary();
  // A member that has its data already rejoins with it; --initial-* only matter for a new one.
  const args = [
    `--name=${member.name}`,
    `--data-dir=${member.data_dir}`,
    `--listen-client-urls=${member.client_url}`,
    `--advertise-client-urls=${member.client_url}`,
    `--listen-peer-urls=${member.peer_url}`,
    `--initial-advertise-peer-urls=${member.peer_url}`,
    `--initial-cluster=${members.map((m) => `${m.name}=${m.peer_url}`).join(',')}`,
    `--initial-cluster-token=${clusterToken}`,
    `--initial-cluster-state=${existsSync(path.join(member.data_dir, 'member')) ? 'existing' : 'new'}`,
    `--heartbeat-interval=${HEARTBEAT_MS}`,
    `--election-timeout=${ELECTION_TIMEOUT_MS}`,
    '--logger=zap',
    '--log-outputs=stderr',
  ];
  const out = openSync(member.log, 'a');
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  if (!child.pid) throw new EtcdUnavailableError(`could not start etcd member ${member.name} (${binary})`);
  return child.pid;
}
