/**
 * Micro-batch grouping: a batch closes when it holds `maxSize` items or when its oldest item has waited
 * `maxWaitMs`. Pure bookkeeping: the caller passes the clock in and owns the timer, so the rule is testable
 * without real time.
 */
export interface BatchLimits {
  maxSize: number;
  maxWaitMs: number;
}

export class MicroBatcher<T> {
  private pending: T[] = [];
  private oldestAt: number | null = null;

  constructor(private readonly limits: BatchLimits) {
    if (!Number.isInteger(limits.maxSize) || limits.maxSize < 1) throw new Error(`maxSize (${limits.maxSize}) must be an integer ≥ 1`);
    if (!(limits.maxWaitMs >= 0)) throw new Error(`maxWaitMs (${limits.maxWaitMs}) must be ≥ 0`);
  }

  get size(): number {
    return this.pending.length;
  }

  /** Adds items arriving at `now`; returns the batches that are full (in arrival order). */
  add(items: readonly T[], now: number): T[][] {
    const full: T[][] = [];
    for (const item of items) {
      if (this.pending.length === 0) this.oldestAt = now;
      this.pending.push(item);
      if (this.pending.length === this.limits.maxSize) full.push(this.take());
    }
    // With no waiting allowed, whatever arrived together goes out together.
    if (this.limits.maxWaitMs === 0 && this.pending.length > 0) full.push(this.take());
    return full;
  }

  /** When the pending (partial) batch must close, or null when nothing waits. */
  deadline(): number | null {
    return this.oldestAt === null ? null : this.oldestAt + this.limits.maxWaitMs;
  }

  /** The pending batch if its deadline has passed at `now`. */
  takeDue(now: number): T[] | null {
    const d = this.deadline();
    return d !== null && now >= d ? this.take() : null;
  }

  /** Everything pending, regardless of the deadline (shutdown). */
  drain(): T[] | null {
    return this.pending.length > 0 ? this.take() : null;
  }

  private take(): T[] {
    const batch = this.pending;
    this.pending = [];
    this.oldestAt = null;
    return batch;
  }
}
