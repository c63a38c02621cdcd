import { CommitTracker } from '../../../runtime/worker/commit-tracker';

const limits = { maxRecords: 3, maxBytes: 1000 };

describe('commit tracker', () => {
  test('commits only up to the highest offset whose record and every one before it settled', () => {
    const t = new CommitTracker(limits);
    const a = t.take('in', 0, 10, 1, 0);
    const b = t.take('in', 0, 11, 1, 0);
    const c = t.take('in', 0, 12, 1, 0);
    expect(t.settle(c, 1)).toBe(false); // 10 and 11 still out
    expect(t.pendingCommits()).toEqual([]);
    expect(t.settle(a, 2)).toBe(true);
    expect(t.pendingCommits()).toEqual([{ topic: 'in', partition: 0, offset: '11' }]);
    expect(t.settle(b, 3)).toBe(true); // 11 and the already settled 12
    expect(t.pendingCommits()).toEqual([{ topic: 'in', partition: 0, offset: '13' }]);
    t.markCommitted(t.pendingCommits());
    expect(t.pendingCommits()).toEqual([]);
  });

  test('partitions are independent; gaps in offsets (compaction, dead batches) are fine', () => {
    const t = new CommitTracker(limits);
    const p0 = t.take('in', 0, 5, 1, 0);
    const p1 = t.take('in', 1, 100, 1, 0);
    const p1b = t.take('in', 1, 140, 1, 0);
    t.settle(p1, 1);
    t.settle(p1b, 1);
    expect(t.pendingCommits()).toEqual([{ topic: 'in', partition: 1, offset: '141' }]);
    t.settle(p0, 2);
    expect(t.pendingCommits()).toContainEqual({ topic: 'in', partition: 0, offset: '6' });
  });

  test('in flight is bounded per partition by records and bytes; one record is always allowed', () => {
    const t = new CommitTracker(limits);
    expect(t.hasRoom('in', 0, 5000)).toBe(true); // an empty partition takes even an oversized record
    const big = t.take('in', 0, 0, 900, 0);
    expect(t.hasRoom('in', 0, 200)).toBe(false);
    expect(t.hasRoom('in', 0, 100)).toBe(true);
    expect(t.hasRoom('in', 1, 200)).toBe(true);
    t.settle(big, 1);
    t.take('in', 0, 1, 1, 1);
    t.take('in', 0, 2, 1, 1);
    t.take('in', 0, 3, 1, 1);
    expect(t.hasRoom('in', 0, 1)).toBe(false); // 3 records
    expect(t.inFlight('in', 0)).toEqual({ records: 3, bytes: 3 });
  });

  test('a revoked partition is forgotten: late settles of its records change nothing', () => {
    const t = new CommitTracker(limits);
    const a = t.take('in', 0, 7, 1, 0);
    t.revoke('in', 0);
    expect(t.settle(a, 1)).toBe(false);
    expect(t.pendingCommits()).toEqual([]);
    expect(t.totalInFlight).toBe(0);
  });

  test('fetched again from an older offset (after a re-join) starts afresh', () => {
    const t = new CommitTracker(limits);
    const old = t.take('in', 0, 7, 1, 0);
    t.take('in', 0, 8, 1, 0);
    const again = t.take('in', 0, 7, 1, 5);
    expect(t.settle(old, 6)).toBe(false);
    expect(t.settle(again, 6)).toBe(true);
    expect(t.pendingCommits()).toEqual([{ topic: 'in', partition: 0, offset: '8' }]);
  });

  test('a partition with records in flight and no progress for the timeout is stalled', () => {
    const t = new CommitTracker(limits);
    const a = t.take('in', 0, 0, 1, 1000);
    t.take('in', 1, 0, 1, 1000);
    expect(t.stalled(5000, 10_000)).toEqual([]);
    t.settle(a, 9000); // progress on partition 0
    expect(t.stalled(12_000, 10_000).map((s) => s.partition)).toEqual([1]);
  });
});
