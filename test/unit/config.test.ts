import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, envVarName, loadConfig } from '../../src/server/config';
import { parseSize } from '../../src/server/size';

const file = (toml: string) => {
  const p = path.join(mkdtempSync(path.join(tmpdir(), 'cairn-config-')), 'node.toml');
  writeFileSync(p, toml);
  return p;
};

const problems = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a configuration error');
};

describe('configuration', () => {
  it('layers --set over environment over file over defaults', () => {
    const config = file('node-name = "from-file"\ncluster-name = "c1"\n[networking]\nmessage-size-limit = "16MiB"\n');
    const loaded = loadConfig({
      file: config,
      env: { CAIRN_NODE_NAME: 'from-env', CAIRN_NETWORKING__MESSAGE_SIZE_LIMIT: '8MiB' },
      sets: ['networking.message-size-limit=4MiB'],
    });
    expect(loaded.nodeName).toBe('from-env');
    expect(loaded.clusterName).toBe('c1');
    expect(loaded.messageSizeLimit).toBe(4 * 1024 * 1024);
    expect(loaded.recordSizeLimit).toBe(4 * 1024 * 1024 - 64 * 1024);
    expect(loaded.replicationBatchRecords).toBe(64);
    expect(loaded.advertisedAddress).toBe('http://127.0.0.1:5122');
  });

  it('maps dotted kebab keys to environment names', () => {
    expect(envVarName('bifrost.replication.batch-bytes')).toBe('CAIRN_BIFROST__REPLICATION__BATCH_BYTES');
  });

  it('names the key, the value and the rule for a bad value', () => {
    const message = problems(() => loadConfig({ sets: ['bifrost.replication.batch-records=0'] }));
    expect(message).toContain('bifrost.replication.batch-records = "0" (from --set): must be >= 1');
    expect(problems(() => loadConfig({ sets: ['bifrost.replication.batch-records=-5'] }))).toContain('must be >= 1');
    expect(problems(() => loadConfig({ sets: ['networking.message-size-limit=lots'] }))).toContain(
      'networking.message-size-limit = "lots" (from --set): expected a size such as 32MiB',
    );
    expect(problems(() => loadConfig({ env: { CAIRN_ROLES: 'worker,cook' } }))).toMatch(/roles.*from env CAIRN_ROLES/);
  });

  it('names an unknown key and where it came from', () => {
    const config = file('[bifrost]\nrecord-limit = "1MiB"\n');
    const message = problems(() => loadConfig({ file: config }));
    expect(message).toContain(`unknown key 'bifrost.record-limit' (from file ${config})`);
  });

  it('refuses incompatible limits naming both keys', () => {
    const message = problems(() => loadConfig({ sets: ['networking.message-size-limit=1MiB', 'bifrost.record-size-limit=2MiB'] }));
    expect(message).toContain('bifrost.record-size-limit (2 MiB) must not exceed networking.message-size-limit (1 MiB)');
    const batch = problems(() => loadConfig({ sets: ['networking.message-size-limit=1MiB', 'bifrost.replication.batch-bytes=4MiB'] }));
    expect(batch).toContain('bifrost.replication.batch-bytes (4 MiB) must not exceed networking.message-size-limit (1 MiB)');
  });

  it('parses sizes with units', () => {
    expect(parseSize('32MiB')).toBe(32 * 1024 * 1024);
    expect(parseSize('512 KiB')).toBe(512 * 1024);
    expect(parseSize('1MB')).toBe(1_000_000);
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('12 parsecs')).toBeNaN();
  });
});
