// cairnctl metadata get|put|patch and config set against a real 3-node cluster (in process): a dry
// run checks and writes nothing, a stale --expected-version and a document that breaks the key's
// schema are refused, and a confirmed write is a compare-and-set the nodes take.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSetDocument, MetadataDocumentDocument, MetadataWriteDocument } from '../../src/cli/output/documents';
import { TestCluster, waitUntil } from '../helpers/cluster';
import { runCli } from '../helpers/in-process';

describe('metadata commands, in process, against a 3-node cluster', () => {
  let cluster: TestCluster;
  const scratch = mkdtempSync(path.join(tmpdir(), 'cairn-metadata-'));
  const ctl = (...args: string[]) => runCli(['-s', cluster.address, ...args]);
  const get = async (key: string) => MetadataDocumentDocument.parse(JSON.parse((await ctl('metadata', 'get', '-k', key, '-o', 'json')).stdout));

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
  });
  afterAll(async () => {
    await cluster?.destroy();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('get prints a document with its version, as a table and as JSON', async () => {
    const table = await ctl('metadata', 'get', '-k', 'partition_table');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^partition_table \(v\d+\)\n\{\n/);
    const epoch = await get('pp_epoch_0');
    expect(epoch.value).toMatchObject({ epoch: expect.any(Number), replica_set: expect.any(Array) });
    const unknown = await ctl('metadata', 'get', '-k', 'nodes');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown metadata key 'nodes'");
  });

  it('patch --dry-run shows the diff and changes nothing', async () => {
    const before = await get('partition_table');
    const name = (before.value as { partitions: Array<{ id: number }> }).partitions.length;
    const dry = await ctl('metadata', 'patch', '-k', 'partition_table', '-p', '[{"op":"add","path":"/note","value":"x"}]', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`partition_table v${before.version}, would change (dry run, nothing written):`);
    expect(dry.stdout).toContain('+   "note": "x"');
    const json = MetadataWriteDocument.parse(JSON.parse((await ctl('metadata', 'patch', '-k', 'partition_table', '-p', '[{"op":"add","path":"/note","value":"x"}]', '--dry-run', '-o', 'json')).stdout));
    expect(json).toMatchObject({ dry_run: true, changed: true, version: null, previous_version: before.version });
    expect((await get('partition_table')).version).toBe(before.version);
    expect(name).toBeGreaterThan(0);
  });

  it('refuses a stale --expected-version with both versions, and a document that breaks the schema', async () => {
    const before = await get('bifrost_config');
    const stale = await ctl('metadata', 'patch', '-k', 'bifrost_config', '-p', '[{"op":"test","path":"/logs/0/log_id","value":0}]', '--expected-version', String(before.version + 5), '--yes');
    expect(stale.code).toBe(5);
    expect(stale.stderr).toContain(`bifrost_config is at v${before.version}, not v${before.version + 5}`);
    const staleWrite = await ctl('metadata', 'patch', '-k', 'pp_epoch_0', '-p', '[{"op":"replace","path":"/epoch","value":999}]', '--expected-version', '999', '--yes');
    expect(staleWrite.code).toBe(5);
    expect(staleWrite.stderr).toMatch(/pp_epoch_0 is at v\d+, not v999/);
    const file = path.join(scratch, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...(before.value as object), logs: 'none' }));
    const broken = await ctl('metadata', 'put', '-k', 'bifrost_config', file, '--yes');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('the value is not a valid bifrost_config document: logs:');
    expect(broken.stderr).toContain('--force');
    expect((await get('bifrost_config')).version).toBe(before.version);
  });

  it('writes a confirmed document as a compare-and-set, and the nodes take it', async () => {
    const before = await get('partition_table');
    const file = path.join(scratch, 'table.json');
    writeFileSync(file, JSON.stringify({ ...(before.value as object) }, null, 2));
    const same = await ctl('metadata', 'put', '-k', 'partition_table', file);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toContain('already holds this document: nothing to write');
    const unconfirmed = await ctl('metadata', 'patch', '-k', 'pp_epoch_0', '-p', '[{"op":"replace","path":"/epoch","value":50}]');
    expect(unconfirmed.code).toBe(2);
    const epoch = await get('pp_epoch_0');
    const written = await ctl('metadata', 'patch', '-k', 'pp_epoch_0', '-p', '[{"op":"replace","path":"/epoch","value":50}]', '--expected-version', String(epoch.version), '--yes', '-o', 'json');
    expect(written.code, written.stderr).toBe(0);
    const outcome = MetadataWriteDocument.parse(JSON.parse(written.stdout));
    expect(outcome).toMatchObject({ dry_run: false, changed: true, previous_version: epoch.version });
    expect(outcome.version).toBeGreaterThan(epoch.version);
    await waitUntil('every node to hold epoch 50 of partition 0 (or a later one)', async () => (await get('pp_epoch_0')).version >= outcome.version!);
  });

  it('config set: a diff and no write on a dry run, refusals for repartitioning and too few log-servers, then the change', async () => {
    const logsBefore = await get('bifrost_config');
    const dry = await ctl('config', 'set', '--log-replication', '3', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('-  ├ Log replication: {node: 2}');
    expect(dry.stdout).toContain('+  ├ Log replication: {node: 3}');
    expect((await get('bifrost_config')).version).toBe(logsBefore.version);
    const same = await ctl('config', 'set', '--log-replication', '2');
    expect(`${same.code} ${same.stdout}`).toBe('0 🤷 No changes\n');
    const repartition = await ctl('config', 'set', '-n', '9', '--yes');
    expect(repartition.code).toBe(5);
    expect(repartition.stderr).toContain('cairn does not repartition');
    const tooMany = await ctl('config', 'set', '--log-replication', '4', '--yes');
    expect(tooMany.code).toBe(5);
    expect(tooMany.stderr).toContain('the cluster has 3 log-servers and 3 workers, too few for log replication {node: 4}');
    const applied = await ctl('config', 'set', '--log-replication', '3', '--nodeset-size', '3', '--yes', '-o', 'json');
    expect(applied.code, applied.stderr).toBe(0);
    const outcome = ConfigSetDocument.parse(JSON.parse(applied.stdout));
    expect(outcome.logs_version).toBeGreaterThan(logsBefore.version);
    const tree = await ctl('config', 'get');
    expect(tree.stdout).toContain(' ├ Log replication: {node: 3}\n └ Nodeset size: 3\n');
  });
});
