// cairn-server: runs one node, or manages a local multi-process cluster (`local up|down`).
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig, redactedConfig, type NodeConfig } from './config';
import { localDown, localUp, LocalClusterError, METADATA_KINDS, type DownResult, type MetadataKind } from './local/cluster';
import { createLogger } from './logger';
import { CairnNode, VERSION } from './node';
import { FatalNodeError } from './node-join';

const collect = (value: string, previous: string[]) => [...previous, value];

function fatal(message: string, code = 1): void {
  process.stderr.write(`error: ${message}\n`);
  process.exitCode = code;
}

async function runNode(options: { config?: string; set: string[]; dumpConfig?: boolean }): Promise<void> {
  let config: NodeConfig;
  try {
    config = loadConfig({ file: options.config, env: process.env, sets: options.set });
  } catch (err) {
    if (err instanceof ConfigError) return fatal(err.message);
    throw err;
  }
  if (options.dumpConfig) {
    process.stdout.write(`${JSON.stringify(redactedConfig(config), null, 2)}\n`);
    return;
  }
  const logger = createLogger(config.logLevel, config.nodeName);
  const node = new CairnNode(config, logger);
  node.onStopped = exitSoon;
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutdown requested');
    void node.stop().then(exitSoon);
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  try {
    await node.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof FatalNodeError) {
      logger.error({ err: message }, `Shutting down: ${message}`);
    } else {
      logger.error({ err }, 'node failed to start');
    }
    fatal(message);
    await node.stop();
    exitSoon();
  }
}

/**
 * Once stopped, the process should end by itself; work still winding down (a request waiting on a
 * peer) gets a moment, then it ends anyway. Logs are written synchronously, so nothing is lost.
 */
function exitSoon(): void {
  setTimeout(() => process.exit(), 2_000).unref();
}

const program = new Command('cairn-server')
  .description('Runs a Cairn cluster node, or a local multi-process cluster for development and tests.')
  .version(VERSION)
  // `local up --set` belongs to `local up`, not to the node options of the root command.
  .enablePositionalOptions()
  .option('-c, --config <file>', 'TOML configuration file')
  .option('--set <key=value>', 'override a configuration key, e.g. --set networking.message-size-limit=32MiB (repeatable)', collect, [])
  .option('--dump-config', 'print the effective configuration as JSON and exit')
  .addHelpText(
    'after',
    `
Configuration precedence: --set > CAIRN_<KEY> environment variables > --config file > defaults.
Environment names: upper-case, "." becomes "__" and "-" becomes "_", e.g. CAIRN_NETWORKING__MESSAGE_SIZE_LIMIT.

Examples:
  cairn-server --config node1.toml
  cairn-server --config node1.toml --set bind-address=127.0.0.1:6122
  cairn-server local up --nodes 3 --dir ./.cairn
  cairn-server local up --nodes 3 --dir ./.cairn-etcd --metadata etcd
  cairn-server local up --dir ./.cairn-tls --set tls.cert-file=certs/{node}.crt --set tls.key-file=certs/{node}.key --set tls.ca-file=certs/ca.crt`,
  )
  .action((options) => runNode(options));

const local = program.command('local').description('a cluster of local node processes on 127.0.0.1');

local
  .command('up')
  .description('start (or restart) a local cluster: one process per node, each with its own data dir under --dir')
  .addOption(new Option('--nodes <n>', 'number of nodes (new cluster only)').argParser(parseCount))
  .addOption(new Option('--partitions <n>', 'number of partitions (new cluster only)').argParser(parseCount))
  .requiredOption('--dir <dir>', 'folder for the nodes\' configs, data and logs, and cluster.json')
  .addOption(
    new Option('--metadata <kind>', 'metadata store of a new cluster: embedded (on n1) or etcd (a member beside each node; the etcd binary from PATH or ETCD_BIN) [default: embedded]').choices(
      METADATA_KINDS,
    ),
  )
  .option('--set <key=value>', 'configuration override applied to every node (repeatable); {node} in the value becomes the node\'s name (n1, n2...)', collect, [])
  .option('--foreground', 'stay attached; Ctrl-C stops the nodes')
  .addHelpText(
    'after',
    `
Examples:
  cairn-server local up --nodes 3 --dir ./.cairn --set bifrost.replication.batch-records=16
  cairn-server local up --nodes 3 --dir ./.cairn-etcd --metadata etcd
  cairn-server local up --dir ./.cairn-tls --set tls.cert-file=certs/{node}.crt --set tls.key-file=certs/{node}.key --set tls.ca-file=certs/ca.crt`,
  )
  .action(async (options: { nodes?: number; partitions?: number; metadata?: MetadataKind; dir: string; set: string[]; foreground?: boolean }) => {
    try {
      const cluster = await localUp({
        dir: options.dir,
        nodes: options.nodes,
        partitions: options.partitions,
        metadata: options.metadata,
        sets: options.set,
        progress: (line) => process.stderr.write(`${line}\n`),
      });
      const store = cluster.metadata.kind === 'etcd' ? `metadata on etcd (${cluster.metadata.members.length} members)` : 'metadata on the embedded store of n1';
      process.stderr.write(`cluster is up: ${cluster.nodes.length} nodes, ${store}, described in ${options.dir}/cluster.json\n`);
      process.stdout.write(`export CAIRN_ADDRESS=${cluster.address}\n`);
      if (options.foreground) {
        process.stderr.write('running in the foreground; press Ctrl-C to stop the nodes\n');
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        reportDown(await localDown(options.dir));
      }
    } catch (err) {
      if (err instanceof ConfigError || err instanceof LocalClusterError) return fatal(err.message);
      fatal(err instanceof Error ? err.message : String(err));
    }
  });

/** What `local down` stopped: the nodes, then the etcd members. */
function reportDown(result: DownResult): void {
  const lines = [
    ['stopped', result.nodes.stopped],
    ['already stopped', result.nodes.alreadyStopped],
    ['stopped etcd members', result.etcdMembers?.stopped ?? []],
    ['etcd members already stopped', result.etcdMembers?.alreadyStopped ?? []],
  ] as const;
  for (const [what, names] of lines) if (names.length) process.stderr.write(`${what}: ${names.join(', ')}\n`);
}

local
  .command('down')
  .description('stop the node processes (then the etcd members) of a local cluster by pid; the data stays in place')
  .requiredOption('--dir <dir>', 'the folder given to `local up`')
  .action(async (options: { dir: string }) => {
    try {
      reportDown(await localDown(options.dir));
    } catch (err) {
      fatal(err instanceof Error ? err.message : String(err));
    }
  });

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1');
  return n;
}

program.exitOverride((err) => {
  process.exitCode = err.exitCode === 0 ? 0 : 2;
  throw err;
});

program.parseAsync(process.argv).catch((err: { code?: string }) => {
  if (!err?.code?.startsWith('commander.')) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
});
