// How cairnctl reads a command line, in process and without a cluster: restatectl's prefixes and
// aliases, global options anywhere, unknown options before missing ones, help for any path, the
// version, addresses checked as usage errors, and the registry every command comes from.
import { describe, expect, it } from 'vitest';
import { resolveArgv } from '../../src/cli/argv';
import { COMMANDS } from '../../src/cli/commands/index';
import { GLOBAL_OPTIONS } from '../../src/cli/globals';
import { CompletionsDocument } from '../../src/cli/output/documents';
import { buildProgram, versionText } from '../../src/cli/program';
import { allocatePorts } from '../../src/server/local/cluster';
import { runCli, testIO, widestLine } from '../helpers/in-process';

const resolve = (line: string) => resolveArgv(line.split(' '), COMMANDS, Object.values(GLOBAL_OPTIONS));

describe('command words', () => {
  it('take any unambiguous prefix at every level, and aliases', () => {
    expect(resolve('snapshot create 0').argv).toEqual(['snapshots', 'create-snapshot', '0']);
    expect(resolve('snap cr 0').path).toEqual(['snapshots', 'create-snapshot']);
    expect(resolve('partition list').path).toEqual(['partitions', 'list']);
    expect(resolve('part ls').path).toEqual(['partitions', 'list']);
    expect(resolve('-s 127.0.0.1:1 rep serv').argv).toEqual(['-s', '127.0.0.1:1', 'replicated-loglet', 'servers']);
    expect(resolve('logs find 0-3').path).toEqual(['logs', 'find-tail']);
    // Words after the command are its arguments, never command words.
    expect(resolve('logs describe list').argv).toEqual(['logs', 'describe', 'list']);
  });

  it('exit 2 with the candidates when a prefix is ambiguous', async () => {
    const result = await runCli(['s']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("error: 's' is ambiguous: it could be status, snapshots\nhint: type more of the command name\n");
    const nested = await runCli(['replicated-loglet', 's']);
    expect(nested.code).toBe(2);
    expect(nested.stderr).toContain("error: 'replicated-loglet s' is ambiguous: it could be replicated-loglet servers, replicated-loglet set-storage-state");
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown command 'frobnicate'");
  });

  it('every command path resolves from its shortest unambiguous prefixes', () => {
    for (const definition of COMMANDS) {
      const words = definition.path.map((word, i) => {
        const siblings = COMMANDS.filter((d) => d.path.length === i + 1 && definition.path.slice(0, i).every((w, j) => d.path[j] === w)).map((d) => d.path[i]!);
        let n = 1;
        while (siblings.filter((s) => s.startsWith(word.slice(0, n))).length > 1 && n < word.length) n++;
        return word.slice(0, n);
      });
      expect(resolveArgv(words, COMMANDS, Object.values(GLOBAL_OPTIONS)).path, words.join(' ')).toEqual(definition.path);
    }
  });
});

describe('options', () => {
  it('--server and --node are the same as --address and --nodes; -y is global, before or after the verb', () => {
    expect(resolve('--server 127.0.0.1:1 status').argv).toEqual(['--address', '127.0.0.1:1', 'status']);
    expect(resolve('nodes set-storage-state --node=3 --storage-state gone').argv).toEqual(['nodes', 'set-storage-state', '--nodes=3', '--storage-state', 'gone']);
  });

  it('reach the command with -y before the verb and --node alone (the cluster is simply not there)', async () => {
    const [port] = await allocatePorts(1);
    const seal = await runCli(['-y', 'logs', 'seal', '3', '-s', `127.0.0.1:${port}`]);
    expect(seal.code).toBe(3);
    expect(seal.stderr).toContain('cannot reach any node');
    const node = await runCli(['--server', `127.0.0.1:${port}`, 'nodes', 'set-storage-state', '--node', '3', '--storage-state', 'read-only']);
    expect(node.code).toBe(3);
  });

  it('report an unknown option before a missing required one', async () => {
    const nodeId = await runCli(['nodes', 'set-storage-state', '--node-id', '3']);
    expect(nodeId.code).toBe(2);
    expect(nodeId.stderr).toMatch(/^error: unknown option '--node-id'/);
    const bogus = await runCli(['nodes', 'set-storage-state', '--bogus']);
    expect(bogus.stderr).toMatch(/^error: unknown option '--bogus'/);
    const missing = await runCli(['nodes', 'set-storage-state', '--storage-state', 'gone']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: required option '--nodes <ids>' not specified/);
    const trim = await runCli(['logs', 'trim', '0']);
    expect(trim.stderr).toMatch(/^error: required option '-t, --trim-point <lsn>' not specified/);
  });

  it('check addresses as usage errors that name the value', async () => {
    const empty = await runCli(['-s', '', 'status']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('an address cannot be empty');
    const port = await runCli(['-s', '45709', 'status']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain("'45709' is a port, not an address; did you mean 127.0.0.1:45709?");
    const scheme = await runCli(['-S', 'ftp://host:1', 'status']);
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toContain('only http:// and https:// are supported');
    const both = await runCli(['-s', '127.0.0.1:1', '-S', '127.0.0.1:2', 'status']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('cannot be used with option');
  });

  it('check the TLS options together, as usage errors naming the flags and files', async () => {
    const certWithoutKey = await runCli(['--tls-cert', '/no/such/client.crt', '--tls-ca', '/no/such/ca.crt', 'status']);
    expect(certWithoutKey.code).toBe(2);
    expect(certWithoutKey.stderr).toMatch(/^error: --tls-cert needs --tls-key: .*\nhint: give both --tls-cert and --tls-key/);
    const keyWithoutCert = await runCli(['--tls-key', '/no/such/client.key', 'status']);
    expect(keyWithoutCert.code).toBe(2);
    expect(keyWithoutCert.stderr).toContain('error: --tls-key needs --tls-cert');
    const withoutCa = await runCli(['--tls-cert', '/no/such/client.crt', '--tls-key', '/no/such/client.key', 'status']);
    expect(withoutCa.code).toBe(2);
    expect(withoutCa.stderr).toContain('error: --tls-cert needs --tls-ca');
    const unreadable = await runCli(['--tls-ca', '/no/such/ca.crt', 'status']);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toBe('error: --tls-ca /no/such/ca.crt: cannot read it (no such file)\n');
  });
});

describe('help and version', () => {
  it('help, help <group> and help <command> exit 0 with that path\'s help; prefixes work there too', async () => {
    const root = await runCli(['help']);
    expect(root.code).toBe(0);
    expect(root.stdout).toContain('Usage: cairnctl [options] [command]');
    const group = await runCli(['help', 'nodes']);
    expect(group.code).toBe(0);
    expect(group.stdout).toContain('Usage: cairnctl nodes [options] [command]');
    const command = await runCli(['help', 'logs', 'trim']);
    expect(command.code).toBe(0);
    expect(command.stdout).toContain('Usage: cairnctl logs trim [options] <log-ids...>');
    expect((await runCli(['help', 'snap', 'cr'])).stdout).toContain('Usage: cairnctl snapshots create-snapshot');
    // A group without a verb is a usage error that shows the group's help.
    const bare = await runCli(['logs']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Usage: cairnctl logs');
  });

  it('every command has a description and an example, and help wraps to the terminal', async () => {
    for (const definition of COMMANDS) {
      if (definition.kind !== 'command') continue;
      expect(definition.examples.length, definition.path.join(' ')).toBeGreaterThan(0);
      for (const width of [60, 100]) {
        const help = await runCli([...definition.path, '--help'], { shape: { stdoutColumns: width } });
        expect(help.code).toBe(0);
        expect(help.stdout).toContain('Examples:');
        expect(help.stdout).toContain('--output');
        // Everything wraps but the usage line, example command lines (which must stay copyable) and a
        // line holding one word longer than the column (CAIRN_INSECURE_SKIP_TLS_VERIFY at 60 columns).
        const oneWord = (l: string) => !/\s/.test(l.trim());
        const wide = help.stdout.split('\n').filter((l) => widestLine(l) > width && !l.trimStart().startsWith('$ ') && !l.startsWith('Usage:') && !oneWord(l));
        expect(wide, `${definition.path.join(' ')} at ${width} columns`).toEqual([]);
      }
    }
  });

  it('-V prints the version with the commit and build date', async () => {
    const result = await runCli(['-V']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${versionText()}\n`);
    expect(versionText()).toMatch(/^cairnctl \S+ \(\S+ \S+\)$/);
  });
});

describe('the registry', () => {
  it('builds a commander tree whose options match their declared names', () => {
    const { io } = testIO();
    const program = buildProgram(io, COMMANDS, { run: async () => undefined });
    const paths = (command: typeof program, prefix: string[] = []): string[][] =>
      command.commands.filter((c) => c.name() !== 'help').flatMap((c) => [[...prefix, c.name()], ...paths(c, [...prefix, c.name()])]);
    expect(paths(program).map((p) => p.join(' ')).sort()).toEqual(COMMANDS.map((d) => d.path.join(' ')).sort());
  });

  it('prints the completion tree as snake_case JSON that matches its schema', async () => {
    const result = await runCli(['completions', 'bash', '-o', 'json']);
    expect(result.code).toBe(0);
    const tree = CompletionsDocument.parse(JSON.parse(result.stdout));
    expect(tree.children.find((c) => c.names[0] === 'completions')!.arguments).toEqual([{ name: 'shell', required: true, variadic: false, choices: ['bash', 'zsh', 'fish'] }]);
  });
});
