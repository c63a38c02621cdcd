/**
 * The clock of the wire timestamps: epoch milliseconds with sub-millisecond resolution. `Date.now()` alone
 * has 1 ms steps, too coarse for per-hop overheads on one machine.
 */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}
