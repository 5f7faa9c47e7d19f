// `cairnctl metadata get -k KEY`: the freshest copy of a metadata document the nodes hold.
import type { CommandContext } from '../../context';
import type { MetadataDocumentJson } from '../../output/documents';
import { line, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import type { metadataGetSpec } from './index';
import { checkedKey } from './write';

export async function run(ctx: CommandContext, args: ArgsOf<typeof metadataGetSpec>): Promise<View> {
  const key = await checkedKey(args.key);
  const entry = await (await ctx.cluster()).metadata(key);
  const json: MetadataDocumentJson = { key, version: entry.version, value: entry.value };
  return {
    json,
    blocks: [line(`${key} (v${entry.version})`), ...JSON.stringify(entry.value, null, 2).split('\n').map((text) => line(text))],
  };
}
