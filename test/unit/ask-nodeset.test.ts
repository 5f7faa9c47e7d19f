// askNodeset (sealing, find-tail) with a member that never answers, as a paused log-server does:
// once an f-majority answered, it must stop waiting when its patience runs out, not at the deadline.
// Only the timers are faked, not Date: the patience timer then fires while Date.now() has barely
// moved, as a real timer may fire a millisecond early, which once left every seal with a paused
// member waiting the full 10 s deadline.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ReplicatedLogletParams } from '../../src/api/schemas';
import { askNodeset, type MemberStates } from '../../src/server/bifrost/sealer';

const params: ReplicatedLogletParams = { loglet_id: 1, sequencer: 'N1:1', replication: { node: 2 }, nodeset: [1, 2, 3] };
const allCount: MemberStates = { holdsData: () => true, authoritative: () => true };
/** N3 is paused: its request never settles. */
const ask = (id: number) => (id === 3 ? new Promise<string>(() => undefined) : Promise.resolve(`answer of N${id}`));

describe('askNodeset with a paused member', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves with the f-majority once patience runs out, however little the clock moved', async () => {
    let answers: Awaited<ReturnType<typeof askNodeset<string>>> | undefined;
    void askNodeset(params, allCount, ask).then((a) => (answers = a));
    await vi.advanceTimersByTimeAsync(1_499);
    expect(answers, 'resolved before its patience ran out').toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(answers?.needed).toBe(2);
    expect([...answers!.counted.keys()].sort()).toEqual([1, 2]);
  });

  it('does not wait for a member known to be unreachable', async () => {
    let answers: Awaited<ReturnType<typeof askNodeset<string>>> | undefined;
    void askNodeset(params, { ...allCount, unreachable: (id) => id === 3 }, ask).then((a) => (answers = a));
    await vi.advanceTimersByTimeAsync(0);
    expect([...answers!.counted.keys()].sort()).toEqual([1, 2]);
  });

  it('waits out its patience for a paused member the controller still counts as alive', async () => {
    let answers: Awaited<ReturnType<typeof askNodeset<string>>> | undefined;
    void askNodeset(params, { ...allCount, unreachable: (id) => id === 2 }, ask).then((a) => (answers = a));
    await vi.advanceTimersByTimeAsync(1_499);
    expect(answers).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect([...answers!.counted.keys()].sort()).toEqual([1, 2]);
  });

  it('waits for the deadline when fewer than an f-majority answered', async () => {
    let answers: Awaited<ReturnType<typeof askNodeset<string>>> | undefined;
    const twoPaused = (id: number) => (id === 1 ? Promise.resolve('answer of N1') : new Promise<string>(() => undefined));
    void askNodeset(params, allCount, twoPaused).then((a) => (answers = a));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(answers).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect([...answers!.counted.keys()]).toEqual([1]);
  });
});
