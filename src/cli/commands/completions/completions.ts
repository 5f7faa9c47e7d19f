// `cairnctl completions <shell>`.
import type { CommandContext } from '../../context';
import type { CompletionsJson } from '../../output/documents';
import { line, type View } from '../../output/view';
import type { ArgsOf } from '../../registry';
import { COMMANDS } from '../index';
import { GLOBAL_OPTIONS } from '../../globals';
import { commandTree, generate } from './generate';
import type { completionsSpec } from './index';

export async function run(_ctx: CommandContext, args: ArgsOf<typeof completionsSpec>): Promise<View> {
  const tree: CompletionsJson = commandTree(COMMANDS, GLOBAL_OPTIONS);
  return { json: tree, blocks: [line(generate(args.shell, tree).trimEnd())] };
}
