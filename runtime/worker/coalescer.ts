/**
 * Coalesces sends while one is in flight: kafkajs sends each `send()` call as its own produce request, and with
 * an idempotent producer only one request per broker may be in flight, so one request per micro-batch caps a
 * worker at (batch size ÷ round trip). Here, records handed over while a request is in flight wait and leave
 * together in the next request (up to `maxBytes`, at least one caller's group), like a Kafka producer's linger.
 * Each caller's promise settles with the request that carried its records.
 */
export class SendCoalescer<T> {
  private queue: { items: readonly T[]; bytes: number; resolve(): void; reject(e: unknown): void }[] = [];
  private inFlight = false;

  constructor(
    private readonly sendNow: (items: T[]) => Promise<void>,
    private readonly sizeOf: (item: T) => number,
    private readonly maxBytes: number,
  ) {}

  send(items: readonly T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ items, bytes: items.reduce((n, i) => n + this.sizeOf(i), 0), resolve, reject });
      this.flush();
    });
  }

  /** groups waiting for a request */
  get waiting(): number {
    return this.queue.length;
  }

  private flush(): void {
    if (this.inFlight || this.queue.length === 0) return;
    let take = 1;
    let bytes = this.queue[0].bytes;
    while (take < this.queue.length && bytes + this.queue[take].bytes <= this.maxBytes) bytes += this.queue[take++].bytes;
    const groups = this.queue.splice(0, take);
    this.inFlight = true;
    this.sendNow(groups.flatMap((g) => g.items)).then(
      () => this.settle(groups, null),
      (e) => this.settle(groups, e ?? new Error('send failed')),
    );
  }

  private settle(groups: typeof this.queue, error: unknown): void {
    this.inFlight = false;
    for (const g of groups) (error ? g.reject(error) : g.resolve());
    this.flush();
  }
}
