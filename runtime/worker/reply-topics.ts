/**
 * Which reply topics exist on the answers' cluster. Brokers do not auto-create topics, so an answer to a topic
 * that does not exist fails its whole produce batch — and a failed batch is redelivered, forever. Checking the
 * name when the request is taken lets that one request go to the dead-letter topic instead.
 *
 * Known names are cached for good; an unknown name triggers one listing of the cluster's topics, shared by all
 * requests waiting on it and at most one per `minRefreshMs`, so a flood of forged names cannot flood the brokers.
 */
export class ReplyTopics {
  private known = new Set<string>();
  private refreshing: Promise<void> | null = null;
  private lastRefresh = -Infinity;

  constructor(
    private readonly listTopics: () => Promise<string[]>,
    private readonly minRefreshMs = 1000,
  ) {}

  async exists(topic: string): Promise<boolean> {
    if (this.known.has(topic)) return true;
    await this.refresh();
    return this.known.has(topic);
  }

  private refresh(): Promise<void> {
    if (!this.refreshing) {
      const wait = Math.max(0, this.lastRefresh + this.minRefreshMs - Date.now());
      this.refreshing = (async () => {
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const topics = await this.listTopics();
        for (const t of topics) this.known.add(t);
        this.lastRefresh = Date.now();
      })().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }
}
