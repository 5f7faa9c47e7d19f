// Short chaos runs inside `npm test`: a real 3-node cluster, three clients, 20 s of faults with a
// fixed seed, then every check. Once on the embedded store with kill -9 and restart, once on etcd
// with kills of etcd members, alone and with their node: faults the runtime is known to survive,
// so any violation here is a regression; the longer runs with every fault are `npm run chaos`.
import { describe, expect, it } from 'vitest';
import { ChaosCluster } from './cluster';
import { CHAOS_SETTINGS, runChaos, type ChaosOptions } from './run';

const CASES = [
  { title: '20 s of kill -9 and restart on the embedded store', metadata: 'embedded', faults: ['kill'], injected: /kill\s+kill -9\s+n\d/ },
  {
    title: '20 s of kill -9 of etcd members, alone and with their node',
    metadata: 'etcd',
    faults: ['etcd-kill', 'kill-with-etcd'],
    injected: /(etcd-kill\s+kill -9 member|kill-with-etcd\s+kill -9 both)\s+n\d\s+.*etcd pid \d+/,
  },
] as const;

describe('chaos smoke', () => {
  for (const { title, metadata, faults, injected } of CASES) {
    it(`${title}: no violation, and the harness really ran`, { timeout: 240_000 }, async () => {
      const options: ChaosOptions = { seconds: 20, seed: 1, nodes: 3, metadata, faults: [...faults], clients: 3, keys: 6, sets: CHAOS_SETTINGS, keep: false };
      const cluster = ChaosCluster.create(options.nodes, options.sets, options.metadata);
      const lines: string[] = [];
      try {
        const result = await runChaos(options, cluster, new AbortController().signal, (line) => lines.push(line));
        const report = lines.join('\n');
        expect(result.violations, report).toEqual([]);
        expect(result.faults, report).toBeGreaterThanOrEqual(1);
        expect(result.ops, report).toBeGreaterThan(100);
        expect(report).toMatch(injected);
        expect(report).toMatch(/liveness: 4 of 4 partitions took a write within 5s/);
        expect(report).toMatch(/replicas: compared [1-9]\d* committed offsets/);
        expect(report).toMatch(/per partition's probe \(a write every 100 ms\): p0 [\d.]+s from [\d.]+s, p1 .*, p2 .*, p3 [\d.]+s from/);
      } finally {
        expect(cluster.cleanup(false)).toEqual([]);
      }
    });
  }
});
