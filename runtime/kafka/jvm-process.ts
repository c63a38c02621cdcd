/**
 * Starts Kafka's JVMs (brokers, ZooKeeper, MirrorMaker 2) so that none outlives this Node process.
 *
 * - Each JVM gets its own process group (`detached`), so Ctrl-C in a terminal reaches Node only and
 *   Node stops the JVMs in order.
 * - A tiny bash watchdog per JVM polls the JVM's parent pid; once Node is gone (even SIGKILLed, which
 *   runs no handler) the JVM is re-parented and the watchdog SIGKILLs it.
 * - On a normal Node exit, a synchronous 'exit' hook SIGKILLs whatever is still running (runtime/process).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { OwnedChild } from '../process/owned-child';
import type { KafkaDistribution } from './distribution';
import { renderProperties, log4jProperties } from '../../contracts/kafka/broker-settings';

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
  /** More JVM options, before the class path (e.g. a `-javaagent:…`). @default none */
  readonly jvmOptions?: readonly string[];
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
  /** Resolves with the exit code (or signal name) once the JVM has exited. */
  readonly exited: Promise<number | string>;

  private constructor(readonly spec: JvmSpec, private readonly owned: OwnedChild) {
    this.exited = owned.exited;
  }

  static start(dist: KafkaDistribution, spec: JvmSpec): JvmProcess {
    writeFileSync(spec.log4jFile, renderProperties(log4jProperties(spec.logFile)));
    const out = openSync(spec.outFile, 'a');
    const heap = spec.heapMb ?? 384;
    const jvmArgs = [
      `-Xms64m`,
      `-Xmx${heap}m`,
      // One GC thread and a small footprint: several JVMs share 2 cores in tests.
      '-XX:+UseSerialGC',
      // CPU per request is what a local continuum measures (issue 17): C1 only (no C2 compile storms in the first
      // minutes, which a broker's I/O-bound paths hardly need), one compiler thread, no perf-data mmap writes.
      '-XX:TieredStopAtLevel=1',
      '-XX:CICompilerCount=1',
      '-XX:-UsePerfData',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${spec.log4jFile}`,
      ...(spec.jvmOptions ?? []),
      // DDNN_JFR_DIR=<dir>: each JVM records a Java Flight Recorder profile there (where does a broker's CPU go?).
      ...(process.env.DDNN_JFR_DIR ? [`-XX:StartFlightRecording=filename=${process.env.DDNN_JFR_DIR}/${spec.name}.jfr,settings=profile,dumponexit=true`] : []),
      '-cp',
      dist.classpath,
      spec.mainClass,
      ...spec.args,
    ];
    const child = spawn(dist.java, jvmArgs, { detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    if (child.pid === undefined) throw new Error(`${spec.name}: could not start ${dist.java}`);
    const owned = new OwnedChild(child);
    const dog = spawn('bash', ['-c', WATCHDOG, 'kafka-watchdog', String(process.pid), String(child.pid)], {
      detached: true,
      stdio: 'ignore',
    });
    dog.unref();
    return new JvmProcess(spec, owned);
  }

  get pid(): number {
    return this.owned.child.pid as number;
  }

  get running(): boolean {
    return this.owned.running;
  }

  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill(): Promise<void> {
    return this.owned.kill();
  }

  /** SIGTERM (Kafka's clean shutdown), then SIGKILL after `graceMs`. */
  stop(graceMs = 10_000): Promise<void> {
    return this.owned.stop(graceMs);
  }
}
