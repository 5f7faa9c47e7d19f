// A node's V8 helper threads (background compiles, concurrent marking and sweeping) and its stores'
// checkpoint threads run at nice 19 so that, on a machine whose cores are all busy, its request
// path runs first; the threads that carry that path (the main thread, libuv's pool with the
// fdatasyncs) keep the process's priority. Read from /proc on a real node after it has taken
// writes.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from '../helpers/cluster';
import { writeNumberedKeys } from '../helpers/kv';

/** The nice value of each thread of `pid`, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceValues(pid: number): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // The command name in parentheses may hold spaces; the fields after it are plain.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    nice.set(Number(tid), Number(fields[16]));
  }
  return nice;
}

describe.runIf(process.platform === 'linux')('thread priorities of a node', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 1 });
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it("lowers V8's helpers and the checkpoint threads to nice 19 and leaves the request path's at the process's", async () => {
    const written = new Map<string, string>();
    // Concurrent writers, so that fdatasyncs overlap and libuv's pool has started.
    await Promise.all([0, 1, 2, 3].map((w) => writeNumberedKeys([cluster.info.nodes[0]!.ingress], `prio-${w}`, 25, written)));
    expect(written.size).toBe(100);

    const pid = cluster.node('n1').pid;
    const nice = threadNiceValues(pid);
    expect(nice.get(pid)).toBe(0);
    const lowered = [...nice].filter(([, value]) => value === 19).map(([tid]) => tid);
    const normal = [...nice].filter(([tid, value]) => value === 0 && tid !== pid).map(([tid]) => tid);
    // V8's platform has four workers by default, started before any JavaScript runs; each of the
    // node's two stores (log store, partition store) has a checkpoint thread.
    expect(lowered.length).toBeGreaterThanOrEqual(4 + 2);
    // Only libuv's pool (all its threads start at its first use) keeps the process's priority.
    expect(normal.length).toBe(Number(process.env.UV_THREADPOOL_SIZE ?? 4));
    expect(nice.size).toBe(1 + lowered.length + normal.length);
  });
});
