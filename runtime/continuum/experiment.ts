/**
 * One experiment on this machine: edge and cloud Kafka clusters behind an emulated WAN, the early-exit continuum
 * for each transport, then the cloud-only baseline on the same images, each with real worker processes and
 * simulated devices; the records become the §5.2 report. Every process it starts is registered in `resources`,
 * so an error or Ctrl-C stops them all.
 */
import { mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getEnvironment, type Environment, type Transport } from '../../environments';
import type { DeviceFleetResult, SendMode } from '../devices/simulator';
import { CpuGroups, throttledBetween } from '../process/cpu-groups';
import { sampleCpu } from '../process/cpu-time';
import { summarizeCpuRun, type CpuReport, type CpuRun, type RosterEntry } from './cpu-usage';
import { runDevicesInChild, type FleetLaunch } from './device-fleet-process';
import type { LabeledImage } from '../devices/session';
import { startMirrorMakersPerTarget } from '../kafka/mirror-maker';
import { startLocalClusters, type LocalClusters } from './clusters';
import { loadTestImages } from '../devices/dataset';
import type { LocalKafkaCluster } from '../kafka/cluster';
import { bandwidthBytesPerSec, type RunOptions } from './options';
import { startLive, superviseReplica, type LiveContext } from './live';
import { startWorkerProcess, type WorkerProcess } from './processes';
import { isAnswered } from '../../contracts/records';
import type { RunRecords } from './records';
import { buildReport, type ExperimentReport } from './report';
import { Resources } from './resources';
import { cloudOnlyEnvironment, PLACEMENT, wireRun, type RunWiring } from './wiring';

/** What the terminal shows: stages as lines, the stream as a progress bar. */
export interface ExperimentUi {
  step(message: string): void;
  startStream(run: string, total: number): { update(done: number): void; stop(): void };
}

export interface ExperimentResult {
  readonly report: ExperimentReport;
  /** Raw runs, per name (`direct`, `mirrored`, `cloud-only`): the report is recomputable from them. */
  readonly runs: Readonly<Record<string, RunRecords>>;
  readonly runDir: string;
}

/** The environment with the command line's overrides applied. */
export function resolveEnvironment(options: RunOptions): Environment {
  const env = getEnvironment(options.env);
  return {
    ...env,
    threshold: options.threshold ?? env.threshold,
    devices: { count: options.devices ?? env.devices.count },
  };
}

interface RunContext {
  readonly options: RunOptions;
  readonly env: Environment;
  readonly clusters: LocalClusters;
  readonly images: readonly LabeledImage[];
  /** Requests per run: every image once, or once per device with --split same. */
  readonly requests: number;
  readonly logDir: string;
  readonly ui: ExperimentUi;
  readonly resources: Resources;
  readonly seen: { backend?: string; modelVersion?: string };
  /** per-layer CPU groups (null: --no-cpu-budgets) and every process of the run, for the CPU table */
  readonly cpu: CpuGroups | null;
  readonly roster: RosterEntry[];
  readonly cpuRuns: CpuRun[];
  /** --live: the view and the replicas it watches */
  readonly live?: LiveContext;
}

/** Creates the run's topics, starts its MirrorMaker 2 and workers, streams the images, and stops them again. */
async function runOnce(ctx: RunContext, wiring: RunWiring, label: string): Promise<RunRecords> {
  const { clusters, ui, options } = ctx;
  const own = new Resources();
  ctx.resources.add(`run ${wiring.name}`, async () => {
    for (const failure of await own.close()) ui.step(`${label}: could not stop ${failure}`);
  });
  try {
    ui.step(`${label}: creating topics on ${Object.keys(wiring.topics).join(' + ')}`);
    await clusters.createTopics(wiring.topics);

    // MM2 runs next to the cluster it writes to and reads the other one across the WAN.
    const mirrorMakers = await startMirrorMakersPerTarget({
      clusters: Object.fromEntries(clusters.clusters),
      flows: wiring.mirrors,
      dirFor: (target) => path.join(ctx.logDir, `mirror-maker-${wiring.name}-to-${target}`),
      heapMb: 256,
      onStart: (target, flows) =>
        ui.step(`${label}: MirrorMaker 2 → ${target} (${flows.map((f) => `${f.source}→${f.target}: ${f.topics.length} topic(s)`).join(', ')})`),
    });
    for (const [target, mm] of mirrorMakers) {
      own.add(`mirror-maker → ${target}`, () => mm.stop());
      enlist(ctx, { layer: target, kind: 'mirror-maker', name: `mirror-maker→${target}`, pid: mm.pid });
    }

    ui.step(`${label}: starting ${wiring.workers.length} worker process(es): ${wiring.workers.map((w) => w.name).join(', ')}`);
    const workers = await Promise.all(
      wiring.workers.map(async (launch) => {
        const start = () =>
          startWorkerProcess(launch, {
            logFile: path.join(ctx.logDir, `worker-${wiring.name}-${launch.name}.log`),
            backend: options.backend,
            tfThreads: options.tfThreads,
            metrics: ctx.live !== undefined,
          });
        const w: WorkerProcess = ctx.live
          ? await superviseReplica(start, {
              name: `${wiring.name}/${launch.name}`,
              live: ctx.live,
              log: (m) => ui.step(`${label}: ${m}`),
              onRestarted: (again) => enlist(ctx, { layer: launch.layer, kind: 'worker', name: `worker ${launch.name}`, pid: again.pid }),
            })
          : await start();
        own.add(`worker ${launch.name}`, () => w.stop());
        enlist(ctx, { layer: launch.layer, kind: 'worker', name: `worker ${launch.name}`, pid: w.pid });
        return w;
      }),
    );
    ctx.seen.backend ??= workers[0]?.ready.backend;
    if (wiring.layers.length > 1) ctx.seen.modelVersion ??= workers[0]?.ready.modelVersion;

    const mode: SendMode = options.rate ? { kind: 'rate', perSecond: options.rate } : { kind: 'closed-loop', window: 1 };
    const fleet0 = {
      brokers: wiring.devices.requestBrokers.split(','),
      requestTopic: wiring.devices.requestTopic,
      replyTopicPrefix: wiring.devices.replyTopicPrefix,
      createReplyTopics: false,
      devices: ctx.env.devices.count,
      split: options.split,
      timeoutMs: options.drainTimeoutS * 1000,
    };
    // The devices run in a child process of their own, in the `devices` CPU group (the paper's separate computers).
    const devicesLog = path.join(ctx.logDir, `devices-${wiring.name}.log`);
    const fleetRun = (
      fleet: FleetLaunch['fleet'],
      from: number,
      to: number,
      hooks: { onStreaming: (pid: number) => void; onFinished?: () => void; onProgress?: (done: number) => void },
    ) =>
      runDevicesInChild(
        { fleet, dataDir: options.dataDir, from, to },
        { logFile: devicesLog, onStreaming: hooks.onStreaming, onFinished: hooks.onFinished, onProgress: (done, _total, answered) => {
          hooks.onProgress?.(done);
          if (answered) ctx.live?.view.addRecord(answered); // the live view plots the devices' response times
        } },
      );
    const devicesEntry = (pid: number): RosterEntry => ({ layer: 'devices', kind: 'devices', name: 'devices', pid });
    ctx.cpu?.enforce(true); // the budgets hold for the warm-up and the stream, not for starting processes
    if (options.warmup > 0) {
      // Not measured: the first requests pay for connections, metadata and the model's first predictions.
      ui.step(`${label}: warm-up, ${options.warmup} request(s)`);
      await fleetRun({ ...fleet0, mode: { kind: 'closed-loop', window: 1 } }, 0, Math.min(options.warmup, ctx.images.length), {
        onStreaming: (pid) => ctx.cpu?.add('devices', pid),
      });
    }
    const bar = ui.startStream(label, ctx.requests);
    let wanBefore = clusters.wanBytes();
    let startedAt = Date.now();
    let fleet: DeviceFleetResult;
    // Measured from the first request to the last answer (the devices' start-up is outside the window).
    let throttledBefore = throttled(ctx);
    let cpuBefore = sampleCpu(ctx.roster.map((e) => e.pid));
    const onStreaming = (pid: number) => {
      enlist(ctx, devicesEntry(pid));
      cpuBefore = sampleCpu(ctx.roster.map((e) => e.pid));
      throttledBefore = throttled(ctx);
      wanBefore = clusters.wanBytes();
      startedAt = Date.now();
    };
    let cpuAfter = cpuBefore;
    let throttledAfter = throttledBefore;
    let finishedAt = Date.now();
    const onFinished = () => {
      cpuAfter = sampleCpu(ctx.roster.map((e) => e.pid));
      throttledAfter = throttled(ctx);
      finishedAt = Date.now();
    };
    try {
      fleet = await fleetRun({ ...fleet0, mode }, 0, ctx.images.length, { onStreaming, onFinished, onProgress: (done) => bar.update(done) });
    } finally {
      bar.stop();
    }
    const durationMs = finishedAt - startedAt;
    ctx.cpu?.enforce(false);
    const wanAfter = clusters.wanBytes();
    ctx.cpuRuns.push(
      summarizeCpuRun({
        run: wiring.name,
        roster: ctx.roster,
        before: cpuBefore,
        after: cpuAfter,
        requests: fleet.records.length,
        budgets: ctx.cpu?.budgets ?? {},
        throttledMs: throttledBetween(throttledBefore, throttledAfter),
      }),
    );
    // This run's workers, MM2 and devices go away with it: the next run enlists its own.
    ctx.roster.splice(0, ctx.roster.length, ...ctx.roster.filter((e) => e.kind === 'broker' || e.kind === 'zookeeper'));
    if (fleet.foreign > 0 || fleet.unknown > 0 || fleet.malformed > 0) {
      ui.step(`${label}: WARNING answers not matching a request: foreign ${fleet.foreign}, unknown ${fleet.unknown}, malformed ${fleet.malformed}`);
    }
    const answered = fleet.records.filter(isAnswered);
    return {
      sent: fleet.records.length,
      records: answered,
      // Answers that came again for an answered request (at-least-once redelivery): the devices drop and count them.
      duplicateAnswers: fleet.duplicates,
      wanBytes: { up: wanAfter.up - wanBefore.up, down: wanAfter.down - wanBefore.down },
      durationMs,
    };
  } finally {
    await ctx.resources.release(`run ${wiring.name}`);
  }
}

/** Records a process of the run and puts it in its layer's CPU group. */
function enlist(ctx: Pick<RunContext, 'cpu' | 'roster'>, entry: RosterEntry | (Omit<RosterEntry, 'pid'> & { pid: number | undefined })): void {
  if (entry.pid === undefined) return;
  const e = entry as RosterEntry;
  ctx.roster.push(e);
  ctx.cpu?.add(e.layer, e.pid);
}

function throttled(ctx: Pick<RunContext, 'cpu'>): Record<string, number> {
  return ctx.cpu?.throttledAllMs() ?? {};
}

/** Brokers and ZooKeeper of each layer's cluster, named by layer. */
export function clusterRoster(clusters: ReadonlyMap<string, LocalKafkaCluster>): RosterEntry[] {
  return [...clusters].flatMap(([layer, c]) => {
    const brokers = Array.from({ length: c.brokerCount }, (_, i) => ({ i, pid: c.brokerPid(i) }));
    const brokerPids = new Set(brokers.map((b) => b.pid));
    return [
      ...brokers.flatMap(({ i, pid }) => (pid === undefined ? [] : [{ layer, kind: 'broker' as const, name: `${layer} broker ${c.nodeIds[i]}`, pid }])),
      ...c.pids().filter((p) => !brokerPids.has(p)).map((pid) => ({ layer, kind: 'zookeeper' as const, name: `${layer} zookeeper`, pid })),
    ];
  });
}

/**
 * The run's CPU groups, quotas off until the stream (processes start unthrottled); null without budgets. Registered
 * with `resources` before anything else, so they are closed last, once every process has stopped.
 */
export function openCpuGroups(budgets: Readonly<Record<string, number>> | null, resources: Resources, step: (message: string) => void): CpuGroups | null {
  if (!budgets) {
    step('CPU budgets: none (--no-cpu-budgets): every process shares every core');
    return null;
  }
  const cpu = CpuGroups.create({ budgets, runId: `${process.pid}-${Date.now()}` });
  cpu.enforce(false);
  resources.add('cpu groups', async () => cpu.close());
  step(`CPU budgets: ${Object.entries(cpu.budgets).map(([k, v]) => `${k} ${v}`).join(', ')} (${cpu.note})`);
  return cpu;
}

/** The budgets in force: --cpu, else the environment's localCpu; none with --no-cpu-budgets. */
export function cpuBudgets(options: Pick<RunOptions, 'cpu' | 'cpuBudgets'>, env: Pick<Environment, 'localCpu' | 'layers'>): Record<string, number> | null {
  if (!options.cpuBudgets) return null;
  const budgets = { ...(env.localCpu ?? {}), ...(options.cpu ?? {}) };
  const names = new Set([...env.layers.map((l) => l.name), 'devices']);
  for (const k of Object.keys(budgets)) {
    if (!names.has(k)) throw new Error(`--cpu ${k}=…: "${k}" is neither a layer of ${env.layers.map((l) => l.name).join(', ')} nor "devices"`);
  }
  return Object.keys(budgets).length > 0 ? budgets : null;
}

export async function runExperiment(options: RunOptions, ui: ExperimentUi, resources: Resources): Promise<ExperimentResult> {
  const startedAt = new Date();
  const loadAtStart = os.loadavg();
  const env = resolveEnvironment(options);
  const runDir = path.resolve(options.out ?? path.join('results', startedAt.toISOString().replace(/[:.]/g, '-')));
  const logDir = path.join(runDir, 'logs');
  mkdirSync(logDir, { recursive: true });

  const images = loadTestImages(options.dataDir, options.images);
  const requests = options.split === 'same' ? images.length * env.devices.count : images.length;
  const wan = { latencyMs: options.wanLatency, bandwidthBytesPerSec: bandwidthBytesPerSec(options.wanBandwidth) };
  const layers = env.layers.map((l) => l.name);
  const brokers = Math.min(3, env.layers[0].kafka.brokers);
  ui.step(`env ${env.name}: ${layers.join(' + ')} clusters (${brokers} broker(s) each, ${env.coordination}), WAN ${options.wanLatency} ms one-way${wan.bandwidthBytesPerSec ? `, ${options.wanBandwidth} Mbit/s` : ''}; ${images.length} images, ${env.devices.count} devices`);
  const cpu = openCpuGroups(cpuBudgets(options, env), resources, ui.step);
  const clusters = await startLocalClusters(env, wan, `continuum-${process.pid}`);
  resources.add('kafka clusters', () => clusters.stop());

  let live: LiveContext | undefined;
  if (options.live) {
    live = await startLive(options.livePort, `continuum-ddnn live view: env ${env.name}`);
    resources.add('live view', () => live!.view.close());
    ui.step(`live view: ${live.view.url}`);
  }
  const ctx: RunContext = { options, env, clusters, images, requests, logDir, ui, resources, seen: {}, cpu, roster: [], cpuRuns: [], live };
  for (const e of clusterRoster(clusters.clusters)) enlist(ctx, e);
  const common = { addresses: clusters.addresses, modelDir: options.model, devices: env.devices.count, threshold: env.threshold, featuresDtype: options.features };
  const earlyExit: Array<{ transport: Transport; run: RunRecords }> = [];
  const runs: Record<string, RunRecords> = {};
  for (const transport of options.transports) {
    const run = await runOnce(ctx, wireRun({ ...common, env, transport, runName: transport }), `edge-cloud ${transport}`);
    earlyExit.push({ transport, run });
    runs[transport] = run;
  }
  if (options.baseline) {
    const baselineEnv = cloudOnlyEnvironment(env);
    const wiring = wireRun({ ...common, env: baselineEnv, transport: 'direct', runName: 'cloud-only', devicesAt: layers[0], placement: PLACEMENT.cloudOnly });
    runs['cloud-only'] = await runOnce(ctx, wiring, 'cloud-only');
  }
  ui.step('stopping the clusters');
  await resources.release('kafka clusters');

  const cpus = os.cpus();
  const report = buildReport({
    setup: {
      env: env.name,
      layers,
      threshold: env.threshold,
      devices: env.devices.count,
      images: images.length,
      brokersPerLayer: brokers,
      partitions: env.layers[0].topics.partitions,
      wan: { latencyMs: options.wanLatency, bandwidthMbps: options.wanBandwidth > 0 ? options.wanBandwidth : null },
      ratePerDevice: options.rate ?? null,
      split: options.split,
      dataset: options.dataLabel,
      model: path.relative(process.cwd(), options.model) || options.model,
      modelVersion: ctx.seen.modelVersion ?? 'unknown',
      backend: ctx.seen.backend ?? 'unknown',
      tfThreads: options.tfThreads,
      features: options.features,
      loadAverage: loadAtStart,
      host: `${cpus.length} CPU(s) ${cpus[0]?.model ?? ''}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`.replace(/\s+/g, ' '),
    },
    earlyExit,
    cloudOnly: runs['cloud-only'] ?? { sent: 0, records: [], wanBytes: { up: 0, down: 0 }, durationMs: 0 },
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    cpu: cpuReport(cpu, ctx.cpuRuns),
  });
  return { report, runs, runDir };
}

function cpuReport(cpu: CpuGroups | null, runs: CpuRun[]): CpuReport {
  return cpu
    ? { isolation: cpu.isolation, budgets: cpu.budgets, note: cpu.note, runs }
    : { isolation: 'none', budgets: {}, note: 'no CPU budgets (--no-cpu-budgets): every process shared every core', runs };
}
