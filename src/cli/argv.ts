// What the command line means before commander sees it, as restatectl (clap's infer_subcommands)
// reads it: any unambiguous prefix of a command word names that command at every level
// (`snap cr` is `snapshots create-snapshot`), option aliases become the option's own spelling
// (`--server`, `--node`), and `help [path]` is the help of that path.
import { CliError, EXIT } from './errors';
import { parseFlags, type Definition, type OptionSpec } from './registry';

export interface ResolvedArgv {
  /** The argument list with command words and option aliases spelled canonically. */
  argv: string[];
  /** The command or group the words name (empty: the program itself). */
  path: string[];
}

function childrenOf(definitions: readonly Definition[], path: readonly string[]): Definition[] {
  return definitions.filter((d) => d.path.length === path.length + 1 && path.every((word, i) => d.path[i] === word));
}

/** The child a word names: its name or alias exactly, else the only one starting with it. */
export function matchWord(definitions: readonly Definition[], path: readonly string[], word: string): Definition | undefined {
  const children = childrenOf(definitions, path);
  const names = (d: Definition) => [d.path[d.path.length - 1]!, ...(d.aliases ?? [])];
  const exact = children.find((d) => names(d).includes(word));
  if (exact) return exact;
  const candidates = children.filter((d) => names(d).some((n) => n.startsWith(word)));
  if (candidates.length <= 1) return candidates[0];
  const listed = candidates.map((d) => d.path.join(' ')).join(', ');
  throw new CliError(`'${[...path, word].join(' ')}' is ambiguous: it could be ${listed}`, EXIT.USAGE, 'type more of the command name');
}

interface FlagIndex {
  takesValue: Set<string>;
  aliases: Map<string, string>;
}

function indexOptions(options: readonly OptionSpec[]): FlagIndex {
  const index: FlagIndex = { takesValue: new Set(), aliases: new Map() };
  for (const option of options) {
    const { short, long, takesValue } = parseFlags(option.flags);
    if (takesValue) for (const f of [short, long, ...(option.aliases ?? [])]) if (f) index.takesValue.add(f);
    for (const alias of option.aliases ?? []) index.aliases.set(alias, long);
  }
  return index;
}

/** Rewrites `--alias` and `--alias=value` to the option's long name. */
function canonicalOption(token: string, aliases: Map<string, string>): string {
  const [name, ...rest] = token.split('=');
  const long = aliases.get(name!);
  return long ? [long, ...rest].join('=') : token;
}

export function resolveArgv(args: readonly string[], definitions: readonly Definition[], globals: readonly OptionSpec[]): ResolvedArgv {
  const global = indexOptions(globals);
  const path: string[] = [];
  const out: string[] = [];
  let helpAsked = false;
  let i = 0;
  // Command words come first (global options may be mixed in); the rest belongs to the command.
  for (; i < args.length; i++) {
    const token = args[i]!;
    if (token === '--') break;
    if (token.startsWith('-')) {
      out.push(canonicalOption(token, global.aliases));
      if (global.takesValue.has(token) && i + 1 < args.length) out.push(args[++i]!);
      continue;
    }
    if (path.length === 0 && token === 'help' && !helpAsked) {
      helpAsked = true;
      continue;
    }
    const match = matchWord(definitions, path, token);
    if (!match) break;
    path.push(match.path[match.path.length - 1]!);
    out.push(path[path.length - 1]!);
    if (match.kind === 'command') {
      i++;
      break;
    }
  }
  const leaf = definitions.find((d) => d.kind === 'command' && d.path.join(' ') === path.join(' '));
  const own = leaf?.kind === 'command' ? indexOptions(Object.values(leaf.options)) : undefined;
  const aliases = new Map([...global.aliases, ...(own?.aliases ?? [])]);
  for (; i < args.length; i++) {
    const token = args[i]!;
    if (token === '--') {
      out.push(...args.slice(i));
      break;
    }
    out.push(token.startsWith('--') ? canonicalOption(token, aliases) : token);
  }
  if (helpAsked) out.push('--help');
  return { argv: out, path };
}
