/**
 * Micro-batch grouping (dynamic batching, as in Triton's max queue delay): requests queue up while the model
 * is busy; when it is free it takes the oldest `maxSize` at once, or — when fewer are queued — takes them as
 * soon as the oldest has waited `maxWaitMs`. With maxWaitMs 0 (the default) a lone request runs at once,
 * while under load batches fill up by themselves. Pure bookkeeping: the caller passes the clock in and owns
 * the timer, so the rule is testable without real time.
 */
export interface BatchLimits {
  maxSize: number;
  maxWaitMs: number;
}

export class MicroBatcher<T> {
  private queue: { item: T; at: number }[] = [];

  private readonly limits: BatchLimits;

  constructor(limits: BatchLimits) {
    this.limits = { ...limits };
    if (!Number.isInteger(limits.maxSize) || limits.maxSize < 1) throw new Error(`maxSize (${limits.maxSize}) must be an integer ≥ 1`);
    if (!(limits.maxWaitMs >= 0)) throw new Error(`maxWaitMs (${limits.maxWaitMs}) must be ≥ 0`);
  }

  /** A new wait applies from the next take (the control topic moves it while the worker runs). */
  setMaxWaitMs(ms: number): void {
    if (!(ms >= 0)) throw new Error(`maxWaitMs (${ms}) must be ≥ 0`);
    this.limits.maxWaitMs = ms;
  }

  get maxWaitMs(): number {
    return this.limits.maxWaitMs;
  }

  get size(): number {
    return this.queue.length;
  }

  /** Queues items that arrived at `now`. */
  add(items: readonly T[], now: number): void {
    for (const item of items) this.queue.push({ item, at: now });
  }

  /**
   * The next batch for a free model at `now`: the oldest maxSize items when that many wait, else all of them
   * once the oldest has waited maxWaitMs, else null (call again at `deadline()` or when more arrive).
   */
  take(now: number): T[] | null {
    if (this.queue.length >= this.limits.maxSize) return this.splice(this.limits.maxSize);
    const d = this.deadline();
    return d !== null && now >= d ? this.splice(this.queue.length) : null;
  }

  /** When the oldest queued item's wait is over, or null when nothing waits. */
  deadline(): number | null {
    return this.queue.length === 0 ? null : this.queue[0].at + this.limits.maxWaitMs;
  }

  /** Everything queued, regardless of the deadline (shutdown). */
  drain(): T[] | null {
    return this.queue.length > 0 ? this.splice(this.queue.length) : null;
  }

  private splice(n: number): T[] {
    return this.queue.splice(0, n).map((q) => q.item);
  }
}
