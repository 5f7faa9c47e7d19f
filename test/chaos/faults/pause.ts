// SIGSTOP of one node for longer than the 1.5 s failover grace, then SIGCONT: a node that comes back
// believing it still leads (stale reads, appends bound to a paused sequencer).
import type { Fault } from '../nemesis';

export function pauseFault(): Fault {
  return {
    name: 'pause',
    summary: 'SIGSTOP one node for 3-12 s, then SIGCONT',
    async run(ctx) {
      const target = ctx.rng.pick(ctx.cluster.nodeNames());
      const holdMs = ctx.rng.int(3_000, 12_000);
      ctx.event('SIGSTOP', target, `pid ${ctx.cluster.pause(target)} for ${holdMs} ms`);
      await ctx.sleep(holdMs);
      ctx.event('SIGCONT', target, `pid ${ctx.cluster.resume(target)}`);
    },
  };
}
