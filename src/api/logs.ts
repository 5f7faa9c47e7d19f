// Facts derived from the logs metadata (bifrost_config), used by server and CLI alike.
import type { LogChain, Logs, Segment } from './schemas';

export function tailSegment(chain: LogChain): Segment {
  return chain.segments[chain.segments.length - 1]!;
}

/** The writeable tail loglet of a chain, if its tail is a replicated segment (not a seal marker). */
export function tailLoglet(chain: LogChain): (Segment & { params: NonNullable<Segment['params']> }) | undefined {
  const tail = tailSegment(chain);
  return tail.kind === 'replicated' && tail.params ? (tail as Segment & { params: NonNullable<Segment['params']> }) : undefined;
}

/** Every replicated segment still referenced by a chain. */
export function replicatedSegments(logs: Logs): Array<Segment & { params: NonNullable<Segment['params']> }> {
  return logs.logs.flatMap((chain) => chain.segments.filter((s): s is Segment & { params: NonNullable<Segment['params']> } => !!s.params));
}

export function findChain(logs: Logs, logId: number): LogChain | undefined {
  return logs.logs.find((chain) => chain.log_id === logId);
}
