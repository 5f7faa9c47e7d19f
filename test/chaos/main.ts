// `npm run chaos -- --seconds N --seed S [--nodes 3|5] [--metadata embedded|etcd] [--faults ...]`:
// the options, the run, and the teardown that happens whatever the ending (success, violation,
// error, Ctrl-C): every node and etcd member killed by pid, the tmpfs unmounted, the folder removed
// (kept with --keep).
import { randomInt } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { wholeNumber } from '../../src/cli/args';
import { METADATA_KINDS, type MetadataKind } from '../../src/server/local/cluster';
import { ChaosCluster } from './cluster';
import { FAULTS } from './faults';
import { CHAOS_SETTINGS, Interrupted, runChaos, type ChaosOptions } from './run';

const EXIT_VIOLATIONS = 1;
const EXIT_USAGE = 2;
const EXIT_HARNESS = 3;
const EXIT_INTERRUPTED = 130;

function faultList(value: string): string[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(name in FAULTS));
  if (unknown.length || !names.length) {
    throw new InvalidArgumentError(`unknown fault ${unknown.join(', ') || '(none given)'}; known faults: ${Object.keys(FAULTS).join(', ')}`);
  }
  return [...new Set(names)];
}

const collect = (value: string, previous: string[]) => [...previous, value];

const program = new Command('chaos')
  .description('Runs a real cluster under concurrent clients and a seeded nemesis, then checks the history.')
  .option('--seconds <n>', 'how long the nemesis injects faults', wholeNumber('a number of seconds', 1, 24 * 3600), 60)
  .option('--seed <n>', 'seed of the fault schedule and the clients (default: random, printed)', wholeNumber('a seed', 0, 2 ** 32 - 1))
  .addOption(new Option('--nodes <n>', 'cluster size').choices(['3', '5']).default('3'))
  .addOption(new Option('--metadata <kind>', 'metadata store: the embedded one, or an etcd member beside each node').choices(METADATA_KINDS).default('embedded'))
  .option('--faults <list>', `comma-separated faults (default: all): ${Object.keys(FAULTS).join(', ')}`, faultList, Object.keys(FAULTS))
  .option('--clients <n>', 'concurrent clients, bound to the nodes in turn (default: 2 per node)', wholeNumber('a number of clients', 1, 64))
  .option('--keys <n>', 'keys in the key space', wholeNumber('a number of keys', 1, 10_000), 8)
  .option('--set <key=value>', `node configuration for local up, after the run's own (${CHAOS_SETTINGS.join(' ')})`, collect, [])
  .option('--keep', 'keep the cluster folder (node logs, data, history.json, schedule.json)')
  .addHelpText(
    'after',
    `
Ends with "chaos: <ops> ops, <faults> faults, <violations> violations"; exit 0 without violations,
1 with any, 2 on bad usage, 3 when the harness itself failed, 130 when interrupted.

Examples:
  npm run chaos -- --seconds 120 --seed 7
  npm run chaos -- --seconds 60 --seed 3 --nodes 5 --faults kill,pause,trim
  npm run chaos -- --seconds 600 --metadata etcd`,
  )
  .exitOverride();

async function main(): Promise<number> {
  try {
    program.parse(process.argv);
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode ?? EXIT_USAGE;
    return code === 0 ? 0 : EXIT_USAGE;
  }
  const raw = program.opts<{ seconds: number; seed?: number; nodes: string; metadata: MetadataKind; faults: string[]; clients?: number; keys: number; set: string[]; keep?: boolean }>();
  const options: ChaosOptions = {
    seconds: raw.seconds,
    seed: raw.seed ?? randomInt(2 ** 32 - 1),
    nodes: Number(raw.nodes),
    metadata: raw.metadata,
    faults: raw.faults,
    clients: raw.clients ?? 2 * Number(raw.nodes),
    keys: raw.keys,
    sets: [...CHAOS_SETTINGS, ...raw.set],
    keep: raw.keep ?? false,
  };
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const cluster = ChaosCluster.create(options.nodes, options.sets, options.metadata);
  const controller = new AbortController();
  const teardown = () => {
    for (const problem of cluster.cleanup(options.keep)) process.stderr.write(`chaos: cleanup: ${problem}\n`);
  };
  // First Ctrl-C: stop injecting and tear down in order; a second one tears down at once.
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      teardown();
      process.exit(EXIT_INTERRUPTED);
    }
    process.stderr.write(`chaos: ${name}: stopping (again to stop at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', teardown);

  try {
    const result = await runChaos(options, cluster, controller.signal, out);
    out(`chaos: ${result.ops} ops, ${result.faults} faults, ${result.violations.length} violations`);
    return result.violations.length ? EXIT_VIOLATIONS : 0;
  } catch (err) {
    if (err instanceof Interrupted) {
      process.stderr.write(`chaos: interrupted (seed ${options.seed})\n`);
      return EXIT_INTERRUPTED;
    }
    process.stderr.write(`chaos: the harness failed (seed ${options.seed}): ${(err as Error).stack ?? err}\n`);
    return EXIT_HARNESS;
  } finally {
    teardown();
    if (options.keep) out(`chaos: kept ${cluster.dir}`);
  }
}

main().then((code) => {
  process.exitCode = code;
});
