// Shell completion scripts generated from the command registry. They are static (no Node process at
// TAB time): the tree of commands, aliases, options, which options take a value (per command: `-t`
// is a value for `logs trim` and a switch for `create-snapshot`) and the choices of options and
// arguments are written into the script.
import type { CompletionsJson as CommandNode } from '../../output/documents';
import { parseFlags, type Definition, type OptionSpec } from '../../registry';
import type { Shell } from './shells';

type OptionNode = CommandNode['options'][number];

function optionNodes(options: Record<string, OptionSpec>): OptionNode[] {
  return Object.values(options)
    .filter((o) => !o.hidden)
    .map((option) => {
      const { short, long, takesValue } = parseFlags(option.flags);
      return {
        flags: [short, long, ...(option.aliases ?? [])].filter((f): f is string => !!f),
        takes_value: takesValue,
        choices: option.kind === 'value' && option.choices ? [...option.choices] : [],
        description: option.description,
      };
    });
}

const HELP: OptionNode = { flags: ['-h', '--help'], takes_value: false, choices: [], description: 'display help' };
const VERSION: OptionNode = { flags: ['-V', '--version'], takes_value: false, choices: [], description: 'print the version' };

/** The command tree of the registry; the root carries the global options. */
export function commandTree(definitions: readonly Definition[], globals: Record<string, OptionSpec>): CommandNode {
  const build = (path: readonly string[], names: string[], description: string): CommandNode => {
    const definition = definitions.find((d) => d.path.join(' ') === path.join(' '));
    const command = definition?.kind === 'command' ? definition : undefined;
    return {
      path: [...path],
      names,
      description,
      arguments: Object.values(command?.args ?? {}).map((arg) => ({
        name: arg.syntax.replace(/[<>[\].]/g, ''),
        required: arg.syntax.startsWith('<'),
        variadic: arg.syntax.includes('...'),
        choices: [...(arg.choices ?? [])],
      })),
      options: path.length ? [...optionNodes(command?.options ?? {}), HELP] : [...optionNodes(globals), HELP, VERSION],
      children: definitions
        .filter((d) => d.path.length === path.length + 1 && path.every((w, i) => d.path[i] === w))
        .map((d) => build(d.path, [d.path[d.path.length - 1]!, ...(d.aliases ?? [])], d.description)),
    };
  };
  return build([], ['cairnctl'], 'Cairn cluster administration tool');
}

function allNodes(root: CommandNode): CommandNode[] {
  return [root, ...root.children.flatMap(allNodes)];
}

const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
const pathOf = (node: CommandNode) => node.path.join(' ');

export function generate(shell: Shell, root: CommandNode): string {
  switch (shell) {
    case 'bash':
      return bash(root);
    case 'zsh':
      return zsh(root);
    case 'fish':
      return fish(root);
  }
}

/** `case "$cmdpath|$word"` arms mapping each command word (and alias) to its canonical path. */
function pathCases(root: CommandNode, indent: string): string {
  return allNodes(root)
    .flatMap((node) => node.children.flatMap((child) => child.names.map((name) => `${indent}${quote(`${pathOf(node)}|${name}`)}) cmdpath=${quote(pathOf(child))} ;;`)))
    .join('\n');
}

/** `"$cmdpath|$flag"` patterns of the options that take a value: global ones anywhere. */
function valuePatterns(root: CommandNode): string[] {
  const globals = root.options.filter((o) => o.takes_value).flatMap((o) => o.flags.map((f) => `*${quote(`|${f}`)}`));
  const own = allNodes(root)
    .filter((n) => n.path.length)
    .flatMap((n) => n.options.filter((o) => o.takes_value).flatMap((o) => o.flags.map((f) => quote(`${pathOf(n)}|${f}`))));
  return [...globals, ...own];
}

/** `"$cmdpath|$prev"` arms offering an option's choices. */
function choiceCases(root: CommandNode, indent: string, reply: (words: string) => string): string {
  const arms = [
    ...root.options.filter((o) => o.choices.length).map((o) => ({ patterns: o.flags.map((f) => `*${quote(`|${f}`)}`), choices: o.choices })),
    ...allNodes(root)
      .filter((n) => n.path.length)
      .flatMap((n) => n.options.filter((o) => o.choices.length).map((o) => ({ patterns: o.flags.map((f) => quote(`${pathOf(n)}|${f}`)), choices: o.choices }))),
  ];
  return arms.map((arm) => `${indent}${arm.patterns.join('|')}) ${reply(arm.choices.join(' '))} ;;`).join('\n');
}

/** `case "$cmdpath"` arms setting what may follow: `words` (subcommands, argument choices) and
 *  `flags` (options, offered for a word that starts with `-`, or when there are no words). */
function wordCases(root: CommandNode, indent: string): string {
  const globals = root.options.filter((o) => !o.flags.includes('--version'));
  return allNodes(root)
    .map((node) => {
      const options = node.path.length ? [...node.options, ...globals] : node.options;
      const words = [...node.children.flatMap((c) => c.names), ...node.arguments.flatMap((a) => a.choices)];
      const flags = [...new Set(options.flatMap((o) => o.flags))];
      return `${indent}${quote(pathOf(node))}) words=${quote(words.join(' '))}; flags=${quote(flags.join(' '))} ;;`;
    })
    .join('\n');
}

/** bash and zsh: options for `-…` or when nothing else can follow. */
const PICK_FLAGS = '  if [[ "$cur" == -* || -z "$words" ]]; then words="$flags"; fi\n';

/** bash and zsh: walks the words typed so far and sets $cmdpath to the command they name. */
function scanCommandPath(root: CommandNode, first: number, current: string, words: string): string {
  return `  cmdpath=""
  skip=0
  for ((i = ${first}; i < ${current}; i++)); do
    word="\${${words}[i]}"
    if [[ $skip == 1 ]]; then skip=0; continue; fi
    case "$cmdpath|$word" in
      ${valuePatterns(root).join('|')}) skip=1; continue ;;
    esac
    [[ "$word" == -* ]] && continue
    case "$cmdpath|$word" in
${pathCases(root, '      ')}
    esac
  done
`;
}

/** After an option that takes a value: its choices, or nothing to offer. */
function valueReply(root: CommandNode, reply: (words: string) => string, none: string): string {
  return `  case "$cmdpath|$prev" in
${choiceCases(root, '    ', reply)}
    ${valuePatterns(root).join('|')}) ${none} ;;
  esac
`;
}

const HEADER = (shell: Shell) => `# ${shell} completion for cairnctl. Generated by \`cairnctl completions ${shell}\`; do not edit.\n`;

function bash(root: CommandNode): string {
  return `${HEADER('bash')}# Load it with: source <(cairnctl completions bash)
_cairnctl() {
  local cur prev word cmdpath words flags i skip
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
${scanCommandPath(root, 1, 'COMP_CWORD', 'COMP_WORDS')}${valueReply(root, (w) => `COMPREPLY=($(compgen -W ${quote(w)} -- "$cur")); return`, 'COMPREPLY=(); return')}  case "$cmdpath" in
${wordCases(root, '    ')}
    *) words=""; flags="" ;;
  esac
${PICK_FLAGS}  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _cairnctl cairnctl
`;
}

function zsh(root: CommandNode): string {
  return `#compdef cairnctl
${HEADER('zsh')}# Load it with: source <(cairnctl completions zsh), or save it as _cairnctl on your $fpath.
_cairnctl() {
  local word cmdpath prev cur skip i flags
  local -a candidates
${scanCommandPath(root, 2, 'CURRENT', 'words')}  prev="\${words[CURRENT-1]}"
  cur="\${words[CURRENT]}"
${valueReply(root, (w) => `candidates=(${w}); compadd -a candidates; return`, 'return')}  local words_list
  case "$cmdpath" in
${wordCases(root, '    ').replace(/\) words=/g, ') words_list=')}
    *) words_list=""; flags="" ;;
  esac
${PICK_FLAGS.replace(/\$words"/, '$words_list"').replace('words="$flags"', 'words_list="$flags"')}  candidates=(\${=words_list})
  compadd -a candidates
}
if [[ "$funcstack[1]" == "_cairnctl" ]]; then _cairnctl "$@"; else compdef _cairnctl cairnctl; fi
`;
}

function fish(root: CommandNode): string {
  const valueSwitch = (indent: string) => {
    const globals = root.options.filter((o) => o.takes_value).flatMap((o) => o.flags);
    const own = allNodes(root)
      .filter((n) => n.path.length)
      .flatMap((n) => n.options.filter((o) => o.takes_value).flatMap((o) => o.flags.map((f) => quote(`${pathOf(n)}|${f}`))));
    return [`${indent}if contains -- $word ${globals.join(' ')}`, `${indent}    set skip 1`, `${indent}    continue`, `${indent}end`, `${indent}switch "$cmdpath|$word"`, `${indent}    case ${own.join(' ')}`, `${indent}        set skip 1`, `${indent}        continue`, `${indent}end`];
  };
  const lines = [
    HEADER('fish').trimEnd(),
    '# Load it with: cairnctl completions fish | source',
    'function __cairnctl_path',
    '    set -l tokens (commandline -opc)',
    '    set -l cmdpath ""',
    '    set -l skip 0',
    '    for word in $tokens[2..-1]',
    '        if test $skip = 1',
    '            set skip 0',
    '            continue',
    '        end',
    ...valueSwitch('        '),
    "        string match -q -- '-*' $word; and continue",
    '        switch "$cmdpath|$word"',
    ...allNodes(root).flatMap((node) =>
      node.children.flatMap((child) => child.names.map((name) => `            case ${quote(`${pathOf(node)}|${name}`)}\n                set cmdpath ${quote(pathOf(child))}`)),
    ),
    '        end',
    '    end',
    '    echo $cmdpath',
    'end',
    'complete -c cairnctl -f',
  ];
  for (const node of allNodes(root)) {
    const condition = `-n ${quote(`test (__cairnctl_path) = ${quote(pathOf(node))}`)}`;
    for (const child of node.children) {
      lines.push(`complete -c cairnctl ${condition} -a ${quote(child.names.join(' '))} -d ${quote(child.description.split('\n')[0]!)}`);
    }
    for (const arg of node.arguments.filter((a) => a.choices.length)) {
      lines.push(`complete -c cairnctl ${condition} -a ${quote(arg.choices.join(' '))} -d ${quote(arg.name)}`);
    }
    for (const option of node.path.length ? [...node.options, ...root.options.filter((o) => !o.flags.includes('--version'))] : node.options) {
      const long = option.flags.find((f) => f.startsWith('--'))?.slice(2);
      const short = option.flags.find((f) => /^-[^-]$/.test(f))?.slice(1);
      const parts = [
        'complete -c cairnctl',
        condition,
        long ? `-l ${long}` : '',
        short ? `-s ${short}` : '',
        option.takes_value ? '-r' : '',
        option.choices.length ? `-a ${quote(option.choices.join(' '))}` : '',
        `-d ${quote(option.description)}`,
      ];
      lines.push(parts.filter(Boolean).join(' '));
    }
  }
  return `${lines.join('\n')}\n`;
}
