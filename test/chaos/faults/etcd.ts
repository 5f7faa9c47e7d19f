// Faults of the etcd metadata store (`--metadata etcd`): kill -9 of one etcd member alone, and of a
// node together with its member (a machine lost), each restarted a few seconds later by `local up`.
// Half the time the victim is the etcd leader, whose loss also costs an election.
import type { Fault, FaultContext } from '../nemesis';

const HOLD_MS: [number, number] = [2_000, 8_000];

function needsEtcd(cluster: { metadataKind: string }): string | undefined {
  return cluster.metadataKind === 'etcd' ? undefined : 'it needs --metadata etcd';
}

/** A node's name: the etcd leader's half the time (when one is known), any node otherwise. */
async function pickVictim(ctx: FaultContext): Promise<{ name: string; why: string }> {
  const leader = ctx.rng.chance(0.5) ? await ctx.cluster.etcdLeader() : undefined;
  return leader ? { name: leader, why: 'etcd leader' } : { name: ctx.rng.pick(ctx.cluster.nodeNames()), why: 'random' };
}

export function etcdKillFault(): Fault {
  return {
    name: 'etcd-kill',
    summary: 'kill -9 one etcd member alone (the leader half the time), restart it 2-8 s later',
    prepare: needsEtcd,
    async run(ctx) {
      const victim = await pickVictim(ctx);
      ctx.event('kill -9 member', victim.name, `etcd pid ${ctx.cluster.killEtcdMember(victim.name)} (${victim.why})`);
      await ctx.sleep(ctx.rng.int(...HOLD_MS));
      await ctx.restart();
    },
  };
}

export function killWithEtcdFault(): Fault {
  return {
    name: 'kill-with-etcd',
    summary: 'kill -9 one node and its etcd member (the leader half the time), restart both 2-8 s later',
    prepare: needsEtcd,
    async run(ctx) {
      const victim = await pickVictim(ctx);
      const nodePid = ctx.cluster.kill(victim.name);
      const memberPid = ctx.cluster.killEtcdMember(victim.name);
      ctx.event('kill -9 both', victim.name, `pid ${nodePid}, etcd pid ${memberPid} (${victim.why})`);
      await ctx.sleep(ctx.rng.int(...HOLD_MS));
      await ctx.restart();
    },
  };
}
