/** Summary statistics of response times (pure). */

export interface LatencyStats {
  readonly count: number;
  /** All in milliseconds; NaN when count is 0. */
  readonly avg: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}

/**
 * Nearest-rank percentile of an ascending array: the smallest value with at least p% of the values ≤ it.
 * Chosen over interpolation so every reported percentile is a response time that was actually observed.
 */
export function percentile(sortedAscending: readonly number[], p: number): number {
  if (p < 0 || p > 100) throw new RangeError(`percentile p (${p}) must be within 0..100`);
  if (sortedAscending.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sortedAscending.length));
  return sortedAscending[rank - 1];
}

export function latencyStats(valuesMs: readonly number[]): LatencyStats {
  const sorted = [...valuesMs].sort((a, b) => a - b);
  const count = sorted.length;
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    count,
    avg: count === 0 ? NaN : sum / count,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    min: count === 0 ? NaN : sorted[0],
    max: count === 0 ? NaN : sorted[count - 1],
  };
}

/** a / b, or NaN when either is missing or b is 0 (a speed-up that cannot be computed is shown as "—"). */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN;
}
