// The port allocator of local clusters: ports outside the kernel's ephemeral range, free when handed
// out, never handed out twice; and n1's default port is the CLI's default address.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ADDRESS } from '../../src/cli/address';
import { allocatablePortRanges, allocatePorts, bindsOnLoopback, CLI_DEFAULT_PORT } from '../../src/server/local/cluster';

describe('port allocation for local clusters', () => {
  it('draws from the ports above 10000 outside the ephemeral range', () => {
    expect(allocatablePortRanges([32768, 60999])).toEqual([
      [10000, 32767],
      [61000, 65535],
    ]);
    expect(allocatablePortRanges([1024, 65535])).toEqual([[10000, 65535]]);
    expect(allocatablePortRanges([10000, 60999])).toEqual([[61000, 65535]]);
    expect(allocatablePortRanges([5000, 40000])).toEqual([[40001, 65535]]);
  });

  it('hands out distinct free ports outside this machine\'s ephemeral range, never the same twice', async () => {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    const first = await allocatePorts(40);
    const second = await allocatePorts(40);
    const all = [...first, ...second];
    expect(new Set(all).size).toBe(80);
    for (const port of all) {
      expect(port).toBeGreaterThanOrEqual(10000);
      expect(port < low! || port > high!, `port ${port} is in the ephemeral range ${low}-${high}`).toBe(true);
    }
    // Each is free: it binds now.
    for (const port of first.slice(0, 5)) expect(await bindsOnLoopback(port)).toBe(true);
  });

  it('reports a port something listens on as taken', async () => {
    const [port] = await allocatePorts(1);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      expect(await bindsOnLoopback(port!)).toBe(false);
    } finally {
      server.close();
    }
  });

  it('gives n1 the address cairnctl uses by default', () => {
    expect(DEFAULT_ADDRESS).toBe(`http://127.0.0.1:${CLI_DEFAULT_PORT}`);
  });
});
