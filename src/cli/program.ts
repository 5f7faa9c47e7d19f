// The cairnctl program: the commander tree built from the registry of definitions, and `main`, which
// resolves the command line (argv.ts), parses it, runs the command and returns its exit code.
// Registration is cheap (commander only); each handler and its heavy dependencies (zod, undici,
// cli-table3) load only when that command runs.
import { Argument, Command, CommanderError, Help, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_ADDRESS } from './address';
import { resolveArgv } from './argv';
import { COMMANDS } from './commands/index';
import type { Connect } from './context';
import { CliError, EXIT, EXIT_CODES_HELP } from './errors';
import { GLOBAL_OPTIONS, type GlobalOptions } from './globals';
import { terminalWidth, writeErr, type IO } from './output/io';
import { examplesText, parseFlags, type CommandDefinition, type Definition, type OptionSpec } from './registry';

declare const __CAIRN_BUILD__: { version: string; commit: string; date: string } | undefined;

/** `cairnctl 0.1.0 (4849b9b 2026-09-22)`, as restatectl prints its version, commit and build date. */
export function versionText(): string {
  const build = typeof __CAIRN_BUILD__ === 'undefined' ? { version: 'dev', commit: 'unknown', date: 'unbuilt' } : __CAIRN_BUILD__;
  return `cairnctl ${build.version} (${build.commit} ${build.date})`;
}

function toOption(key: string, spec: OptionSpec): Option {
  const option = new Option(spec.flags, spec.description);
  if (option.attributeName() !== key) throw new Error(`option ${spec.flags} is declared as '${key}'; name it '${option.attributeName()}'`);
  if (spec.hidden) option.hideHelp();
  if (spec.env) option.env(spec.env);
  if (spec.conflicts) option.conflicts([...spec.conflicts]);
  if (spec.kind === 'value') {
    if (spec.choices) option.choices(spec.choices);
    else option.argParser(asInvalidArgument(spec.parse));
    if (spec.default !== undefined) option.default(spec.default, spec.defaultLabel);
  } else if (spec.kind === 'list') {
    const parse = asInvalidArgument(spec.parse);
    option.argParser((text: string, previous: unknown[] | undefined) => [...(previous ?? []), ...parse(text)]);
  }
  return option;
}

/** A parser's error becomes commander's, so that it prints the flag, the value and the reason. */
function asInvalidArgument<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (err) {
      throw err instanceof InvalidArgumentError ? err : new InvalidArgumentError((err as Error).message);
    }
  };
}

/** Wraps a command's details to the help width; `  term  text` lines keep their text's indent. */
function wrapDetails(details: string, width: number): string {
  const help = new Help();
  help.minWidthToWrap = 20;
  return details
    .split('\n')
    .map((line) => {
      const item = /^(\s+\S+\s+)(\S.*)$/.exec(line);
      const indent = item ? item[1]!.length : 0;
      const wrapped = help.boxWrap(item ? item[2]! : line, width - indent);
      return item ? `${item[1]}${wrapped.split('\n').join(`\n${' '.repeat(indent)}`)}` : wrapped;
    })
    .join('\n');
}

/** Flags are false rather than absent, lists empty rather than absent. */
function optionValues(specs: Record<string, OptionSpec>, parsed: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const raw = parsed[key];
    values[key] = spec.kind === 'flag' ? (raw ?? false) : spec.kind === 'list' ? (raw ?? []) : raw;
  }
  return values;
}

function missingRequired(specs: Record<string, OptionSpec>, values: Record<string, unknown>): OptionSpec | undefined {
  // A list given no value is missing; a value option's parser may turn its text into an empty list (`-r ""`).
  return Object.entries(specs).find(([key, spec]) => spec.kind !== 'flag' && spec.required && (values[key] === undefined || (spec.kind === 'list' && !(values[key] as unknown[]).length)))?.[1];
}

export interface ProgramHooks {
  /** Called with the definition and the handler's arguments once the line is parsed. */
  run: (definition: CommandDefinition, args: Record<string, unknown>, globals: GlobalOptions, addressSource: string) => Promise<void>;
}

export function buildProgram(io: IO, definitions: readonly Definition[], hooks: ProgramHooks): Command {
  const program = new Command('cairnctl');
  const helpWidth = (stream: IO['stdout']) => (stream.isTTY ? terminalWidth(stream) : 80);
  program
    .description(
      'Cairn cluster administration tool: inspect cluster health and perform low-level maintenance on live nodes. ' +
        "It talks to the nodes' HTTP API on their advertised address (default port 5122). Any unambiguous prefix of a command works (`cairnctl snap create`).",
    )
    .version(versionText(), '-V, --version', 'print the version, commit and build date')
    .helpCommand('help [command...]', 'show the help of a command')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false, minWidthToWrap: 20 })
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      getOutHelpWidth: () => helpWidth(io.stdout),
      getErrHelpWidth: () => helpWidth(io.stderr),
    })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `\n${EXIT_CODES_HELP}\n\nData goes to stdout, messages and errors to stderr. -o json prints stable snake_case JSON\n(lists are arrays, times ISO 8601, numbers raw).\n` +
        examplesText([
          'cairnctl status',
          'cairnctl -s http://127.0.0.1:5122,http://127.0.0.1:5123 logs list -o json',
          'CAIRN_ADDRESS=$(jq -r .address .cairn/cluster.json) cairnctl nodes list --extra',
        ]),
    );
  for (const [key, spec] of Object.entries(GLOBAL_OPTIONS)) program.addOption(toOption(key, spec));

  const commands = new Map<string, Command>([['', program]]);
  for (const definition of definitions) {
    const parent = commands.get(definition.path.slice(0, -1).join(' '));
    if (!parent) throw new Error(`${definition.path.join(' ')} is defined before its group`);
    const command = parent.command(definition.path[definition.path.length - 1]!).description(definition.description);
    if (definition.aliases) command.aliases([...definition.aliases]);
    commands.set(definition.path.join(' '), command);
    if (definition.kind === 'group') continue;
    for (const arg of Object.values(definition.args)) {
      const argument = new Argument(arg.syntax, arg.description);
      if (arg.choices) argument.choices(arg.choices);
      command.addArgument(argument);
    }
    for (const [key, spec] of Object.entries(definition.options)) command.addOption(toOption(key, spec));
    command.addHelpText('after', (context) => {
      const details = definition.details ? `\n${wrapDetails(definition.details, helpWidth(context.error ? io.stderr : io.stdout))}` : '';
      return `${details}${examplesText(definition.examples)}`;
    });
    command.action(async (...received: unknown[]) => {
      const self = received[received.length - 1] as Command;
      const options = optionValues(definition.options, self.opts());
      const missing = missingRequired(definition.options, options);
      if (missing) self.error(`error: required option '${missing.flags}' not specified`, { exitCode: EXIT.USAGE, code: 'commander.missingMandatoryOptionValue' });
      const args: Record<string, unknown> = { ...options };
      Object.entries(definition.args).forEach(([name, spec], i) => {
        try {
          args[name] = spec.parse(received[i] as string | string[] | undefined);
        } catch (err) {
          // Positional values are parsed here, after commander: report them as it reports flags.
          self.error(`error: ${(err as Error).message}`, { exitCode: EXIT.USAGE, code: 'commander.invalidArgument' });
        }
      });
      const globals = optionValues(GLOBAL_OPTIONS, program.opts()) as GlobalOptions;
      // commander sets a flag when its variable is merely present; CAIRN_INSECURE_SKIP_TLS_VERIFY=0 must not.
      for (const [key, spec] of Object.entries(GLOBAL_OPTIONS)) {
        if (spec.kind === 'flag' && spec.env && program.getOptionValueSource(key) === 'env') {
          (globals as Record<string, unknown>)[key] = /^(1|true|yes|on)$/i.test(io.env[spec.env] ?? '');
        }
      }
      const source = program.getOptionValueSource('address');
      const addressSource = source === 'env' ? 'CAIRN_ADDRESS' : source === 'cli' ? '--address' : `the default (${DEFAULT_ADDRESS})`;
      await hooks.run(definition, args, globals, addressSource);
    });
  }
  for (const command of commands.values()) {
    // Help and version exit 0; every other commander error (unknown flag, bad value, missing
    // subcommand) is a usage error. commander does not pass this on to existing subcommands.
    command.exitOverride((err) => {
      throw Object.assign(err, { exitCode: err.exitCode === 0 ? EXIT.OK : EXIT.USAGE });
    });
  }
  return program;
}

/** Runs `cairnctl <args>` and returns its exit code (it never exits the process). */
export async function main(args: readonly string[], io: IO, connect?: Connect): Promise<number> {
  let exitCode: number = EXIT.OK;
  try {
    const resolved = resolveArgv(args, COMMANDS, Object.values(GLOBAL_OPTIONS));
    const program = buildProgram(io, COMMANDS, {
      run: async (definition, handlerArgs, globals, addressSource) => {
        const { execute } = await import('./run');
        exitCode = await execute(io, globals, addressSource, definition.load, handlerArgs, connect);
      },
    });
    await program.parseAsync(resolved.argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    const failure = err instanceof CliError ? err : new CliError((err as Error)?.message ?? String(err));
    writeErr(io, `error: ${failure.message}\n`);
    if (failure.hint) writeErr(io, `hint: ${failure.hint}\n`);
    return failure.exitCode;
  }
}
