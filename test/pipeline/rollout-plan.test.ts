/** The rollout protocol as pure functions (runtime/registry/rollout-plan.ts): state → the control records of each step. */
import { LayerModels } from '../../contracts/control';
import type { ReplicaStatus } from '../../contracts/registry';
import { drained, liveReplicas, nextHistory, planRollout, rollbackTarget, waitingFor } from '../../runtime/registry/rollout-plan';

const base = { issuedAt: 1, by: 'test' };

describe('rollout planner', () => {
  test('downstream first: every layer loads the new version with its active unchanged, then the first layer switches, then the rest retire', () => {
    const plan = planRollout({ ...base, chain: ['edge', 'fog', 'cloud'], target: 'v2', emitting: ['v1'], current: {}, inRegistry: new Set(['v1', 'v2']) });
    const pick = (w: { layer: string; value: LayerModels }) => ({ layer: w.layer, active: w.value.active, serve: w.value.serve, sources: w.value.sources });
    const both = { v1: 'registry:v1', v2: 'registry:v2' };
    expect(plan.load.map(pick)).toEqual([
      { layer: 'edge', active: 'v1', serve: ['v1', 'v2'], sources: both },
      { layer: 'fog', active: 'v1', serve: ['v1', 'v2'], sources: both },
      { layer: 'cloud', active: 'v1', serve: ['v1', 'v2'], sources: both },
    ]);
    expect(pick(plan.switch)).toEqual({ layer: 'edge', active: 'v2', serve: ['v2'], sources: { v2: 'registry:v2' } });
    expect(plan.retire.map(pick)).toEqual([
      { layer: 'fog', active: 'v2', serve: ['v2'], sources: { v2: 'registry:v2' } },
      { layer: 'cloud', active: 'v2', serve: ['v2'], sources: { v2: 'registry:v2' } },
    ]);
    // every record is one the workers accept
    for (const w of [...plan.load, plan.switch, ...plan.retire]) expect(() => LayerModels.parse(w.value)).not.toThrow();
  });

  test('a version outside the registry (the one the workers started with) gets no source; versions a half-done rollout left are kept until retire', () => {
    const current = { cloud: { active: 'v0', serve: ['v0', 'v1'], issuedAt: 0 } };
    const plan = planRollout({ ...base, chain: ['edge', 'cloud'], target: 'v2', emitting: ['v1'], current, inRegistry: new Set(['v2']) });
    expect(plan.load[1].value).toMatchObject({ active: 'v0', serve: ['v0', 'v1', 'v2'], sources: { v2: 'registry:v2' } });
    expect(plan.retire[0].value.serve).toEqual(['v2']);
    // first-layer replicas that disagree: downstream serves both until the drain
    const split = planRollout({ ...base, chain: ['edge', 'cloud'], target: 'v3', emitting: ['v1', 'v2'], current: {}, inRegistry: new Set() });
    expect(split.load[1].value.serve).toEqual(['v1', 'v2', 'v3']);
    expect(split.load[1].value.sources).toBeUndefined();
  });

  test('more than 8 versions at once is refused, naming the layer', () => {
    const serve = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    expect(() => planRollout({ ...base, chain: ['edge', 'cloud'], target: 'z', emitting: ['a'], current: { cloud: { active: 'a', serve, issuedAt: 0 } }, inRegistry: new Set() })).toThrow(
      /layer cloud would serve 9 versions/,
    );
  });

  test('replicas are the group members; a member without a status, or without the version, is waited for', () => {
    const status = (clientId: string, memberId: string, loaded: string[], active = loaded[0]): ReplicaStatus => ({
      layer: 'cloud', clientId, memberId, groupId: 'g', inputTopic: 'cloud-in', active, loaded, at: 1,
    });
    const members = [{ memberId: 'm1', clientId: 'c1' }, { memberId: 'm2', clientId: 'c2' }, { memberId: 'm3', clientId: 'c3' }];
    const statuses = [status('c1', 'm1', ['v1', 'v2']), status('c2', 'old', ['v1']), status('gone', 'm9', ['v1'])];
    const live = liveReplicas(members, statuses);
    expect(live.map((r) => r.status?.clientId)).toEqual(['c1', 'c2', undefined]);
    expect(waitingFor(live, 'v2')).toEqual(['c2 (loaded v1; active v1)', 'c3 (no status)']);
    expect(waitingFor(live.slice(0, 1), 'v2')).toEqual([]);
    expect(waitingFor(live.slice(0, 1), 'v2', { active: true })).toEqual(['c1 (loaded v1, v2; active v1)']);
    expect(waitingFor(liveReplicas(members.slice(0, 1), [status('c1', 'm1', ['v2'])]), 'v2', { active: true, only: true })).toEqual([]);
  });

  test('drained once the committed offsets reach the high watermarks taken at the start of the wait', () => {
    const targets = [{ partition: 0, offset: '10' }, { partition: 1, offset: '0' }];
    expect(drained([{ partition: 0, offset: '10' }, { partition: 1, offset: '-1' }], targets)).toBe(true);
    expect(drained([{ partition: 0, offset: '9' }], targets)).toBe(false);
    expect(drained([], [{ partition: 0, offset: '3' }])).toBe(false);
  });

  test('history: a rollout appends (the first one records where it came from); a rollback goes to the version before', () => {
    expect(nextHistory([], 'v1', 'v2')).toEqual(['v1', 'v2']);
    expect(nextHistory(['v1', 'v2'], 'v2', 'v3')).toEqual(['v1', 'v2', 'v3']);
    expect(nextHistory(['v1', 'v2'], undefined, 'v2')).toEqual(['v1', 'v2']);
    expect(rollbackTarget(['v1', 'v2', 'v3'])).toEqual({ target: 'v2', history: ['v1', 'v2'] });
    expect(() => rollbackTarget(['v1'])).toThrow('no earlier version to roll back to (rollout history: v1)');
  });
});
