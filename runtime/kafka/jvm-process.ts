/**
 * Starts Kafka's JVMs (brokers, ZooKeeper, MirrorMaker 2) so that none outlives this Node process.
 *
 * - Each JVM gets its own process group (`detached`), so Ctrl-C in a terminal reaches Node only and
 *   Node stops the JVMs in order.
 * - A tiny bash watchdog per JVM polls the JVM's parent pid; once Node is gone (even SIGKILLed, which
 *   runs no handler) the JVM is re-parented and the watchdog SIGKILLs it.
 * - On a normal Node exit, a synchronous 'exit' hook SIGKILLs whatever is still running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import type { KafkaDistribution } from './distribution';
import { renderProperties, log4jProperties } from './broker-settings';

export interface JvmSpec {
  /** Short name for messages, e.g. 'edge-broker-1'. */
  readonly name: string;
  readonly mainClass: string;
  readonly args: readonly string[];
  /** Kafka's log4j output goes here. */
  readonly logFile: string;
  /** stdout/stderr of the JVM (start-up failures, GC warnings) go here. */
  readonly outFile: string;
  /** Where the generated log4j.properties is written. */
  readonly log4jFile: string;
  /** @default 384 */
  readonly heapMb?: number;
}

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

// $1 = parent (Node) pid, $2 = JVM pid. Ignores terminal signals; exits when the JVM does.
const WATCHDOG = `
trap '' INT HUP
while [ -r /proc/$2/stat ]; do
  read -r _ _ state ppid _ < /proc/$2/stat || exit 0
  [ "$state" = Z ] && exit 0
  if [ "$ppid" != "$1" ]; then kill -KILL "$2" 2>/dev/null; exit 0; fi
  sleep 0.5
done`;

export class JvmProcess {
  private readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the JVM has exited. */
  readonly exited: Promise<number | string>;
  private exitedAt: number | string | undefined;

  private constructor(readonly spec: JvmSpec, child: ChildProcess) {
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.exitedAt = code ?? signal ?? 'unknown';
        resolve(this.exitedAt);
      });
    });
  }

  static start(dist: KafkaDistribution, spec: JvmSpec): JvmProcess {
    installExitHook();
    writeFileSync(spec.log4jFile, renderProperties(log4jProperties(spec.logFile)));
    const out = openSync(spec.outFile, 'a');
    const heap = spec.heapMb ?? 384;
    const jvmArgs = [
      `-Xms64m`,
      `-Xmx${heap}m`,
      // One GC thread and a small footprint: several JVMs share 2 cores in tests.
      '-XX:+UseSerialGC',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${spec.log4jFile}`,
      '-cp',
      dist.classpath,
      spec.mainClass,
      ...spec.args,
    ];
    const child = spawn(dist.java, jvmArgs, { detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    if (child.pid === undefined) throw new Error(`${spec.name}: could not start ${dist.java}`);
    live.add(child);
    const dog = spawn('bash', ['-c', WATCHDOG, 'kafka-watchdog', String(process.pid), String(child.pid)], {
      detached: true,
      stdio: 'ignore',
    });
    dog.unref();
    return new JvmProcess(spec, child);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.exitedAt === undefined;
  }

  /** SIGKILL, as a crash would; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (Kafka's clean shutdown), then SIGKILL after `graceMs`. */
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
