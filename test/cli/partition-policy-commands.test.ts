// The placement and leadership commands in process against a real 3-node cluster: restatectl's
// tables (piped: no colour, never cut) and JSON checked against its schema; id ranges with the
// reference's errors; `placement set` validation with the reference's texts and exit codes, and its
// question before an empty replica set; freezes and pins as show, partitions list and doctor report
// them. What the controller does with them (a leader moving, nothing replaced) is test/e2e's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoctorDocument, PartitionPoliciesDocument, PartitionPolicyChangeDocument, PartitionsListDocument } from '../../src/cli/output/documents';
import { TestCluster, waitUntil } from '../helpers/cluster';
import { runCli } from '../helpers/in-process';

const ANSI = /\u001b\[/;

describe('partitions placement and leadership, in process, against a 3-node cluster', () => {
  let cluster: TestCluster;
  const ctl = (...args: string[]) => runCli(['-s', cluster.address, ...args]);
  const json = async (...args: string[]) => {
    const result = await ctl(...args, '-o', 'json');
    return { ...result, json: JSON.parse(result.stdout) as unknown };
  };
  const policies = async (...ids: string[]) => PartitionPoliciesDocument.parse((await json('partitions', 'placement', 'show', ...ids)).json).partitions;

  beforeAll(async () => {
    cluster = await TestCluster.start({ nodes: 3 });
    await cluster.settled();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('placement show: one row per partition, its replica set and version, ENABLED; JSON per schema', async () => {
    const result = await ctl('partitions', 'placement', 'show');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toMatch(ANSI);
    const lines = result.stdout.replace(/\n$/, '').split('\n');
    expect(lines[0]).toMatch(/^ PARTITION +CURRENT +NEXT +AUTOMATIC PLACEMENT +$/);
    expect(lines.slice(1)).toHaveLength(4);
    for (const [i, row] of lines.slice(1).entries()) expect(row).toMatch(new RegExp(`^ ${i} +\\[N\\d, N\\d\\] \\(v\\d+\\) +- +ENABLED +$`));

    const document = await policies();
    expect(document.map((p) => p.partition_id)).toEqual([0, 1, 2, 3]);
    for (const entry of document) {
      expect(entry).toMatchObject({ version: expect.any(Number), pinned_node_id: null, pin_satisfied: null, leadership_frozen: null, placement_frozen: null, error: null });
      expect(entry.replica_set).toHaveLength(2);
      expect(entry.replica_set).toContain(entry.leader_node_id);
    }
  });

  it('ids take the range syntax, with the reference\'s errors; an unknown partition fails alone (exit 4)', async () => {
    expect((await policies('1-2', '0')).map((p) => p.partition_id)).toEqual([0, 1, 2]);
    const backwards = await ctl('partitions', 'leadership', 'show', '3-1');
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain('error: Invalid id range: 3..1 start must be <= end range');
    const garbage = await ctl('partitions', 'placement', 'freeze', 'x', '--reason', 'r');
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toContain("error: Invalid range syntax 'x'");

    const mixed = await json('partitions', 'leadership', 'show', '2-4');
    expect(mixed.code).toBe(4);
    expect(mixed.stderr).toBe('error: partition 4: no such partition: 4\nhint: partitions are 0 to 3\n');
    const entries = PartitionPoliciesDocument.parse(mixed.json).partitions;
    expect(entries.map((p) => [p.partition_id, p.error])).toEqual([
      [2, null],
      [3, null],
      [4, 'no such partition: 4'],
    ]);
    expect(entries[2]).toMatchObject({ version: null, leader_node_id: null, replica_set: null });
  });

  it('placement set refuses, with the reference\'s texts and a hint, duplicates, unknown partitions and nodes', async () => {
    const before = await policies('1');
    const duplicate = await ctl('partitions', 'placement', 'set', '1', '--replicas', '1,N1');
    expect(duplicate.code).toBe(2);
    expect(duplicate.stderr).toBe('error: partition 1: Replica node IDs must be unique.\nhint: [N1, N1] names a node twice; list each node once\n');
    const partition = await ctl('partitions', 'placement', 'set', '9', '-r', '1,2');
    expect(partition.code).toBe(4);
    expect(partition.stderr).toBe('error: partition 9: Partition 9 does not exist.\nhint: partitions are 0 to 3: `cairnctl partitions placement show`\n');
    const node = await json('partitions', 'placement', 'set', '1', '-r', '2,7');
    expect(node.code).toBe(4);
    expect(node.stderr).toBe('error: partition 1: Cannot place partition because node N7 is not part of the cluster.\nhint: pick nodes that `cairnctl nodes list` shows\n');
    expect(PartitionPolicyChangeDocument.parse(node.json).results).toEqual([
      expect.objectContaining({ partition_id: 1, changed: null, version: null, error: 'Cannot place partition because node N7 is not part of the cluster.' }),
    ]);
    const badNode = await ctl('partitions', 'placement', 'set', '1', '-r', 'N0');
    expect(badNode.code).toBe(2);
    expect(badNode.stderr).toContain("node ids start at 1");
    expect(await policies('1')).toEqual(before);
  });

  it('an empty replica set is asked about (--yes without a terminal), then the partition is UNASSIGNED while frozen', async () => {
    const refused = await ctl('partitions', 'placement', 'set', '2', '-r', '', '--freeze', 'drill');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('error: Set an empty replica set for partition 2? needs confirmation, and there is no terminal to ask on');
    expect((await policies('2'))[0]!.replica_set).toHaveLength(2);

    const emptied = await json('partitions', 'placement', 'set', '2', '-r', '', '--freeze', 'drill', '--yes');
    expect(emptied.code, emptied.stderr).toBe(0);
    expect(emptied.stderr).toContain('warning: with an empty replica set no node runs partition 2');
    const [result] = PartitionPolicyChangeDocument.parse(emptied.json).results;
    expect(result).toMatchObject({ partition_id: 2, changed: true, replica_set: [], placement_frozen: { reason: 'drill', frozen_at: expect.any(String) }, error: null });

    const shown = await ctl('partitions', 'placement', 'show', '2');
    expect(shown.stdout).toMatch(/\n 2 +UNASSIGNED +- +FROZEN: drill +\n$/);
    // Frozen, the controller does not place it again; the leader it had goes once it is no replica.
    await waitUntil('partition 2 to have no leader', async () => (await policies('2'))[0]!.leader_node_id === null);
    expect((await policies('2'))[0]!.replica_set).toEqual([]);

    const restored = await ctl('partitions', 'placement', 'set', '2', '-r', 'N1,N3');
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/^Partition 2 replica set is now \[N1, N3\] \(v\d+\)\. Automatic placement is frozen: drill\.\n$/);
    const unfrozen = await ctl('partitions', 'placement', 'unfreeze', '2');
    expect(unfrozen.stdout).toBe('Unfroze placement of partition 2.\n');
    expect((await ctl('partitions', 'placement', 'unfreeze', '2')).stdout).toBe('Placement of partition 2 is not frozen; nothing changed.\n');
    await waitUntil('partition 2 to have a leader again', async () => (await policies('2'))[0]!.leader_node_id !== null);
  });

  it('leadership pin, freeze and their undoing: the reference\'s messages, show, partitions list and the JSON', async () => {
    const pinned = await ctl('partitions', 'leadership', 'pin', '0', '3', '--node', 'N2');
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(pinned.stdout).toBe('Pinned partition 0 leader to node N2.\nPinned partition 3 leader to node N2.\n');
    expect((await ctl('partitions', 'leadership', 'pin', '0', '--node', '2')).stdout).toBe('Partition 0 leader is already pinned to node N2; nothing changed.\n');
    const frozen = await json('partitions', 'leadership', 'freeze', '1', '--reason', 'investigating');
    expect(frozen.code, frozen.stderr).toBe(0);
    expect(PartitionPolicyChangeDocument.parse(frozen.json).results[0]).toMatchObject({ partition_id: 1, changed: true, leadership_frozen: { reason: 'investigating' } });
    expect((await ctl('partitions', 'leadership', 'freeze', '1', '--reason', 'investigating')).stdout).toBe(
      'Leader election for partition 1 is already frozen for that reason; nothing changed.\n',
    );
    expect((await ctl('partitions', 'leadership', 'freeze', '0', '--reason', 'other')).stdout).toBe('Froze leader election for partition 0.\n');
    const missingReason = await ctl('partitions', 'leadership', 'freeze', '1');
    expect(missingReason.code).toBe(2);
    expect(missingReason.stderr).toContain("error: required option '--reason <text>' not specified");

    // Partition 3 is not frozen: N2 becomes its leader (joining its replica set if it was not in it).
    await waitUntil('N2 to lead partition 3', async () => (await policies('3'))[0]!.pin_satisfied === true);
    const shown = await ctl('partitions', 'leadership', 'show');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).not.toMatch(ANSI);
    const rows = shown.stdout.replace(/\n$/, '').split('\n');
    expect(rows[0]).toMatch(/^ PARTITION +LEADER +FREEZE +$/);
    expect(rows[1]).toMatch(/^ 0 +N\d( → 2)? +FROZEN: other +$/);
    expect(rows[2]).toMatch(/^ 1 +N\d +FROZEN: investigating +$/);
    expect(rows[4]).toMatch(/^ 3 +N2 +- +$/);

    const list = await json('partitions', 'list');
    expect(list.code, list.stderr).toBe(0);
    const held = PartitionsListDocument.parse(list.json).held;
    expect(held.map((h) => [h.partition_id, h.pinned_node_id, h.leadership_frozen?.reason ?? null, h.placement_frozen])).toEqual([
      [0, 2, 'other', null],
      [1, null, 'investigating', null],
      [3, 2, null, null],
    ]);
    const table = (await ctl('partitions', 'list')).stdout;
    expect(table).toMatch(/\nPinned or frozen by operators .*\n PARTITION +LEADER +PINNED +LEADERSHIP +PLACEMENT +\n 0 +N\d.* +N2 +FROZEN: other +- +\n 1 +N\d +- +FROZEN: investigating +- +\n 3 +N2 +N2 +- +- +\n$/);

    // With every leader alive, a frozen leadership is not a finding.
    const doctor = DoctorDocument.parse((await json('doctor')).json);
    expect(doctor.findings.map((f) => f.code)).not.toContain('partition-leadership-frozen');

    expect((await ctl('partitions', 'leadership', 'unfreeze', '0-1')).stdout).toBe('Unfroze leader election for partition 0.\nUnfroze leader election for partition 1.\n');
    expect((await ctl('partitions', 'leadership', 'unpin', '0', '3')).stdout).toBe('Unpinned partition 0 leader.\nUnpinned partition 3 leader.\n');
    expect((await ctl('partitions', 'leadership', 'unpin', '3')).stdout).toBe('Partition 3 leader is not pinned; nothing changed.\n');
    expect(PartitionsListDocument.parse((await json('partitions', 'list')).json).held).toEqual([]);
    // Undone, the documents carry no policy at all.
    for (const entry of await policies()) expect(entry).toMatchObject({ pinned_node_id: null, leadership_frozen: null, placement_frozen: null });
    expect((await ctl('partitions', 'list')).stdout).not.toContain('Pinned or frozen');
  });

  it('pinning to a node outside a frozen replica set warns that it cannot lead there', async () => {
    const [partition] = await policies('1');
    const outsider = [1, 2, 3].find((id) => !partition!.replica_set!.includes(id))!;
    await ctl('partitions', 'placement', 'freeze', '1', '--reason', 'hold');
    try {
      const pinned = await ctl('partitions', 'leadership', 'pin', '1', '--node', `N${outsider}`);
      expect(pinned.code, pinned.stderr).toBe(0);
      expect(pinned.stderr).toContain(`warning: partition 1: N${outsider} is not in its frozen replica set`);
      expect((await ctl('partitions', 'leadership', 'show', '1')).stdout).toMatch(new RegExp(`\\n 1 +N\\d → ${outsider} ✗ +- +\\n$`));
      // doctor warns (exit 0) and names the freeze that keeps the pin from being followed.
      const doctor = await json('doctor');
      expect(doctor.code, doctor.stderr).toBe(0);
      const finding = DoctorDocument.parse(doctor.json).findings.find((f) => f.code === 'partition-pin-unsatisfied');
      expect(finding).toMatchObject({ severity: 'warning', evidence: { partition_id: 1, pinned_node_id: outsider } });
      expect(finding!.summary).toContain(`N${outsider} is not in its frozen replica set`);
      expect(finding!.commands).toContain('cairnctl partitions placement unfreeze 1');
    } finally {
      await ctl('partitions', 'leadership', 'unpin', '1');
      await ctl('partitions', 'placement', 'unfreeze', '1');
    }
  });

  it('every new command has help with an example', async () => {
    for (const path of ['placement show', 'placement set', 'placement freeze', 'placement unfreeze', 'leadership show', 'leadership pin', 'leadership unpin', 'leadership freeze', 'leadership unfreeze']) {
      const help = await runCli(['partitions', ...path.split(' '), '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout, path).toContain(`Examples:\n  $ cairnctl partitions ${path}`);
    }
  });
});
