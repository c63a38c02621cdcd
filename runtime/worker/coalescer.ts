/**
 * Coalesces sends into produce requests, with up to `maxInFlight` requests outstanding. kafkajs sends each
 * `send()` call as its own produce request; records handed over while every slot is busy wait and leave
 * together in the next request (up to `maxBytes`, at least one caller's group), like a Kafka producer's linger
 * with `max.in.flight.requests.per.connection`. A lone record never waits for another request's round trip
 * unless all slots are taken. Each caller's promise settles with the request that carried its records.
 */
export class SendCoalescer<T, R> {
  private queue: { items: readonly T[]; bytes: number; resolve(r: R): void; reject(e: unknown): void }[] = [];
  private inFlight = 0;

  constructor(
    private readonly sendNow: (items: T[]) => Promise<R>,
    private readonly sizeOf: (item: T) => number,
    private readonly maxBytes: number,
    private readonly maxInFlight: number,
    /** combines results; called with [] for the result of an empty send. Every caller of a request gets its whole result. */
    private readonly empty: (parts: R[]) => R,
  ) {
    if (!(maxInFlight >= 1)) throw new Error(`maxInFlight (${maxInFlight}) must be ≥ 1`);
  }

  send(items: readonly T[]): Promise<R> {
    if (items.length === 0) return Promise.resolve(this.empty([]));
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ items, bytes: items.reduce((n, i) => n + this.sizeOf(i), 0), resolve, reject });
      this.flush();
    });
  }

  /** groups waiting for a request slot */
  get waiting(): number {
    return this.queue.length;
  }

  /** requests outstanding */
  get outstanding(): number {
    return this.inFlight;
  }

  private flush(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      let take = 1;
      let bytes = this.queue[0].bytes;
      while (take < this.queue.length && bytes + this.queue[take].bytes <= this.maxBytes) bytes += this.queue[take++].bytes;
      const groups = this.queue.splice(0, take);
      this.inFlight++;
      this.sendNow(groups.flatMap((g) => g.items)).then(
        (r) => this.settle(groups, r, null),
        (e) => this.settle(groups, null, e ?? new Error('send failed')),
      );
    }
  }

  private settle(groups: typeof this.queue, result: R | null, error: unknown): void {
    this.inFlight--;
    for (const g of groups) (error ? g.reject(error) : g.resolve(result as R));
    this.flush();
  }
}
