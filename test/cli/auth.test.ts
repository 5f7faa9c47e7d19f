// A cluster with admin.token set: `local up` provisions and waits for it with the token it
// configured, and cairnctl without the token (or with a wrong one) is told so with exit code 6,
// not that the cluster is down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogsListDocument } from '../../src/cli/output/documents';
import { TestCluster } from '../helpers/cluster';
import { runCli } from '../helpers/in-process';

describe('a cluster with an admin token', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    // This is `cairn-server local up --set admin.token=s3cret`: it fails unless local up sends the token.
    cluster = await TestCluster.start({ nodes: 3, sets: ['admin.token=s3cret'] });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('is provisioned and healthy after local up', async () => {
    const result = await runCli(['-s', cluster.address, '--token', 's3cret', 'logs', 'list', '-o', 'json']);
    expect(result.code, result.stderr).toBe(0);
    expect(LogsListDocument.parse(JSON.parse(result.stdout)).logs).toHaveLength(4);
  });

  it('refuses cairnctl without the token: exit 6 and a hint about --token and CAIRN_TOKEN', async () => {
    const result = await runCli(['-s', cluster.address, 'status']);
    expect(result.code).toBe(6);
    const [error, hint] = result.stderr.split('\n');
    expect(error).toMatch(/^error: http:\/\/127\.0\.0\.1:\d+ refused the request: missing or wrong admin token \(no token was given\)$/);
    expect(hint).toBe("hint: pass the cluster's admin token (the nodes' admin.token) with --token or CAIRN_TOKEN");
    expect(result.stderr).not.toContain('is cairn-server running');
  });

  it('says a wrong token was refused', async () => {
    const result = await runCli(['-s', cluster.address, '--token', 'guess', 'nodes', 'list']);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('(the token given was refused)');
  });
});
