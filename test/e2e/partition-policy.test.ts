// What the cluster controller does with operators' placement and leadership policies, on real
// processes: a pinned leader moves to its node (measured); with leader election frozen, killing the
// leader's node leaves the partition without a working leader (while an unfrozen partition pinned to
// the same node fails over), doctor says so with the command that unfreezes it, and unfreezing
// elects a new leader (measured); a frozen replica set keeps a member that is dead for longer than
// the replica-replacement delay (while an unfrozen one is replaced) until it is unfrozen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoctorDocument, PartitionPoliciesDocument } from '../../src/cli/output/documents';
import { alive, TestCluster, waitUntil } from '../helpers/cluster';

type Policy = ReturnType<typeof PartitionPoliciesDocument.parse>['partitions'][number];

describe('placement and leadership policies, honoured by the controller', () => {
  let cluster: TestCluster;
  const policy = async (id: number): Promise<Policy> =>
    PartitionPoliciesDocument.parse(await cluster.ctlJson(['partitions', 'leadership', 'show', String(id)])).partitions[0]!;
  const ctlOk = async (...args: string[]) => {
    const result = await cluster.ctl(args);
    expect(result.code, `cairnctl ${args.join(' ')}: ${result.stderr}`).toBe(0);
    return result;
  };
  /** Whether `node` runs partition `id` as an active processor in `mode`. */
  const runs = async (node: number, id: number, mode: 'leader' | 'follower') =>
    (await cluster.processors()).some((p) => p.node_id === node && p.partition_id === id && p.mode === mode && p.status === 'active');
  const killAndWait = async (name: string) => {
    const pid = cluster.node(name).pid;
    cluster.kill(name, 'SIGKILL');
    await waitUntil(`${name} to die`, async () => !alive(pid));
  };

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
    await cluster.settled();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('pin moves the leader to N3; frozen, its death leaves the partition leaderless until unfrozen', async () => {
    // Start from N3 as a caught-up follower of partition 1 led by N2, so that the pin moves leadership.
    await ctlOk('partitions', 'leadership', 'pin', '1', '--node', 'N2');
    await waitUntil('N2 to lead partition 1', () => runs(2, 1, 'leader'));
    await ctlOk('partitions', 'placement', 'set', '1', '--replicas', 'N2,N3');
    await waitUntil('N3 to follow partition 1', () => runs(3, 1, 'follower'));
    const before = await policy(1);

    const pinnedAt = Date.now();
    const pinned = await ctlOk('partitions', 'leadership', 'pin', '1', '--node', 'N3');
    expect(pinned.stdout).toBe('Pinned partition 1 leader to node N3.\n');
    await waitUntil('N3 to lead partition 1', () => runs(3, 1, 'leader'), 10_000, 50);
    const moved = Date.now() - pinnedAt;
    console.log(`pinned leader took over in ${moved} ms`);
    expect(await policy(1)).toMatchObject({ leader_node_id: 3, pinned_node_id: 3, pin_satisfied: true, epoch: before.epoch! + 1 });

    // The control: partition 3, pinned to N3 but not frozen, fails over when N3 dies.
    await ctlOk('partitions', 'leadership', 'pin', '3', '--node', 'N3');
    await waitUntil('N3 to lead partition 3', () => runs(3, 3, 'leader'));
    expect((await ctlOk('partitions', 'leadership', 'freeze', '1', '--reason', 'investigating N3')).stdout).toBe('Froze leader election for partition 1.\n');
    const frozen = await policy(1);

    await killAndWait('n3');
    await waitUntil('partition 3 to fail over to another node', async () => {
      const control = await policy(3);
      return control.leader_node_id !== 3 && control.leader_node_id !== null;
    }, 20_000);
    // The controller has acted on N3's death (above); partition 1 was left as it was.
    expect(await policy(1)).toMatchObject({ leader_node_id: 3, epoch: frozen.epoch, leadership_frozen: { reason: 'investigating N3' } });
    const shown = await ctlOk('partitions', 'leadership', 'show', '1');
    expect(shown.stdout).toMatch(/\n 1 +N3 +FROZEN: investigating N3 +\n$/);

    const doctor = await cluster.ctl(['doctor', '-o', 'json']);
    expect(doctor.code).toBe(1);
    const finding = DoctorDocument.parse(JSON.parse(doctor.stdout)).findings.find((f) => f.code === 'partition-leadership-frozen');
    expect(finding).toMatchObject({
      severity: 'error',
      summary: expect.stringContaining('its leader N3 is down'),
      evidence: { partition_id: 1, leader_node_id: 3, reason: 'investigating N3' },
      commands: expect.arrayContaining(['cairnctl partitions leadership unfreeze 1']),
    });
    expect((await cluster.ctl(['doctor'])).stdout).toContain('$ cairnctl partitions leadership unfreeze 1');

    const unfrozenAt = Date.now();
    expect((await ctlOk('partitions', 'leadership', 'unfreeze', '1')).stdout).toBe('Unfroze leader election for partition 1.\n');
    await waitUntil('a new leader of partition 1', () => runs(2, 1, 'leader'), 10_000, 50);
    const elected = Date.now() - unfrozenAt;
    console.log(`new leader after unfreezing in ${elected} ms`);
    expect((await policy(1)).epoch).toBeGreaterThan(frozen.epoch!);

    await ctlOk('partitions', 'leadership', 'unpin', '1', '3');
    await cluster.up();
    await cluster.settled();
  });

  it('a frozen replica set keeps a dead member past the replacement delay; unfrozen, it is replaced', async () => {
    await ctlOk('partitions', 'placement', 'set', '0', '-r', 'N1,N3', '--freeze', 'disk swap on N3');
    // The control, not frozen: the controller replaces N3 here once it has been gone long enough.
    await ctlOk('partitions', 'placement', 'set', '2', '-r', 'N2,N3');
    const placement = async (id: number) =>
      PartitionPoliciesDocument.parse(await cluster.ctlJson(['partitions', 'placement', 'show', String(id)])).partitions[0]!;
    expect(await placement(0)).toMatchObject({ replica_set: [1, 3], placement_frozen: { reason: 'disk swap on N3' } });

    await killAndWait('n3');
    await waitUntil('N3 to be replaced in partition 2', async () => !(await placement(2)).replica_set!.includes(3), 40_000, 500);
    expect((await placement(0)).replica_set).toEqual([1, 3]);
    const shown = (await ctlOk('partitions', 'placement', 'show', '0')).stdout;
    expect(shown).toMatch(/\n 0 +\[N1, N3\] \(v\d+\) +- +FROZEN: disk swap on N3 +\n$/);
    const doctor = DoctorDocument.parse(JSON.parse((await cluster.ctl(['doctor', '-o', 'json'])).stdout));
    expect(doctor.findings.find((f) => f.code === 'partition-placement-frozen')).toMatchObject({
      severity: 'warning',
      evidence: { partition_id: 0, down_node_ids: [3] },
      commands: expect.arrayContaining(['cairnctl partitions placement unfreeze 0']),
    });

    await ctlOk('partitions', 'placement', 'unfreeze', '0');
    await waitUntil('N3 to be replaced in partition 0', async () => !(await placement(0)).replica_set!.includes(3), 10_000);
    expect((await placement(0)).replica_set).toHaveLength(2);
  });
});
