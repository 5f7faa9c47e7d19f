// `cairnctl metadata patch -k KEY -p '<JSON Patch>'`: changes a document by RFC 6902 operations.
import type { CommandContext } from '../../context';
import { usageError } from '../../errors';
import { applyPatch } from '../../json-patch';
import type { View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import type { metadataPatchSpec } from './index';
import { checkedKey, writeDocument } from './write';

export async function run(ctx: CommandContext, args: ArgsOf<typeof metadataPatchSpec>): Promise<View> {
  const key = await checkedKey(args.key);
  let operations: unknown;
  try {
    operations = JSON.parse(args.patch);
  } catch (err) {
    throw usageError(`--patch is not JSON: ${(err as Error).message}`, `e.g. -p '[{"op":"replace","path":"/leader","value":3}]'`);
  }
  return writeDocument(ctx, key, (current) => applyPatch(current, operations), args);
}
