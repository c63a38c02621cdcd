/** Summary statistics of response times (pure). */
import { latencySummary } from '../collector/collect';

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

/** The collector's summary (runtime/collector, nearest-rank percentiles) under the report's names, plus the minimum. */
export function latencyStats(valuesMs: readonly number[]): LatencyStats {
  const s = latencySummary(valuesMs);
  return {
    count: s.count,
    avg: s.avgMs,
    p50: s.p50Ms,
    p95: s.p95Ms,
    p99: s.p99Ms,
    min: s.count === 0 ? NaN : valuesMs.reduce((m, v) => Math.min(m, v), Infinity),
    max: s.maxMs,
  };
}

/** a / b, or NaN when either is missing or b is 0 (a speed-up that cannot be computed is shown as "—"). */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN;
}
