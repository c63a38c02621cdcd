/**
 * Shared by the reliability suites: the tiny edge → cloud model with what each image must get back, worker
 * replicas as real processes (so they can be SIGKILLed), /metrics scraping, and the end count of a scenario —
 * sent / answered (after de-duplication by request id) / lost / duplicated / misrouted.
 */
import { ChildProcess, spawn } from 'child_process';
import { mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';
import type { Kafka } from 'kafkajs';
import type { DeviceFleetResult } from '../../runtime/devices/simulator';
import { LOW_LATENCY_CONSUMER } from '../../runtime/kafka/client-settings';
import { selectBackend } from '../../runtime/tf/backend';
import { loadSubModel } from '../../runtime/tf/sub-model';
import { argmax } from '../../runtime/worker/exit-policy';
import { syntheticImages, writeTinyPartitionedModel } from '../runtime/fixtures/tiny-model';

export const REPO = path.resolve(__dirname, '../..');

export type Image = ReturnType<typeof syntheticImages>[number];

/** What the sub-models say in-process for one image: an answer that differs was routed to the wrong request. */
export interface Expected {
  edgeClass: number;
  edgeTop: number;
  cloudClass: number;
}

export interface TinyContinuumModel {
  edge: string;
  cloud: string;
  modelVersion: string;
  images: Image[];
  expected: Map<number, Expected>;
  /** median edge confidence: about half the images exit at the edge, the rest go to the cloud */
  threshold: number;
}

export async function prepareTinyModel(dir: string, imageCount: number, seed = 11): Promise<TinyContinuumModel> {
  const model = await writeTinyPartitionedModel(dir, seed);
  const images = syntheticImages(imageCount, 3);
  await selectBackend('auto');
  const edge = await loadSubModel(model.edge);
  const cloud = await loadSubModel(model.cloud);
  const edgeOut = await edge.predict(images.map((i) => i.pixels));
  const cloudOut = await cloud.predict(edgeOut.map((o) => o.features!));
  const expected = new Map<number, Expected>();
  images.forEach((img, i) => {
    const e = argmax(edgeOut[i].exit!);
    expected.set(img.id, { edgeClass: e.index, edgeTop: e.value, cloudClass: argmax(cloudOut[i].exit!).index });
  });
  edge.dispose();
  cloud.dispose();
  const tops = [...expected.values()].map((e) => e.edgeTop).sort((a, b) => a - b);
  const threshold = (tops[Math.floor(tops.length / 2) - 1] + tops[Math.floor(tops.length / 2)]) / 2;
  return { ...model, images, expected, threshold };
}

/** The end count of one scenario. */
export interface Tally {
  scenario: string;
  devices: number;
  sent: number;
  /** distinct requests answered (duplicates removed by request id) */
  answered: number;
  /** requests never answered within the devices' timeout */
  lost: number;
  /** extra answers to an already answered request, dropped by the device */
  duplicated: number;
  /** answers naming another device or an unknown request, or whose prediction is not the one for the request's image */
  misrouted: number;
  byLayer: Record<string, number>;
  wallMs: number;
  notes?: Record<string, unknown>;
}

export function tally(scenario: string, devices: number, result: DeviceFleetResult, model: TinyContinuumModel, notes?: Record<string, unknown>): Tally {
  const answered = result.records.filter((r) => r.answeredAt !== null);
  let wrong = 0;
  const byLayer: Record<string, number> = {};
  for (const r of answered) {
    byLayer[r.layer!] = (byLayer[r.layer!] ?? 0) + 1;
    const e = model.expected.get(r.imageId);
    const want = e && (e.edgeTop >= model.threshold ? { layer: 'edge', cls: e.edgeClass } : { layer: 'cloud', cls: e.cloudClass });
    if (!want || r.layer !== want.layer || r.predicted !== want.cls) wrong++;
  }
  return {
    scenario,
    devices,
    sent: result.records.length,
    answered: answered.length,
    lost: result.records.length - answered.length,
    duplicated: result.duplicates,
    misrouted: result.foreign + result.unknown + result.malformed + wrong,
    byLayer,
    wallMs: Math.round(result.finishedAt - result.startedAt),
    notes,
  };
}

/**
 * Where each request a device gave up on got to: every record keyed by its id in the given topics (read from the
 * beginning up to their high watermarks), as `topic/partition@offset`. Tells which hop lost it — absent from the
 * first layer's input: acknowledged to the device yet never written (the device counts only acknowledged sends; a
 * reused idempotent sequence did this, see the kafkajs patch); in a reply topic: answered but missed by the device.
 */
export async function traceLost(kafka: Kafka, result: DeviceFleetResult, topics: readonly string[], timeoutMs = 30_000): Promise<Record<string, string[]>> {
  const lost = result.records.filter((r) => r.answeredAt === null);
  const out: Record<string, string[]> = Object.fromEntries(lost.map((r) => [r.requestId, [] as string[]]));
  if (lost.length === 0) return out;
  for (const r of await readTopics(kafka, topics, timeoutMs)) if (r.key && out[r.key]) out[r.key].push(`${r.topic}/${r.partition}@${r.offset}`);
  return out;
}

export interface StoredRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
}

/** Every record in the topics, read from the beginning to the end offsets seen at the call. */
export async function readTopics(kafka: Kafka, topics: readonly string[], timeoutMs = 30_000): Promise<StoredRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, number>();
  try {
    for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) if (Number(p.high) > Number(p.low)) ends.set(`${topic}/${p.partition}`, Number(p.high) - 1);
  } finally {
    await admin.disconnect();
  }
  const out: StoredRecord[] = [];
  if (ends.size === 0) return out;
  const consumer = kafka.consumer({ ...LOW_LATENCY_CONSUMER, groupId: `read-topics-${Date.now()}` });
  await consumer.connect();
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`readTopics: topics not read to their ends in ${timeoutMs} ms: ${[...ends.keys()].join(', ')}`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          out.push({ topic, partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? null });
          const key = `${topic}/${partition}`;
          if (ends.has(key) && Number(message.offset) >= ends.get(key)!) ends.delete(key);
          if (ends.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Prints the counts as one line each and writes them to results/reliability/<file>. */
export function report(file: string, tallies: readonly Tally[]): void {
  if (tallies.length === 0) return;
  const lines = tallies.map(
    (t) =>
      `${t.scenario.padEnd(34)} devices=${t.devices} sent=${t.sent} answered=${t.answered} lost=${t.lost} ` +
      `duplicated=${t.duplicated} misrouted=${t.misrouted} edge/cloud=${t.byLayer.edge ?? 0}/${t.byLayer.cloud ?? 0} ` +
      `wall=${(t.wallMs / 1000).toFixed(1)}s${t.notes ? ` ${JSON.stringify(t.notes)}` : ''}`,
  );
  process.stdout.write(`\n── reliability: ${file} ──\n${lines.join('\n')}\n`);
  const dir = path.join(REPO, 'results', 'reliability');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, file), JSON.stringify({ at: new Date().toISOString(), tallies }, null, 2));
}

export interface WorkerChild {
  readonly child: ChildProcess;
  readonly pid: number;
  /** resolves once the consumer joined its group; rejects if the process exits first */
  readonly joined: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** health/metrics port, known once the worker logged `worker-started` */
  httpPort(): number | null;
  log(): string;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** One worker replica as a real process (runtime/worker/main.ts), configured by DDNN_* env vars. */
export function spawnWorker(env: Record<string, string>): WorkerChild {
  const child = spawn(process.execPath, ['--import', 'tsx', 'runtime/worker/main.ts'], {
    cwd: REPO,
    env: { ...process.env, DDNN_HTTP_PORT: '0', DDNN_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let log = '';
  let port: number | null = null;
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  const joined = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /"httpPort":(\d+)/.exec(log);
      if (m) port = Number(m[1]);
      if (log.includes('"event":"group-join"')) resolve();
    });
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    void exited.then((e) => reject(new Error(`worker exited (${JSON.stringify(e)}) before joining:\n${log.slice(-3000)}`)));
  });
  joined.catch(() => undefined);
  return { child, pid: child.pid!, joined, exited, httpPort: () => port, log: () => log };
}

/** Prometheus text → { 'name{labels}': value }. */
export async function scrapeMetrics(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  const text = await res.text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Sum of every series of a metric (all label sets). */
export function metricSum(metrics: Map<string, number>, name: string): number {
  let n = 0;
  for (const [k, v] of metrics) if (k === name || k.startsWith(`${name}{`)) n += v;
  return n;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
