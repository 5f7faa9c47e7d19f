// Command definitions as data: a command is its path, aliases, description, arguments, options and
// examples, plus a lazily imported handler. The handler's argument object is inferred from the
// declared arguments and options. From the one list of definitions (commands/index.ts) come the
// commander tree (program.ts), prefix matching and option aliases (argv.ts), help, completions and
// the command reference. Nothing here imports a handler, so that registration stays cheap.
import type { CommandContext } from './context';
import type { ChangeEvent } from './output/changes';
import type { View } from './output/view';

// ---- options ------------------------------------------------------------------------------------

interface OptionBase {
  /** commander's flags: `-t, --trim-point <lsn>` or `--force`. */
  flags: string;
  description: string;
  /** Other long spellings, rewritten to this option before parsing (restatectl's `--node`). */
  aliases?: readonly string[];
  hidden?: boolean;
  env?: string;
  /** Attribute names of options this one cannot be combined with. */
  conflicts?: readonly string[];
}

export interface FlagOption extends OptionBase {
  kind: 'flag';
}

export interface ValueOption<T, R extends boolean> extends OptionBase {
  kind: 'value';
  parse: (value: string) => T;
  choices?: readonly string[];
  default?: T;
  /** How the default is shown in help, when it is not its plain text. */
  defaultLabel?: string;
  /** Checked after parsing, so that an unknown option is reported before a missing one. In the
   *  type, R is also true for an option with a default: either way the handler always gets a value. */
  required: R;
}

/** Repeatable, each occurrence possibly comma-separated; the values of every occurrence, in order. */
export interface ListOption<T> extends OptionBase {
  kind: 'list';
  parse: (value: string) => T[];
  required: boolean;
}

export type OptionSpec = FlagOption | ValueOption<unknown, boolean> | ListOption<unknown>;

type OptionExtras = Partial<Pick<OptionBase, 'aliases' | 'hidden' | 'env' | 'conflicts'>>;

export function flag(flags: string, description: string, extras: OptionExtras = {}): FlagOption {
  return { kind: 'flag', flags, description, ...extras };
}

interface ValueExtras<T> extends OptionExtras {
  parse?: (value: string) => T;
  choices?: readonly T[] & readonly string[];
  default?: T;
  defaultLabel?: string;
  required?: boolean;
}

/** A value option; `required: true` or a default makes its type non-optional. */
export function value<T = string, const E extends ValueExtras<T> = ValueExtras<T>>(
  flags: string,
  description: string,
  extras?: E & ValueExtras<T>,
): ValueOption<T, E extends { required: true } | { default: unknown } ? true : false> {
  const { parse, required, choices, ...rest } = extras ?? {};
  return {
    kind: 'value',
    flags,
    description,
    parse: parse ?? ((text: string) => text as T),
    required: (required ?? false) as E extends { required: true } | { default: unknown } ? true : false,
    ...(choices ? { choices } : {}),
    ...rest,
  };
}

/** A free-text value option (a reason, a token). */
export function text(flags: string, description: string, extras: OptionExtras = {}): ValueOption<string, false> {
  return value(flags, description, { ...extras, parse: (given: string) => given });
}

export function list<T>(flags: string, description: string, parse: (value: string) => T[], extras: OptionExtras & { required?: boolean } = {}): ListOption<T> {
  const { required, ...rest } = extras;
  return { kind: 'list', flags, description, parse, required: required ?? false, ...rest };
}

type OptionValue<O> = O extends FlagOption ? boolean : O extends ListOption<infer T> ? T[] : O extends ValueOption<infer T, infer R> ? (R extends true ? T : T | undefined) : never;

export type OptionValues<O extends Record<string, OptionSpec>> = { [K in keyof O]: OptionValue<O[K]> };

// ---- positional arguments -----------------------------------------------------------------------

export interface ArgumentSpec<T> {
  /** commander's syntax: `<log-ids...>`, `[partition-ids...]`, `<loglet>`. */
  syntax: string;
  description: string;
  /** Turns what commander collected (a string, a list for `...`, or undefined) into the value. */
  parse: (raw: string | string[] | undefined) => T;
  choices?: readonly string[];
}

export function argument<T>(syntax: string, description: string, parse: (raw: string | string[] | undefined) => T, choices?: readonly string[]): ArgumentSpec<T> {
  return { syntax, description, parse, ...(choices ? { choices } : {}) };
}

type ArgumentValues<A extends Record<string, ArgumentSpec<unknown>>> = { [K in keyof A]: A[K] extends ArgumentSpec<infer T> ? T : never };

// ---- commands -----------------------------------------------------------------------------------

export interface CommandSpec<A extends Record<string, ArgumentSpec<unknown>>, O extends Record<string, OptionSpec>> {
  /** The words that lead to it, e.g. ['logs', 'trim']. */
  path: readonly string[];
  aliases?: readonly string[];
  /** One line; the first sentence is what lists show. */
  description: string;
  /** More text after the options in `--help`. */
  details?: string;
  /** Whole command lines, shown under "Examples:". */
  examples: readonly string[];
  args: A;
  options: O;
}

/** What a handler receives: every argument and option by name, typed from their declarations. */
export type ArgsOf<S> = S extends CommandSpec<infer A, infer O> ? ArgumentValues<A> & OptionValues<O> : never;

export interface Handler<T> {
  run(ctx: CommandContext, args: T): Promise<View>;
  /** For `--watch` on a terminal: what changed between two rounds' JSON documents, as event lines. */
  watchChanges?(previous: unknown, current: unknown): ChangeEvent[];
}

export interface CommandDefinition<A extends Record<string, ArgumentSpec<unknown>> = Record<string, ArgumentSpec<unknown>>, O extends Record<string, OptionSpec> = Record<string, OptionSpec>>
  extends CommandSpec<A, O> {
  kind: 'command';
  load: () => Promise<Handler<ArgumentValues<A> & OptionValues<O>>>;
}

/** A noun that groups commands (`logs`, `nodes`); it has no handler of its own. */
export interface GroupDefinition {
  kind: 'group';
  path: readonly string[];
  aliases?: readonly string[];
  description: string;
}

export type Definition = GroupDefinition | CommandDefinition;

/** Declares a command's interface; its handler names its argument type as `ArgsOf<typeof spec>`. */
export function spec<A extends Record<string, ArgumentSpec<unknown>>, O extends Record<string, OptionSpec>>(s: CommandSpec<A, O>): CommandSpec<A, O> {
  return s;
}

/** Binds a declared interface to its handler module, imported only when the command runs. */
export function defineCommand<A extends Record<string, ArgumentSpec<unknown>>, O extends Record<string, OptionSpec>>(
  s: CommandSpec<A, O>,
  load: () => Promise<Handler<ArgumentValues<A> & OptionValues<O>>>,
): CommandDefinition<A, O> {
  return { ...s, kind: 'command', load };
}

export function defineGroup(path: readonly string[], description: string, aliases?: readonly string[]): GroupDefinition {
  return { kind: 'group', path, description, ...(aliases ? { aliases } : {}) };
}

// ---- helpers shared by program, argv and completions -----------------------------------------------

/** `-t, --trim-point <lsn>` → { short: '-t', long: '--trim-point', takesValue: true, attribute: 'trimPoint' }. */
export function parseFlags(flags: string): { short?: string; long: string; takesValue: boolean; attribute: string } {
  const short = /(^|[\s,])(-[^-\s,])\b/.exec(flags)?.[2];
  const long = /--[\w-]+/.exec(flags)?.[0];
  if (!long) throw new Error(`option ${flags} needs a long name`);
  const bare = long.replace(/^--(no-)?/, '');
  return { ...(short ? { short } : {}), long, takesValue: /[<[]/.test(flags), attribute: bare.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()) };
}

export function examplesText(lines: readonly string[]): string {
  return lines.length ? `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}` : '';
}
