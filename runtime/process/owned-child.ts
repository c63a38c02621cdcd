/**
 * A child process that must not outlive this Node process (Kafka's JVMs, the main job's worker replicas).
 *
 * On a normal Node exit, a synchronous 'exit' hook SIGKILLs every owned child still running. A SIGKILLed Node runs
 * no handler, so each caller adds its own guard for that case (the JVM watchdog, the workers' IPC channel).
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

export class OwnedChild {
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  private exitedWith: number | string | undefined;

  /** Takes ownership of a spawned child (one with a pid). */
  constructor(readonly child: ChildProcess) {
    installExitHook();
    live.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.exitedWith = code ?? signal ?? 'unknown';
        resolve(this.exitedWith);
      });
    });
  }

  get running(): boolean {
    return this.exitedWith === undefined;
  }

  /** SIGKILL, as a crash would; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (a clean shutdown), then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), graceMs)));
    const r = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (r === 'timeout') await this.kill();
  }
}
