// Large output through pipes: never cut at the 64 KiB pipe buffer, and `| head` is not an error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAIRNCTL, shell } from '../helpers/cli';
import { TestCluster } from '../helpers/cluster';

describe('cairnctl output through pipes', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    // 1000 partitions make `logs list` about 77 KiB as a table and 240 KiB as JSON. No more: an idle
    // node spends CPU on every partition (with 1500, about 28% of a core), and a node too busy to
    // answer cairnctl's 900 ms probe reads as unreachable (exit 3).
    cluster = await TestCluster.start({ nodes: 1, partitions: 1000 });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  const ctl = (args: string) => `CAIRN_ADDRESS=${cluster.address} ${process.execPath} ${CAIRNCTL} ${args}`;

  it('writes all of a >64 KiB table and JSON document to a slow reader', async () => {
    const table = await shell(`${ctl('logs list')} | (sleep 0.5; cat)`);
    expect(table.code).toBe(0);
    expect(table.stdout.length).toBeGreaterThan(64 * 1024);
    expect(table.stdout.trimEnd().split('\n')).toHaveLength(4 + 1 + 1000);
    const json = await shell(`${ctl('logs list -o json')} | (sleep 0.5; cat)`);
    expect(json.code).toBe(0);
    expect(json.stdout.length).toBeGreaterThan(64 * 1024);
    expect(JSON.parse(json.stdout).logs).toHaveLength(1000);
  });

  it('treats a reader that stops early (| head) as success, with nothing on stderr', async () => {
    const result = await shell(`${ctl('logs list')} | head -n 2`);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').slice(0, 2)).toEqual([expect.stringMatching(/^Logs v\d+$/), '└ Logs Provider: replicated']);
    expect(result.stderr).toBe('');
  });
});
