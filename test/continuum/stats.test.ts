import { latencyStats, ratio } from '../../runtime/continuum/stats';

describe('latencyStats', () => {
  it('summarizes unsorted values', () => {
    const s = latencyStats([30, 10, 20, 40]);
    expect(s).toEqual({ count: 4, avg: 25, p50: 20, p95: 40, p99: 40, min: 10, max: 40 });
    // the report's JSON keeps its field order
    expect(Object.keys(s)).toEqual(['count', 'avg', 'p50', 'p95', 'p99', 'min', 'max']);
  });

  it('marks an empty set as not measured', () => {
    const s = latencyStats([]);
    expect(s.count).toBe(0);
    expect(s.avg).toBeNaN();
    expect(s.p99).toBeNaN();
    expect(s.min).toBeNaN();
    expect(s.max).toBeNaN();
  });
});

describe('ratio', () => {
  it('is NaN when it cannot be computed', () => {
    expect(ratio(4, 2)).toBe(2);
    expect(ratio(4, 0)).toBeNaN();
    expect(ratio(NaN, 2)).toBeNaN();
  });
});
