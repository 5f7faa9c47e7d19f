// kill -9 of one node, restarted after a few seconds by `local up` (which restarts whatever is down).
import type { Fault } from '../nemesis';

export function killFault(): Fault {
  return {
    name: 'kill',
    summary: 'kill -9 one node, restart it 2-8 s later',
    async run(ctx) {
      const target = ctx.rng.pick(ctx.cluster.nodeNames());
      ctx.event('kill -9', target, `pid ${ctx.cluster.kill(target)}`);
      await ctx.sleep(ctx.rng.int(2_000, 8_000));
      await ctx.restart();
    },
  };
}
