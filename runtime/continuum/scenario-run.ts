/**
 * The `wan-drop` scenario on this machine: edge and cloud clusters behind the emulated WAN, the early-exit
 * continuum (direct transport), a steady stream from the devices at a fixed rate, and the phases applied to the
 * WAN links (rate, delay, cut) and to the edge replicas (extra predict time) while it flows. It runs once with the
 * adaptive controller (runtime/controller, in this process, on the edge side) and once without; each run has its
 * own topics and its own control topic, so the runs cannot see each other's settings.
 */
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { Kafka } from 'kafkajs';
import { CONTROL_TOPIC_CONFIGS, controlKey, encodeControlValue, type LayerSettings } from '../../contracts/control';
import type { DeviceRecord } from '../../contracts/records';
import { getEnvironment } from '../../environments';
import { renderSvg } from '../charts/render';
import { startController, type WindowRecord } from '../controller/controller';
import { clientConfig } from '../kafka/client-settings';
import { parsePrometheusText } from '../live/prometheus';
import type { Calibration, HysteresisOptions, Setting } from '../controller/decide';
import { DeviceSession, type LabeledImage } from '../devices/session';
import { loadTestImages } from '../devices/dataset';
import { CpuGroups, throttledBetween } from '../process/cpu-groups';
import { startLocalClusters, type LocalClusters } from './clusters';
import { runDevicesInChild } from './device-fleet-process';
import { clusterRoster, openCpuGroups } from './experiment';
import { startWorkerProcess, type WorkerProcess } from './processes';
import { Resources } from './resources';
import { phaseBounds, phaseTable, renderScenarioTable, scenarioChart, windowStats, type DecisionMark, type Phase, type ScenarioRun } from './scenario';
import { PLACEMENT, WHOLE_MODEL_WORKER, wireRun } from './wiring';

export interface ScenarioOptions {
  readonly env: string;
  readonly modelDir: string;
  readonly dataDir: string;
  readonly phases: readonly Phase[];
  readonly devices: number;
  /** requests per second per device */
  readonly rate: number;
  readonly threshold: number;
  readonly featuresDtype: 'float32' | 'float16' | 'int8';
  readonly calibration: Calibration;
  readonly hysteresis?: HysteresisOptions;
  /** @default 2000 */
  readonly controllerWindowMs?: number;
  /** a WAN probe slower than this is lost. @default 2000 */
  readonly probeTimeoutMs?: number;
  /** which runs, in this order */
  readonly runs: readonly ('controller' | 'baseline')[];
  /** response-time windows of the chart and the JSON. @default 5 */
  readonly windowS?: number;
  readonly backend: string;
  readonly tfThreads: number;
  readonly warmup: number;
  readonly drainTimeoutS: number;
  readonly out: string;
  /**
   * CPU cores per group (layers and `devices`), as in `npm start`: each layer's brokers and workers, and the devices
   * (in a child process), run under their quota while the stream flows; the main job (WAN emulator, controller)
   * does not. null or absent: no budgets.
   */
  readonly cpuBudgets?: Readonly<Record<string, number>> | null;
}

export interface ScenarioUi {
  step(message: string): void;
  /** once a second while streaming */
  progress(run: string, phase: string, elapsedS: number, totalS: number, answered: number, sent: number): void;
}

export interface ScenarioReport {
  readonly scenario: 'wan-drop';
  readonly startedAt: string;
  readonly setup: Record<string, unknown>;
  readonly phases: readonly Phase[];
  readonly runs: readonly ScenarioRun[];
}

const MBIT = 125_000;

const metricsUrl = (w: WorkerProcess) => `http://127.0.0.1:${w.ready.httpPort}/metrics`;

/** Writes (or clears, with null) `settings/<layer>` on a control topic and waits for the acknowledgement. */
async function writeSettings(brokers: string, topic: string, layer: string, value: LayerSettings | null): Promise<void> {
  const producer = new Kafka(clientConfig('ddnn-scenario-control', brokers)).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: controlKey('settings', layer), value: value ? encodeControlValue(value) : null }] });
  } finally {
    await producer.disconnect();
  }
}

/** Polls every worker's /metrics until the gauge reads `value` on all of them (10 s at most). */
async function waitForGauge(urls: readonly string[], gauge: string, value: number): Promise<void> {
  const read = async (url: string) => parsePrometheusText(await (await fetch(url, { signal: AbortSignal.timeout(1000) })).text()).find((x) => x.name === gauge)?.value;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    const values = await Promise.all(urls.map((u) => read(u).catch(() => undefined)));
    if (values.every((v) => v === value)) return;
  }
  throw new Error(`workers did not report ${gauge} ${value} within 10 s`);
}

function shapeWan(clusters: LocalClusters, phase: Phase): void {
  // Every cross-layer connection crosses the link of the cluster it reaches: shape (or cut) all of them.
  for (const c of clusters.clusters.values()) {
    const link = c.wanLink;
    if (!link) continue;
    if (phase.wan === 'cut') link.cut('stall');
    else {
      link.set({ latencyMs: phase.wan.latencyMs, bandwidthBytesPerSec: phase.wan.bandwidthMbps * MBIT });
      link.heal();
    }
  }
}

const describe = (s: Setting) =>
  s.placement === 'split' ? `${s.threshold} ${s.featuresDtype}${s.batchMaxWaitMs ? ` wait ${s.batchMaxWaitMs} ms` : ''}` : s.placement;

/** Bytes a device's raw request puts on the WAN when the edge relays it (value, key and headers). */
export function requestBytes(image: LabeledImage): number {
  const r = new DeviceSession('device-0', 'replies.device-0', 'size').request(image, Date.now());
  return r.value.length + r.key.length + Object.entries(r.headers).reduce((n, [k, v]) => n + k.length + Buffer.byteLength(v), 0);
}

async function runOnce(o: ScenarioOptions, clusters: LocalClusters, cpu: CpuGroups | null, name: 'controller' | 'baseline', images: readonly LabeledImage[], ui: ScenarioUi, logDir: string): Promise<ScenarioRun> {
  const own = new Resources();
  try {
    const env = getEnvironment(o.env);
    const runName = `wan-drop-${name}-${Date.now().toString(36)}`;
    // The controller's cloud-only placement needs the model's cloud-only partition for a standby worker.
    const withWholeModel = existsSync(path.join(o.modelDir, PLACEMENT.cloudOnly));
    const wiring = wireRun({ env, transport: 'direct', addresses: clusters.addresses, modelDir: o.modelDir, devices: o.devices, threshold: o.threshold, featuresDtype: o.featuresDtype, runName, wholeModelStandby: withWholeModel });
    const controlTopic = `ddnn.control.${runName}`;
    const topics = Object.fromEntries(Object.entries(wiring.topics).map(([layer, specs]) => [layer, [...specs, { name: controlTopic, partitions: 1, configs: { ...CONTROL_TOPIC_CONFIGS } }]]));
    shapeWan(clusters, o.phases[0]);
    ui.step(`${name}: topics, ${wiring.workers.length} worker process(es)`);
    await clusters.createTopics(topics);
    const workers: WorkerProcess[] = await Promise.all(
      wiring.workers.map(async (launch) => {
        const w = await startWorkerProcess(
          { ...launch, config: { ...launch.config, controlTopic } as typeof launch.config },
          { logFile: path.join(logDir, `worker-${name}-${launch.name}.log`), backend: o.backend, tfThreads: o.tfThreads, metrics: true, debugHooks: true },
        );
        own.add(`worker ${launch.name}`, () => w.stop());
        cpu?.add(launch.layer, w.pid);
        return w;
      }),
    );
    const layerOf = new Map(wiring.workers.map((l) => [l.name, l.layer]));
    const entry = wiring.layers[0];
    const fleet = {
      brokers: wiring.devices.requestBrokers.split(','),
      requestTopic: wiring.devices.requestTopic,
      replyTopicPrefix: wiring.devices.replyTopicPrefix,
      createReplyTopics: false,
      devices: o.devices,
      split: 'shard' as const,
      timeoutMs: o.drainTimeoutS * 1000,
    };
    // The devices run in a child process of their own (their CPU group), cycling through the sample.
    const devicesLog = path.join(logDir, `devices-${name}.log`);
    const onStreaming = (pid: number) => cpu?.add('devices', pid);
    cpu?.enforce(true); // the budgets hold for the warm-up and the stream, not for starting processes
    if (o.warmup > 0) {
      const warmUp = (count: number) =>
        runDevicesInChild({ fleet: { ...fleet, mode: { kind: 'closed-loop', window: 1 } }, dataDir: o.dataDir, from: 0, to: images.length, count }, { logFile: devicesLog, onStreaming });
      if (withWholeModel) {
        // The standby whole-model worker too, through the relay itself, so the controller has its predict time.
        const entryWorkers = workers.filter((w) => layerOf.get(w.name) === entry);
        const relay = async (on: boolean) => {
          await writeSettings(clusters.addresses[entry].local, controlTopic, entry, on ? { relay: true, issuedAt: Date.now(), by: 'scenario', reason: 'warm-up of the whole model' } : null);
          await waitForGauge(entryWorkers.map(metricsUrl), 'ddnn_relay', on ? 1 : 0);
        };
        const n = Math.min(o.warmup, 20);
        ui.step(`${name}: warm-up of the standby whole model, ${n} request(s) relayed`);
        await relay(true);
        await warmUp(n);
        await relay(false);
      }
      ui.step(`${name}: warm-up, ${o.warmup} request(s)`);
      await warmUp(o.warmup);
    }

    const decisions: DecisionMark[] = [];
    let t0 = Date.now();
    if (name === 'controller') {
      const log = pino({ level: 'info', base: { component: 'controller' } }, createWriteStream(path.join(logDir, `controller-${runName}.log`)));
      const controller = await startController({
        layers: wiring.layers.map((layer) => ({
          name: layer,
          brokers: layer === entry ? clusters.addresses[layer].local : clusters.addresses[layer].wan,
          metrics: workers.filter((w) => w.name !== WHOLE_MODEL_WORKER && layerOf.get(w.name) === layer && w.ready.httpPort !== null).map(metricsUrl),
        })),
        ...(withWholeModel ? { wholeModel: { metrics: workers.filter((w) => w.name === WHOLE_MODEL_WORKER && w.ready.httpPort !== null).map(metricsUrl) } } : {}),
        calibration: { ...o.calibration, inputBytes: o.calibration.inputBytes ?? requestBytes(images[0]) },
        initial: { placement: 'split', threshold: o.threshold, featuresDtype: o.featuresDtype, batchMaxWaitMs: 0 },
        windowMs: o.controllerWindowMs ?? 2000,
        probeTimeoutMs: o.probeTimeoutMs,
        hysteresis: o.hysteresis,
        controlTopic,
        log,
        onWindow: (w: WindowRecord) => {
          if (!w.change) return;
          const t = (w.snapshot.at - t0) / 1000;
          decisions.push({ t, setting: describe(w.change.to), reason: w.change.reason });
          ui.step(`${name}: controller → ${describe(w.change.to)} at ${t.toFixed(1)} s: ${w.change.reason}`);
        },
      });
      own.add('controller', () => controller.stop());
    }

    // The phases, on a clock started with the stream.
    const bounds = phaseBounds(o.phases);
    const totalS = bounds.at(-1)!.toS;
    const perDevice = Math.max(1, Math.round(o.rate * totalS));
    let phaseName = bounds[0].name;
    let answered = 0;
    let finished = 0;
    const timers: NodeJS.Timeout[] = [];
    const apply = (p: Phase, i: number) => {
      phaseName = bounds[i].name;
      shapeWan(clusters, p);
      for (const w of workers) if (layerOf.get(w.name) === entry) w.setExtraPredictMs(p.extraEdgePredictMs);
      ui.step(`${name}: phase ${phaseName}`);
    };
    // The clock starts with the first request sent (devices take a few seconds to connect): the first answer
    // says when that was, and the phases are scheduled from it.
    let started = false;
    const start = (sentAt: number) => {
      started = true;
      t0 = sentAt;
      bounds.forEach((b, i) => i > 0 && timers.push(setTimeout(() => apply(o.phases[i], i), Math.max(0, t0 + b.fromS * 1000 - Date.now()))));
    };
    apply(o.phases[0], 0);
    const ticker = setInterval(() => started && ui.progress(name, phaseName, (Date.now() - t0) / 1000, totalS, answered, finished), 1000);
    let records: DeviceRecord[];
    const throttled = () => cpu?.throttledAllMs() ?? {};
    const throttledBefore = throttled();
    let throttledAfter = throttledBefore;
    try {
      const result = await runDevicesInChild(
        { fleet: { ...fleet, mode: { kind: 'rate', perSecond: o.rate } }, dataDir: o.dataDir, from: 0, to: images.length, count: perDevice * o.devices },
        {
          logFile: devicesLog,
          onStreaming,
          onProgress: (done, _total, a) => {
            finished = done;
            if (a) answered++;
            if (!started) start(a?.sentAt ?? Date.now());
          },
          onFinished: () => (throttledAfter = throttled()),
        },
      );
      records = result.records;
      if (result.foreign + result.unknown + result.malformed > 0) ui.step(`${name}: WARNING foreign ${result.foreign}, unknown ${result.unknown}, malformed ${result.malformed} answers`);
    } finally {
      cpu?.enforce(false);
      timers.forEach(clearTimeout);
      clearInterval(ticker);
      for (const w of workers) w.setExtraPredictMs(0);
      shapeWan(clusters, o.phases[0]);
    }
    const windowS = o.windowS ?? 5;
    return {
      name: name === 'controller' ? 'with controller' : 'without controller',
      controller: name === 'controller',
      backend: [...new Set(workers.map((w) => w.ready.backend))].join('+') || 'unknown',
      windows: windowStats(records, t0, windowS, totalS),
      phases: phaseTable(records, o.phases, t0, entry),
      decisions,
      ...(cpu ? { throttledMs: Object.fromEntries(Object.entries(throttledBetween(throttledBefore, throttledAfter)).map(([g, ms]) => [g, Math.round(ms)])) } : {}),
    };
  } finally {
    for (const f of await own.close()) ui.step(`${name}: could not stop ${f}`);
  }
}

export async function runScenario(o: ScenarioOptions, ui: ScenarioUi, resources: Resources): Promise<{ report: ScenarioReport; files: { json: string; svg: string; html: string } }> {
  const startedAt = new Date();
  mkdirSync(path.join(o.out, 'logs'), { recursive: true });
  const env = getEnvironment(o.env);
  const images = loadTestImages(o.dataDir, undefined);
  const first = o.phases[0].wan === 'cut' ? { latencyMs: 15, bandwidthMbps: 100 } : o.phases[0].wan;
  ui.step(`wan-drop: ${env.layers.map((l) => l.name).join(' + ')} clusters, ${o.devices} device(s) × ${o.rate} req/s, phases ${o.phases.map((p) => `${p.name} ${p.durationS} s`).join(', ')}`);
  const cpu = openCpuGroups(o.cpuBudgets ?? null, resources, ui.step);
  const clusters = await startLocalClusters(env, { latencyMs: first.latencyMs, bandwidthBytesPerSec: first.bandwidthMbps * MBIT }, `wan-drop-${process.pid}`);
  resources.add('kafka clusters', () => clusters.stop());
  for (const e of clusterRoster(clusters.clusters)) cpu?.add(e.layer, e.pid);
  const loadAtStart = os.loadavg(); // the benchmark's record: was the machine quiet?
  const runs: ScenarioRun[] = [];
  for (const name of o.runs) runs.push(await runOnce(o, clusters, cpu, name, images, ui, path.join(o.out, 'logs')));
  ui.step('stopping the clusters');
  await resources.release('kafka clusters');

  const report: ScenarioReport = {
    scenario: 'wan-drop',
    startedAt: startedAt.toISOString(),
    setup: { env: o.env, model: o.modelDir, devices: o.devices, ratePerDevice: o.rate, threshold: o.threshold, features: o.featuresDtype, accuracyBudget: o.calibration.accuracyBudget, finalExitAccuracy: o.calibration.finalExitAccuracy, controllerWindowMs: o.controllerWindowMs ?? 2000, hysteresis: o.hysteresis ?? null, backend: [...new Set(runs.map((r) => r.backend))].join('+') || o.backend, backendRequested: o.backend, cpu: cpu ? { budgets: cpu.budgets, isolation: cpu.note } : null, loadAverage: loadAtStart, host: `${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`.replace(/\s+/g, ' ') },
    phases: o.phases,
    runs,
  };
  const windowS = o.windowS ?? 5;
  const svg = await renderSvg(scenarioChart(`wan-drop: p50 (dashed) / p95 per ${windowS} s window, with and without the controller`, runs, phaseBounds(o.phases), windowS));
  const files = { json: path.join(o.out, 'wan-drop.json'), svg: path.join(o.out, 'wan-drop.svg'), html: path.join(o.out, 'wan-drop.html') };
  writeFileSync(files.json, JSON.stringify(report, null, 1));
  writeFileSync(files.svg, svg);
  const decisions = runs.flatMap((r) => r.decisions.map((d) => `<li>${d.t.toFixed(1)} s → <b>${escape(d.setting)}</b>: ${escape(d.reason)}</li>`)).join('\n');
  writeFileSync(
    files.html,
    `<!doctype html><meta charset="utf-8"><title>wan-drop</title><body style="font-family:sans-serif;max-width:1000px">
<h1>wan-drop scenario</h1>${svg}<h2>Per phase</h2><pre>${escape(renderScenarioTable(runs))}</pre><h2>The controller's decisions</h2><ul>${decisions || '<li>none</li>'}</ul></body>`,
  );
  return { report, files };
}

function escape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
