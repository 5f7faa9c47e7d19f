// `cairnctl provision`: a server-side dry run, shown and confirmed, then the real thing.
import { formatReplication } from '../../../api/ids';
import type { ProvisionRequest, ProvisionResponse } from '../../../api/schemas';
import { confirmChange } from '../../confirm';
import type { CommandContext } from '../../context';
import { CliError, EXIT } from '../../errors';
import type { ProvisionJson } from '../../output/documents';
import { line, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import type { provisionSpec } from './index';

function planView(plan: ProvisionResponse): View {
  const partitionReplication = plan.partition_replication.kind === 'everywhere' ? '*' : formatReplication(plan.partition_replication.property);
  const json: ProvisionJson = plan;
  return {
    json,
    blocks: [
      line('⚙️ Cluster Configuration'),
      line(`├ Number of partitions: ${plan.num_partitions}`),
      line(`├ Partition replication: ${partitionReplication}`),
      line('└ Logs Provider: replicated'),
      line(` ├ Log replication: ${formatReplication(plan.log_replication)}`),
      line(` └ Nodeset size: ${plan.nodeset_size}`),
    ],
  };
}

export async function run(ctx: CommandContext, args: ArgsOf<typeof provisionSpec>): Promise<View> {
  const cluster = await ctx.cluster();
  const seeds = await cluster.seeds();
  const target = seeds.find((p) => p.ident)!;
  if (seeds.length > 1) ctx.debug(`provisioning must go through a single node; using ${target.address}`);
  const logReplication = args.logReplication ?? args.replication;
  const partitionReplication = args.partitionReplication ?? args.replication;
  const request: ProvisionRequest = {
    ...(args.numPartitions !== undefined ? { num_partitions: args.numPartitions } : {}),
    ...(logReplication ? { log_replication: logReplication } : {}),
    ...(partitionReplication ? { partition_replication: { kind: 'limit', property: partitionReplication } } : {}),
    ...(args.nodesetSize !== undefined ? { nodeset_size: args.nodesetSize } : {}),
  };
  const call = (dryRun: boolean) =>
    cluster.http.call(target.address, 'provision', { body: { ...request, dry_run: dryRun }, timeoutMs: cluster.requestTimeoutMs });

  const plan = await call(true);
  if (args.dryRun) return planView(plan);
  await confirmChange(ctx, 'Provision cluster with this configuration?', planView(plan));
  const done = await call(false);
  if (!done) throw new CliError('provisioning returned nothing', EXIT.FAILED);
  // The plan was shown before the question; the table output is only the outcome.
  return { json: planView(done).json, blocks: [line({ icon: 'ok' }, ' Cluster has been successfully provisioned.')] };
}
