// `cairnctl metadata put -k KEY FILE|-`: replaces a document with the JSON given.
import { readFileSync } from 'node:fs';
import type { CommandContext } from '../../context';
import { usageError } from '../../errors';
import type { View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import type { metadataPutSpec } from './index';
import { checkedKey, writeDocument } from './write';

async function readInput(ctx: CommandContext, file: string): Promise<string> {
  if (file !== '-') {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw usageError(`cannot read ${file}: ${(err as Error).message}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.io.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export async function run(ctx: CommandContext, args: ArgsOf<typeof metadataPutSpec>): Promise<View> {
  const key = await checkedKey(args.key);
  const source = args.file === '-' ? 'stdin' : args.file;
  let next: unknown;
  try {
    next = JSON.parse(await readInput(ctx, args.file));
  } catch (err) {
    if (err instanceof SyntaxError) throw usageError(`${source} is not JSON: ${err.message}`);
    throw err;
  }
  return writeDocument(ctx, key, () => next, args);
}
