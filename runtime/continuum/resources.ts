/**
 * What the main job has started, stopped in reverse order — at the end of a run, on an error, or on Ctrl-C.
 * Closing is idempotent and keeps going when one stop fails, so one stuck process cannot leave others behind.
 */
export class Resources {
  private readonly stack: Array<{ name: string; stop: () => Promise<void> }> = [];
  private closing: Promise<string[]> | null = null;

  get closed(): boolean {
    return this.closing !== null;
  }

  /** Registers something to stop; refuses once closing started (its owner must stop it at once). */
  add(name: string, stop: () => Promise<void>): void {
    if (this.closing) throw new Error(`cannot register ${name}: shutting down`);
    this.stack.push({ name, stop });
  }

  /** Stops and forgets one resource early (e.g. a run's workers before the next run). */
  async release(name: string): Promise<void> {
    const i = this.stack.findIndex((r) => r.name === name);
    if (i < 0) return;
    const [r] = this.stack.splice(i, 1);
    await r.stop();
  }

  /** Stops everything, newest first; resolves with the failures ("name: message"). */
  close(): Promise<string[]> {
    if (!this.closing) {
      this.closing = (async () => {
        const failures: string[] = [];
        while (this.stack.length > 0) {
          const r = this.stack.pop()!;
          try {
            await r.stop();
          } catch (e) {
            failures.push(`${r.name}: ${(e as Error).message}`);
          }
        }
        return failures;
      })();
    }
    return this.closing;
  }
}
