// The log store's thread. SQLite commits block while they fsync; here they block this thread, not
// the node's event loop, and stores that queue up meanwhile go into the next transaction together.
import { parentPort, workerData } from 'node:worker_threads';
import { decodeFrame, encodeFrame } from '../bifrost/wire';
import { openDatabase } from '../storage/sqlite';
import { LogStore, type StoreRequest } from './log-store';
import type { LogStoreOp } from './log-store-handle';

// Only this thread opens the log store.
const store = new LogStore(openDatabase((workerData as { file: string }).file, { exclusive: true }));
const port = parentPort!;
let queue: LogStoreOp[] = [];
let scheduled = false;

function reply(id: number, value: unknown, transfer: ArrayBuffer[] = [], commitSeconds?: number): void {
  port.postMessage({ id, ok: true, value, commitSeconds }, transfer);
}

function fail(id: number, err: unknown): void {
  port.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
}

function handle(op: LogStoreOp): void {
  if ('globalTail' in op && op.globalTail !== undefined) store.release(op.loglet, op.globalTail);
  switch (op.op) {
    case 'seal':
      return reply(op.id, store.seal(op.loglet));
    case 'state':
      return reply(op.id, store.state(op.loglet));
    case 'trim':
      return reply(op.id, store.trim(op.loglet, op.offset));
    case 'read': {
      const result = store.read(op.loglet, op.from, op.maxRecords, op.maxBytes);
      const frame = encodeFrame({ state: result.state, from: result.from }, result.records);
      return reply(op.id, frame, [frame.buffer as ArrayBuffer]);
    }
    case 'digest':
      return reply(op.id, { state: store.state(op.loglet), ...store.digest(op.loglet, op.from, op.to) });
    case 'readMarker':
      return reply(op.id, store.readMarker() ?? null);
    case 'writeMarker':
      return reply(op.id, store.writeMarker(op.marker));
    case 'stats':
      return reply(op.id, { ...store.stats });
    case 'sealedLoglets':
      return reply(op.id, store.states().filter((state) => state.sealed).map((state) => state.loglet_id));
    case 'close':
      store.db.close();
      return reply(op.id, null);
    case 'store':
      throw new Error('stores are handled in batches');
  }
}

function drain(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  for (let i = 0; i < batch.length; ) {
    const op = batch[i]!;
    if (op.op !== 'store') {
      try {
        handle(op);
      } catch (err) {
        fail(op.id, err);
      }
      i++;
      continue;
    }
    // A run of consecutive stores: one transaction, one fsync.
    let end = i;
    while (end < batch.length && batch[end]!.op === 'store') end++;
    const run = batch.slice(i, end) as Array<Extract<LogStoreOp, { op: 'store' }>>;
    try {
      const decoded = run.map((s) => {
        const frame = decodeFrame<StoreRequest>(Buffer.from(s.frame.buffer, s.frame.byteOffset, s.frame.byteLength));
        return { request: frame.header, records: frame.records };
      });
      const started = performance.now();
      const results = store.storeAll(decoded);
      const commitSeconds = (performance.now() - started) / 1000;
      // The commit's duration rides on the run's last answer (no message of its own).
      run.forEach((s, k) => reply(s.id, results[k], [], k === run.length - 1 ? commitSeconds : undefined));
    } catch (err) {
      for (const s of run) fail(s.id, err);
    }
    i = end;
  }
}

port.on('message', (op: LogStoreOp) => {
  queue.push(op);
  if (!scheduled) {
    scheduled = true;
    setImmediate(drain);
  }
});
