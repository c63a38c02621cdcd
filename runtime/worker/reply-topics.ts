/**
 * Which reply topics exist on the answers' cluster. Brokers do not auto-create topics, so an answer to a topic
 * that does not exist would sit in the producer's retries; checking names when a fetch is taken lets those
 * requests go to the dead-letter topic at once.
 *
 * Checked once per fetch, never per record: `resolve()` takes every name of a fetch, answers known names from the
 * cache and lists the cluster's topics at most once for all unknown ones (one listing shared by concurrent
 * fetches, at most one per `minRefreshMs`). Names found missing are cached as missing for `negativeTtlMs`, so a
 * flood of forged names costs one listing per TTL, not one per record; a topic created later is found after it.
 */
export interface ReplyTopicsOptions {
  minRefreshMs?: number;
  negativeTtlMs?: number;
  now?: () => number;
}

export class ReplyTopics {
  private readonly known = new Set<string>();
  private readonly missing = new Map<string, number>();
  private refreshing: Promise<void> | null = null;
  private lastRefresh = -Infinity;
  private readonly minRefreshMs: number;
  private readonly negativeTtlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly listTopics: () => Promise<string[]>,
    opts: ReplyTopicsOptions = {},
  ) {
    this.minRefreshMs = opts.minRefreshMs ?? 1000;
    this.negativeTtlMs = opts.negativeTtlMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Without waiting: true/false when cached, undefined when the cluster must be asked. */
  cached(topic: string): boolean | undefined {
    if (this.known.has(topic)) return true;
    const until = this.missing.get(topic);
    if (until !== undefined && until > this.now()) return false;
    return undefined;
  }

  /** The names among `topics` that do not exist: at most one listing for all of them. */
  async resolve(topics: Iterable<string>): Promise<Set<string>> {
    const unknown = [...new Set(topics)].filter((t) => this.cached(t) === undefined);
    if (unknown.length > 0) {
      await this.refresh();
      const until = this.now() + this.negativeTtlMs;
      for (const t of unknown) if (!this.known.has(t)) this.missing.set(t, until);
      if (this.missing.size > 100_000) this.pruneMissing();
    }
    return new Set([...new Set(topics)].filter((t) => this.cached(t) === false));
  }

  private pruneMissing(): void {
    const now = this.now();
    for (const [t, until] of this.missing) if (until <= now) this.missing.delete(t);
  }

  private refresh(): Promise<void> {
    if (!this.refreshing) {
      const wait = Math.max(0, this.lastRefresh + this.minRefreshMs - this.now());
      this.refreshing = (async () => {
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const topics = await this.listTopics();
        for (const t of topics) {
          this.known.add(t);
          this.missing.delete(t);
        }
        this.lastRefresh = this.now();
      })().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }
}
