// `cairnctl completions <shell>`.
import type { Command } from 'commander';
import type { CommandContext } from '../../context';
import { line, type View } from '../../output/view';
import { commandTree, generate, type Shell } from './generate';

export async function run(_ctx: CommandContext, args: { shell: Shell; program: Command }): Promise<View> {
  const tree = commandTree(args.program);
  return { json: tree, blocks: [line(generate(args.shell, tree).trimEnd())] };
}
