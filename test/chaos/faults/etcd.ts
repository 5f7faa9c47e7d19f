// Faults of the etcd metadata store (`--metadata etcd`): kill -9 of one etcd member alone, and of a
// node together with its member (a machine lost), each restarted a few seconds later by `local up`.
// Half the time the victim is the etcd leader, whose loss also costs an election.
import type { Fault, FaultContext } from '../nemesis';

const HOLD_MS: [number, number] = [2_000, 8_000];

/** A node's name: the etcd leader's half the time (when one is known), any node otherwise. */
async function pickVictim(ctx: FaultContext): Promise<{ name: string; why: string }> {
  const leader = ctx.rng.chance(0.5) ? await ctx.cluster.etcdLeader() : undefined;
  return leader ? { name: leader, why: 'etcd leader' } : { name: ctx.rng.pick(ctx.cluster.nodeNames()), why: 'random' };
}

function etcdMemberFault(name: string, withNode: boolean): Fault {
  const what = withNode ? 'one node and its etcd member' : 'one etcd member alone';
  return {
    name,
    summary: `kill -9 ${what} (the leader half the time), restart ${withNode ? 'both' : 'it'} 2-8 s later`,
    prepare: (cluster) => (cluster.metadataKind === 'etcd' ? undefined : 'it needs --metadata etcd'),
    async run(ctx) {
      const victim = await pickVictim(ctx);
      const nodePid = withNode ? `pid ${ctx.cluster.kill(victim.name)}, ` : '';
      ctx.event(withNode ? 'kill -9 both' : 'kill -9 member', victim.name, `${nodePid}etcd pid ${ctx.cluster.killEtcdMember(victim.name)} (${victim.why})`);
      await ctx.sleep(ctx.rng.int(...HOLD_MS));
      await ctx.restart();
    },
  };
}

export const etcdKillFault = (): Fault => etcdMemberFault('etcd-kill', false);
export const killWithEtcdFault = (): Fault => etcdMemberFault('kill-with-etcd', true);
