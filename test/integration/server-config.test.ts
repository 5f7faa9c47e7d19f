// Invalid configuration stops a node at start-up, naming the key, the value and what is allowed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cairnServer } from '../helpers/cli';
import { TestCluster } from '../helpers/cluster';

const dir = mkdtempSync(path.join(tmpdir(), 'cairn-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const start = (args: string[], env: Record<string, string> = {}) =>
  cairnServer(['--set', `base-dir=${dir}`, '--set', 'bind-address=127.0.0.1:1', ...args], { env, timeoutMs: 10_000 });

describe('cairn-server start-up validation', () => {
  it('refuses batch-records = 0 and negative values, naming the key', async () => {
    for (const value of ['0', '-3']) {
      const result = await start(['--set', `bifrost.replication.batch-records=${value}`]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`bifrost.replication.batch-records = "${value}" (from --set): must be >= 1`);
    }
  });

  it('--dump-config redacts the secrets', async () => {
    const result = await start(['--set', 'admin.token=hunter2', '--set', 'cluster-secret=s3cr3t', '--dump-config']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ adminToken: '(redacted)', clusterSecret: '(redacted)' });
    expect(result.stdout).not.toMatch(/hunter2|s3cr3t/);
  });

  it('refuses a bad value from the environment, naming the variable', async () => {
    const result = await start([], { CAIRN_NETWORKING__MESSAGE_SIZE_LIMIT: 'big' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('networking.message-size-limit = "big" (from env CAIRN_NETWORKING__MESSAGE_SIZE_LIMIT)');
  });

  it('refuses an unknown key in the config file', async () => {
    const file = path.join(dir, 'node.toml');
    writeFileSync(file, 'node-name = "n1"\n[bifrost]\nbatch-size = 10\n');
    const result = await cairnServer(['--config', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`unknown key 'bifrost.batch-size' (from file ${file})`);
  });

  it('refuses a record limit above the message limit, naming both keys', async () => {
    const result = await start(['--set', 'networking.message-size-limit=1MiB', '--set', 'bifrost.record-size-limit=2MiB']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('bifrost.record-size-limit (2 MiB) must not exceed networking.message-size-limit (1 MiB)');
  });

  it('refuses an unknown --set key in local up before starting anything', async () => {
    const attempt = TestCluster.start({ nodes: 1, sets: ['bifrost.turbo=1'] });
    await expect(attempt).rejects.toThrow("unknown key 'bifrost.turbo'");
  });
});
