// Disk full on one node: its data folder is a small tmpfs from the start; the fault fills it with a
// filler file until writes fail with ENOSPC, holds, then removes the filler. The mount goes away
// with the cluster's cleanup.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fillDisk } from '../../helpers/disk';
import type { Fault } from '../nemesis';

// Room for the node's own data over a long run (its log store reached 220 MiB in 10 minutes): a
// folder that its data alone fills stays full once the filler goes, and the node's next restart
// then meets a full disk for good, a second fault beside the one the nemesis injects next.
const TMPFS_SIZE = '1g';
const FILLER = 'chaos-filler';

export function diskFullFault(): Fault {
  let target: string | undefined;
  const filler = () => path.join(target!, FILLER);
  return {
    name: 'disk-full',
    summary: `fill one node's data folder (a ${TMPFS_SIZE} tmpfs) for 5-15 s, then free it`,
    prepare(cluster, rng) {
      const node = rng.pick(cluster.nodeNames());
      try {
        target = cluster.mountTmpfs(node, TMPFS_SIZE);
      } catch (err) {
        return `mount -t tmpfs failed (root and CAP_SYS_ADMIN are needed): ${(err as Error).message.split('\n')[0]}`;
      }
      return undefined;
    },
    async run(ctx) {
      const node = path.basename(path.dirname(target!));
      const bytes = await fillDisk(filler());
      ctx.event('fill', node, `${(bytes / 2 ** 20).toFixed(1)} MiB filler, data folder full`);
      await ctx.sleep(ctx.rng.int(5_000, 15_000));
      await rm(filler(), { force: true });
      ctx.event('free', node, 'filler removed');
    },
    async heal() {
      if (target) await rm(filler(), { force: true });
    },
  };
}
