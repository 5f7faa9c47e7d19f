// Talking to a log-server: in process when it is this node, over the peer transport otherwise. Both go through
// the same interface, so the sequencer, the sealer and readers do not care which it is.
import type { LogletDigest } from '../../api/schemas';
import type { PeerClients } from '../transport/peer-client';
import type { LogletState, StoreRequest, StoreResult } from './log-store';
import type { LogRead, LogStoreHandle } from './log-store-handle';

/** A read as it travels to a log-server. */
export interface ReadRequest {
  loglet_id: number;
  from: number;
  max_records: number;
  max_bytes: number;
}

/** A sequencer's release of an idle loglet's committed tail, as it travels to a log-server. */
export interface TailRelease {
  loglet_id: number;
  known_global_tail: number;
}

export interface LogServerClient {
  readonly nodeId: number;
  /** True for this node's own log-server (reached in process). */
  readonly local: boolean;
  store(request: StoreRequest, records: Buffer[]): Promise<StoreResult>;
  /** Tells the committed tail of a loglet that went idle; advisory, so neither answered nor retried. */
  releaseTail(logletId: number, globalTail: number): void;
  seal(logletId: number): Promise<LogletState>;
  trim(logletId: number, offset: number): Promise<LogletState>;
  state(logletId: number): Promise<LogletState>;
  read(logletId: number, from: number, maxRecords: number, maxBytes: number): Promise<LogRead>;
  digest(logletId: number, from: number, to: number): Promise<LogletDigest>;
}

export class LocalLogServer implements LogServerClient {
  readonly local = true;

  constructor(
    readonly nodeId: number,
    readonly logStore: LogStoreHandle,
  ) {}

  store(request: StoreRequest, records: Buffer[]): Promise<StoreResult> {
    return this.logStore.store(request, records);
  }

  releaseTail(logletId: number, globalTail: number): void {
    this.logStore.release(logletId, globalTail);
  }

  seal(logletId: number): Promise<LogletState> {
    return this.logStore.seal(logletId);
  }

  trim(logletId: number, offset: number): Promise<LogletState> {
    return this.logStore.trim(logletId, offset);
  }

  state(logletId: number): Promise<LogletState> {
    return this.logStore.state(logletId);
  }

  read(logletId: number, from: number, maxRecords: number, maxBytes: number): Promise<LogRead> {
    return this.logStore.read(logletId, from, maxRecords, maxBytes);
  }

  digest(logletId: number, from: number, to: number): Promise<LogletDigest> {
    return this.logStore.digest(logletId, from, to);
  }
}

export class RemoteLogServer implements LogServerClient {
  readonly local = false;

  constructor(
    readonly nodeId: number,
    private readonly address: string,
    private readonly peers: PeerClients,
    private readonly timeoutMs: number,
  ) {}

  store(request: StoreRequest, records: Buffer[]): Promise<StoreResult> {
    return this.peers.request(this.address, 'store', request, { timeoutMs: this.timeoutMs }, records);
  }

  releaseTail(logletId: number, globalTail: number): void {
    const release: TailRelease = { loglet_id: logletId, known_global_tail: globalTail };
    this.peers.notify(this.address, 'release', release);
  }

  seal(logletId: number): Promise<LogletState> {
    return this.peers.request(this.address, 'seal', { loglet_id: logletId }, { timeoutMs: this.timeoutMs });
  }

  trim(logletId: number, offset: number): Promise<LogletState> {
    return this.peers.request(this.address, 'trim', { loglet_id: logletId, trim_point: offset }, { timeoutMs: this.timeoutMs });
  }

  state(logletId: number): Promise<LogletState> {
    return this.peers.request(this.address, 'state', { loglet_id: logletId }, { timeoutMs: this.timeoutMs });
  }

  async read(logletId: number, from: number, maxRecords: number, maxBytes: number): Promise<LogRead> {
    const request: ReadRequest = { loglet_id: logletId, from, max_records: maxRecords, max_bytes: maxBytes };
    const { header, records } = await this.peers.requestRecords<{ from: number }>(this.address, 'read', request, { timeoutMs: this.timeoutMs });
    return { from: header.from, records };
  }

  digest(logletId: number, from: number, to: number): Promise<LogletDigest> {
    return this.peers.request(this.address, 'digest', { loglet_id: logletId, from, to }, { timeoutMs: this.timeoutMs });
  }
}
