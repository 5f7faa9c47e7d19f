// Whole-cluster crash: kill -9 of every node at once, then `local up`.
import type { Fault } from '../nemesis';

export function killAllFault(): Fault {
  return {
    name: 'kill-all',
    summary: 'kill -9 every node at once, restart them all 1-3 s later',
    async run(ctx) {
      const names = ctx.cluster.nodeNames();
      const pids = names.map((name) => ctx.cluster.kill(name));
      ctx.event('kill -9', 'all', `pids ${pids.join(',')}`);
      await ctx.sleep(ctx.rng.int(1_000, 3_000));
      await ctx.restart();
    },
  };
}
