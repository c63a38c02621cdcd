/**
 * MirrorMaker 2 in dedicated mode (org.apache.kafka.connect.mirror.MirrorMaker) between local clusters.
 *
 * Placement: MM2 reaches a cluster that has a WAN link through it (its `wanBootstrapServers`), and any
 * other cluster directly, i.e. it runs on the side of the clusters without a link.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { renderProperties } from '../../contracts/kafka/broker-settings';
import type { LocalKafkaCluster } from './cluster';
import { kafkaDistribution, type KafkaDistribution } from './distribution';
import { JvmProcess } from './jvm-process';
import { mirrorMakerProperties, type MirrorFlow } from '../../contracts/kafka/mirror-maker-settings';
import { javaClientSecurity } from './security';

export interface MirrorMakerOptions {
  /** The clusters by alias, e.g. { edge, cloud }. */
  readonly clusters: Readonly<Record<string, LocalKafkaCluster>>;
  readonly flows: readonly MirrorFlow[];
  /** Where config and logs go. @default <first cluster's dataDir>/../mirror-maker-<aliases> */
  readonly dir?: string;
  /** @default 384 */
  readonly heapMb?: number;
  /** Per-alias override of how MM2 reaches a cluster. @default 'wan' if the cluster has a WAN link */
  readonly reach?: Readonly<Record<string, 'local' | 'wan'>>;
  readonly overrides?: Readonly<Record<string, string>>;
  /** Until every mirrored topic exists on its target (MM2 creates them there). @default 90000 */
  readonly readyTimeoutMs?: number;
}

export class LocalMirrorMaker2 {
  private process?: JvmProcess;
  private logOffset = 0;
  private readonly dist: KafkaDistribution;
  readonly propsFile: string;
  readonly logFile: string;
  readonly outFile: string;

  private constructor(private readonly options: MirrorMakerOptions, readonly dir: string) {
    this.dist = kafkaDistribution();
    this.propsFile = path.join(dir, 'mm2.properties');
    this.logFile = path.join(dir, 'mirror-maker.log');
    this.outFile = path.join(dir, 'stdout.log');
  }

  static async start(options: MirrorMakerOptions): Promise<LocalMirrorMaker2> {
    const aliases = Object.keys(options.clusters);
    const first = options.clusters[aliases[0]];
    if (!first) throw new Error('clusters: at least two clusters are required');
    const dir = options.dir ?? path.join(path.dirname(first.dataDir), `${path.basename(first.dataDir)}-mirror-maker`);
    mkdirSync(dir, { recursive: true });
    const props = mirrorMakerProperties({
      clusters: aliases.map((alias) => {
        const c = options.clusters[alias];
        const reach = options.reach?.[alias] ?? (c.wanLink ? 'wan' : 'local');
        return {
          alias,
          bootstrapServers: reach === 'wan' ? c.wanBootstrapServers : c.bootstrapServers,
          brokers: c.brokerCount,
          // A secured cluster: MM2 logs in as its admin (it creates topics and keeps its Connect group there).
          security: c.security ? javaClientSecurity(c.security) : undefined,
        };
      }),
      flows: options.flows,
      overrides: options.overrides,
    });
    const mm = new LocalMirrorMaker2(options, dir);
    writeFileSync(mm.propsFile, renderProperties(props, 'MirrorMaker 2 (generated)'));
    await mm.start();
    return mm;
  }

  get pid(): number | undefined {
    return this.process?.running ? this.process.pid : undefined;
  }

  get running(): boolean {
    return !!this.process?.running;
  }

  private async start(): Promise<void> {
    // Only log lines written by this run count for readiness (restart() appends to the same file).
    this.logOffset = existsSync(this.logFile) ? statSync(this.logFile).size : 0;
    this.process = JvmProcess.start(this.dist, {
      name: 'mirror-maker-2',
      mainClass: 'org.apache.kafka.connect.mirror.MirrorMaker',
      args: [this.propsFile],
      logFile: this.logFile,
      outFile: this.outFile,
      log4jFile: path.join(this.dir, 'log4j.properties'),
      heapMb: this.options.heapMb,
    });
    try {
      await this.waitForTargetTopics(this.options.readyTimeoutMs ?? 90_000);
    } catch (e) {
      await this.process.kill();
      throw e;
    }
  }

  /** Ready = each mirrored topic exists on its target cluster (MM2 created it or found it there). */
  private async waitForTargetTopics(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const f of this.options.flows) {
      const target = this.options.clusters[f.target];
      for (;;) {
        const topics = new Set(await target.withAdmin((a) => a.listTopics()));
        if (f.topics.every((t) => topics.has(t))) break;
        if (!this.process?.running) {
          throw new Error(`MirrorMaker 2 exited during start; see ${this.logFile} and ${this.outFile}\n${tail(this.outFile)}`);
        }
        if (Date.now() > deadline) {
          throw new Error(`MirrorMaker 2: topics [${f.topics.join(',')}] not on ${f.target} after ${timeoutMs} ms; see ${this.logFile}`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    // The topics exist once the source connector has run; give its tasks a moment to be assigned.
    await this.waitForLog(/MirrorSourceConnector-\d+\} Source task finished initialization/, deadline);
  }

  private async waitForLog(pattern: RegExp, deadline: number): Promise<void> {
    const needed = this.options.flows.length;
    for (;;) {
      let text = '';
      try {
        text = readFileSync(this.logFile).subarray(this.logOffset).toString('utf8');
      } catch {
        /* not written yet */
      }
      const found = text.split('\n').filter((l) => pattern.test(l)).length;
      if (found >= needed) return;
      if (Date.now() > deadline) throw new Error(`MirrorMaker 2: source tasks not started in time; see ${this.logFile}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** Clean stop (SIGTERM; SIGKILL after graceMs). MM2 resumes from its committed offsets on restart(). */
  async stop(graceMs = 10_000): Promise<void> {
    await this.process?.stop(graceMs);
  }

  /** SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    await this.process?.kill();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

/**
 * @deprecated Old name of LocalMirrorMaker2, kept for existing imports: `MirrorMaker2` is the Kubernetes construct
 * (constructs/), this is a handle on a local MirrorMaker 2 process.
 */
export { LocalMirrorMaker2 as MirrorMaker2 };

export function startMirrorMaker2(options: MirrorMakerOptions): Promise<LocalMirrorMaker2> {
  return LocalMirrorMaker2.start(options);
}

export interface PerTargetOptions {
  /** The clusters by alias, e.g. { edge, cloud }. */
  readonly clusters: Readonly<Record<string, LocalKafkaCluster>>;
  readonly flows: readonly MirrorFlow[];
  /** Config and log folder of the instance writing into `target`. */
  readonly dirFor: (target: string) => string;
  /** @default 384 */
  readonly heapMb?: number;
  /** Called as each instance starts (e.g. to report progress). */
  readonly onStart?: (target: string, flows: readonly MirrorFlow[]) => void;
}

/**
 * The local continuum's MirrorMaker 2 topology, as on Kubernetes (constructs/continuum.ts): one instance per target
 * cluster, running next to it. It writes and keeps its Connect group on its own cluster and reads the sources
 * across their WAN links, so a WAN cut stalls its fetches but never takes its group away (a single instance for
 * both directions lost its group in a cut and never restarted its stuck task). Returns the instances by target;
 * if one fails to start, those already started are stopped.
 */
export async function startMirrorMakersPerTarget(options: PerTargetOptions): Promise<Map<string, LocalMirrorMaker2>> {
  const targets = [...new Set(options.flows.map((f) => f.target))];
  const started = new Map<string, LocalMirrorMaker2>();
  const results = await Promise.allSettled(
    targets.map(async (target) => {
      const flows = options.flows.filter((f) => f.target === target);
      options.onStart?.(target, flows);
      const reach = Object.fromEntries(Object.keys(options.clusters).map((a) => [a, a === target ? 'local' : 'wan'] as const));
      const mm = await startMirrorMaker2({ clusters: options.clusters, flows, reach, dir: options.dirFor(target), heapMb: options.heapMb });
      started.set(target, mm);
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all([...started.values()].map((mm) => mm.stop()));
    throw failed.reason;
  }
  return started;
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
