// The cairnctl command tree. Registration is cheap (commander only); each command's handler and its
// heavy dependencies (zod, undici, cli-table3) load only when that command runs.
import { Command, InvalidArgumentError, Option } from 'commander';
import { wholeNumber } from './args';
import { registerCompletions } from './commands/completions/index';
import { registerLogs } from './commands/logs/index';
import { registerNodes } from './commands/nodes/index';
import { registerPartitions } from './commands/partitions/index';
import { registerProvision } from './commands/provision/index';
import { registerReplicatedLoglet } from './commands/replicated-loglet/index';
import { registerSnapshots } from './commands/snapshots/index';
import { registerStatus } from './commands/status/index';
import type { GlobalOptions } from './context';
import { EXIT, EXIT_CODES_HELP } from './errors';
import type { IO } from './output/io';
import type { CommandModule } from './run';

export const VERSION = '0.1.0';
export const DEFAULT_ADDRESS = 'http://127.0.0.1:5122';
const DEFAULT_ADDRESSES = [DEFAULT_ADDRESS];

const positiveMs = wholeNumber('milliseconds', 1);

function collectAddresses(value: string, previous: string[]): string[] {
  const base = previous === DEFAULT_ADDRESSES ? [] : previous;
  return [...base, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** The action of a command: runs `load()`'s handler with the parsed arguments. */
export type Register = (parent: Command, action: Action) => void;
export type Action = <A>(load: () => Promise<CommandModule<A>>, toArgs: (positional: unknown[], options: Record<string, unknown>) => A) => (...args: unknown[]) => Promise<void>;

export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`;
}

export function createProgram(io: IO): Command {
  const program = new Command('cairnctl');
  program
    .description(
      'Cairn cluster administration tool: inspect cluster health and perform low-level maintenance on\n' +
        "live nodes. It talks to the nodes' HTTP API on their advertised address (default port 5122).",
    )
    .version(VERSION, '-V, --version')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError('(add --help for usage)')
    .addOption(
      new Option('-s, --address <addresses>', 'node addresses, comma-separated or repeated')
        .env('CAIRN_ADDRESS')
        .default(DEFAULT_ADDRESSES, DEFAULT_ADDRESS)
        .argParser(collectAddresses),
    )
    .addOption(new Option('--connect-timeout <ms>', 'TCP connect timeout').env('CAIRN_CONNECT_TIMEOUT').default(3000).argParser(positiveMs))
    .addOption(new Option('--request-timeout <ms>', 'timeout of a request to a node that answered').env('CAIRN_REQUEST_TIMEOUT').default(13000).argParser(positiveMs))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).env('CAIRN_OUTPUT').default('table'))
    .addOption(new Option('--json', 'shorthand for --output json'))
    .addOption(new Option('--table-style <style>', 'table layout').choices(['compact', 'borders']).default('compact'))
    .addOption(new Option('--time-format <format>', 'how times are shown').choices(['human', 'iso8601', 'rfc2822']).default('human'))
    .addOption(new Option('--no-color', 'never colour output (NO_COLOR and CLICOLOR_FORCE are honoured too)'))
    .addOption(new Option('--token <token>', 'admin bearer token').env('CAIRN_TOKEN'))
    .addOption(new Option('-v, --verbose', 'print discovery and request details to stderr').argParser((_: string, prev: number) => prev + 1).default(0))
    .addHelpText(
      'after',
      `\n${EXIT_CODES_HELP}\n\nData goes to stdout, messages and errors to stderr. -o json prints stable snake_case JSON\n(lists are arrays, times ISO 8601, numbers raw).` +
        examples(
          'cairnctl status',
          'cairnctl -s http://127.0.0.1:5122,http://127.0.0.1:5123 logs list -o json',
          'CAIRN_ADDRESS=$(jq -r .address .cairn/cluster.json) cairnctl nodes list --extra',
        ),
    );

  const action: Action = (load, toArgs) => async (...received) => {
    const command = received[received.length - 1] as Command;
    const options = received[received.length - 2] as Record<string, unknown>;
    const positional = received.slice(0, -2);
    const globals = command.optsWithGlobals() as GlobalOptions;
    const source = program.getOptionValueSource('address');
    const addressSource = source === 'env' ? 'CAIRN_ADDRESS' : source === 'cli' ? '--address' : `the default (${DEFAULT_ADDRESS})`;
    const { execute } = await import('./run');
    let args;
    try {
      args = toArgs(positional, options);
    } catch (err) {
      // Positional values are parsed here, after commander: report them as it reports flags.
      if (!(err instanceof InvalidArgumentError)) throw err;
      command.error(`error: ${err.message}`, { exitCode: EXIT.USAGE, code: 'commander.invalidArgument' });
    }
    process.exitCode = await execute(io, globals, addressSource, load, args);
  };

  for (const register of [registerStatus, registerNodes, registerPartitions, registerLogs, registerSnapshots, registerReplicatedLoglet, registerProvision, registerCompletions]) {
    register(program, action);
  }

  applyExitCodes(program);
  return program;
}

/** Help and version exit 0; every other commander error (unknown flag, bad value, missing
 *  subcommand) is a usage error, exit 2. commander does not inherit this to existing subcommands. */
function applyExitCodes(command: Command): void {
  command.exitOverride((err) => {
    const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version';
    throw Object.assign(err, { exitCode: ok ? EXIT.OK : EXIT.USAGE });
  });
  for (const sub of command.commands) applyExitCodes(sub);
}
