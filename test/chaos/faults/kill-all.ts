// Whole-cluster crash: kill -9 of every node at once (and of every etcd member, as a power loss
// would take them too), then `local up`.
import type { Fault } from '../nemesis';

export function killAllFault(): Fault {
  return {
    name: 'kill-all',
    summary: 'kill -9 every node (and etcd member) at once, restart them all 1-3 s later',
    async run(ctx) {
      const names = ctx.cluster.nodeNames();
      const pids = names.map((name) => ctx.cluster.kill(name));
      const memberPids = ctx.cluster.etcdMembers.map((member) => ctx.cluster.killEtcdMember(member.name));
      ctx.event('kill -9', 'all', `pids ${pids.join(',')}${memberPids.length ? `, etcd pids ${memberPids.join(',')}` : ''}`);
      await ctx.sleep(ctx.rng.int(1_000, 3_000));
      await ctx.restart();
    },
  };
}
