// Manual `logs seal` or `logs reconfigure` of one log, on a healthy cluster or while a node (often
// the log's sequencer) is paused or down; the cluster controller must extend a sealed chain.
import type { Fault } from '../nemesis';

export function sealFault(): Fault {
  return {
    name: 'seal',
    summary: 'logs seal / logs reconfigure of one log, sometimes while a node is paused or down',
    async run(ctx) {
      const log = ctx.rng.pick(await ctx.logIds());
      const situation = ctx.rng.pick(['healthy', 'paused', 'down'] as const);
      let target: string | undefined;
      if (situation !== 'healthy') {
        target = (ctx.rng.chance(0.5) ? await ctx.sequencerNode(log).catch(() => undefined) : undefined) ?? ctx.rng.pick(ctx.cluster.nodeNames());
        if (situation === 'paused') ctx.event('SIGSTOP', target, `pid ${ctx.cluster.pause(target)}`);
        else ctx.event('kill -9', target, `pid ${ctx.cluster.kill(target)}`);
        await ctx.sleep(ctx.rng.int(0, 2_500));
      }
      const reconfigure = ctx.rng.chance(0.5);
      const result = await ctx.cluster.ctl(reconfigure ? ['logs', 'reconfigure', '-l', String(log), '--yes'] : ['logs', 'seal', String(log), '--yes']);
      // seal answers {tail_lsn}, reconfigure {outcome: {tail_lsn, new_segment}}.
      type Result = { ok: boolean; tail_lsn?: number | null; outcome?: { tail_lsn: number } | null; error?: string | null };
      const outcome = (result.json as { results?: Result[] })?.results?.[0];
      const tail = outcome?.tail_lsn ?? outcome?.outcome?.tail_lsn;
      ctx.event(reconfigure ? 'reconfigure' : 'seal', `log ${log}`, outcome?.ok ? `tail ${tail}` : `error ${outcome?.error ?? result.error}`);
      await ctx.sleep(ctx.rng.int(2_000, 8_000));
      if (target && situation === 'paused') ctx.event('SIGCONT', target, `pid ${ctx.cluster.resume(target)}`);
      if (situation === 'down') await ctx.restart();
    },
  };
}
