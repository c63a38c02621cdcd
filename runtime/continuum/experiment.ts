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
import { runDevices, type DeviceFleetResult, type SendMode } from '../devices/simulator';
import type { LabeledImage } from '../devices/session';
import { startMirrorMakersPerTarget } from '../kafka/mirror-maker';
import { startLocalClusters, type LocalClusters } from './clusters';
import { loadTestImages } from '../devices/dataset';
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
    for (const [target, mm] of mirrorMakers) own.add(`mirror-maker → ${target}`, () => mm.stop());

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
          ? await superviseReplica(start, { name: `${wiring.name}/${launch.name}`, live: ctx.live, log: (m) => ui.step(`${label}: ${m}`) })
          : await start();
        own.add(`worker ${launch.name}`, () => w.stop());
        return w;
      }),
    );
    ctx.seen.backend ??= workers[0]?.ready.backend;
    if (wiring.layers.length > 1) ctx.seen.modelVersion ??= workers[0]?.ready.modelVersion;

    const mode: SendMode = options.rate ? { kind: 'rate', perSecond: options.rate } : { kind: 'closed-loop', window: 1 };
    const fleetOptions = {
      brokers: wiring.devices.requestBrokers.split(','),
      requestTopic: wiring.devices.requestTopic,
      replyTopicPrefix: wiring.devices.replyTopicPrefix,
      createReplyTopics: false,
      devices: ctx.env.devices.count,
      split: options.split,
      timeoutMs: options.drainTimeoutS * 1000,
    };
    if (options.warmup > 0) {
      // Not measured: the first requests pay for connections, metadata and the model's first predictions.
      ui.step(`${label}: warm-up, ${options.warmup} request(s)`);
      await runDevices({ ...fleetOptions, images: ctx.images.slice(0, options.warmup), mode: { kind: 'closed-loop', window: 1 } });
    }
    const bar = ui.startStream(label, ctx.requests);
    const wanBefore = clusters.wanBytes();
    const startedAt = Date.now();
    let fleet: DeviceFleetResult;
    try {
      fleet = await runDevices({
        ...fleetOptions,
        images: ctx.images,
        mode,
        onProgress: (done, _total, answered) => {
          bar.update(done);
          if (answered) ctx.live?.view.addRecord(answered); // the live view plots the devices' response times
        },
      });
    } finally {
      bar.stop();
    }
    const durationMs = Date.now() - startedAt;
    const wanAfter = clusters.wanBytes();
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
  const clusters = await startLocalClusters(env, wan, `continuum-${process.pid}`);
  resources.add('kafka clusters', () => clusters.stop());

  let live: LiveContext | undefined;
  if (options.live) {
    live = await startLive(options.livePort, `continuum-ddnn live view: env ${env.name}`);
    resources.add('live view', () => live!.view.close());
    ui.step(`live view: ${live.view.url}`);
  }
  const ctx: RunContext = { options, env, clusters, images, requests, logDir, ui, resources, seen: {}, live };
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
  });
  return { report, runs, runDir };
}
