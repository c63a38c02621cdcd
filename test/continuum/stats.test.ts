import { latencyStats, percentile, ratio } from '../../runtime/continuum/stats';

describe('percentile', () => {
  it('returns an observed value by nearest rank', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(v, 50)).toBe(5);
    expect(percentile(v, 95)).toBe(10);
    expect(percentile(v, 0)).toBe(1);
    expect(percentile(v, 100)).toBe(10);
  });

  it('is NaN for no values and rejects p outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(/0\.\.100/);
  });
});

describe('latencyStats', () => {
  it('summarizes unsorted values', () => {
    const s = latencyStats([30, 10, 20, 40]);
    expect(s).toEqual({ count: 4, avg: 25, p50: 20, p95: 40, p99: 40, min: 10, max: 40 });
  });

  it('marks an empty set as not measured', () => {
    const s = latencyStats([]);
    expect(s.count).toBe(0);
    expect(s.avg).toBeNaN();
    expect(s.p99).toBeNaN();
  });
});

describe('ratio', () => {
  it('is NaN when it cannot be computed', () => {
    expect(ratio(4, 2)).toBe(2);
    expect(ratio(4, 0)).toBeNaN();
    expect(ratio(NaN, 2)).toBeNaN();
  });
});
