/**
 * Worker throughput at saturation vs raw in-process predict of the same sub-model on the same backend, in one
 * process and one run; and the per-hop overhead at low load (broker in → broker out minus model time).
 *
 *   npm run bench:worker -- [--images 2000] [--rounds 3] [--batch 16] [--wait-ms 0] [--partitions 4] [--latency-requests 200]
 *
 * Saturation: N requests are preloaded into the input topic, then the worker starts; throughput is counted
 * from the worker taking its first request (its hop's inAt) to the broker appending the last output (topics
 * use LogAppendTime), so start-up is excluded. Three modes: every sample answered at the exit (threshold 0), every sample forwarded as float32
 * features (threshold 1), and forwarded as float16. The baseline is `SubModel.predict` over the same images in
 * batches of the same size (uint8 → float → predict → read back, exactly the worker's predict call), run
 * between the worker runs; each worker run's ratio uses the raw runs just before and after it.
 * CPU per image is recorded for the process (TensorFlow threads included) and the broker JVM.
 * Per-hop overhead: one request in flight; for each, (append time of the answer − append time of the request)
 * − model time of its batch (from the ddnn-hops header), for two batch waits (the configured one and 5 ms).
 * Prints a table and writes results/worker-throughput-<timestamp>.json with backend, machine and config.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { Kafka, Producer } from 'kafkajs';
import { loadTestImages } from '../../runtime/devices/dataset';
import { LabeledImage } from '../../runtime/devices/session';
import { latencySummary, LatencySummary } from '../../runtime/collector/collect';
import { startCluster, KafkaCluster } from '../../runtime/kafka/cluster';
import { ACKS_ALL, clientConfig, LOW_LATENCY_CONSUMER, LOW_LATENCY_PRODUCER } from '../../runtime/kafka/client-settings';
import { backendFeatures, backendFromEnv, selectBackend } from '../../runtime/tf/backend';
import { loadSubModel, SubModel } from '../../runtime/tf/sub-model';
import { decodeHops, encodeRequestHeaders, encodeTensor, HEADER } from '../../runtime/wire';
import { startWorker } from '../../runtime/worker/worker';
import { parseArchitecture } from '../../models/architecture';
import { buildFullModel } from '../../models/build';
import { writePartition } from '../../models/partition';
import { resolvePlacement } from '../../models/placement';

const ROOT = path.resolve(__dirname, '..', '..');
const SHIPPED = path.join(ROOT, 'models/trained/compact-branchynet/partitions/edge-cloud/edge');

interface Options {
  rounds: number;
  images: number;
  batch: number;
  waitMs: number;
  partitions: number;
  latencyRequests: number;
  model?: string;
  data: string;
}

async function main(): Promise<void> {
  const o = new Command('bench:worker')
    .option('--images <n>', 'requests per saturation run', Number, 2000)
    .option('--batch <n>', 'worker batchMaxSize and baseline batch size', Number, 16)
    .option('--wait-ms <ms>', 'worker batchMaxWaitMs', Number, 0)
    .option('--partitions <n>', 'input topic partitions (= partitions consumed concurrently)', Number, 4)
    .option('--latency-requests <n>', 'requests in each per-hop overhead run', Number, 200)
    .option('--rounds <n>', 'interleaved rounds of raw predict and worker runs', Number, 3)
    .option('--model <dir>', 'sub-model folder (default: the shipped compact edge sub-model, else the compact architecture with random weights)')
    .option('--data <dir>', 'CIFAR-10 binary-layout directory', path.resolve(ROOT, '../shared/data/cifar10'))
    .parse()
    .opts<Options>();

  const loadAtStart = os.loadavg();
  const backend = await selectBackend(backendFromEnv(process.env));
  const { sub, modelNote, cleanup } = await benchModel(o.model);
  const images = benchSamples(sub, o.data, o.images);
  log(`backend ${backend.name}; model ${modelNote}; ${images.length} images; batch ${o.batch}, wait ${o.waitMs} ms, ${o.partitions} partitions`);
  const cluster = await startCluster({ name: 'bench-worker' });
  const results: Record<string, unknown> = {};
  try {
    const kafka = new Kafka(clientConfig('bench-worker', cluster.bootstrapServers));
    const producer = kafka.producer(LOW_LATENCY_PRODUCER);
    await producer.connect();

    // Warm-up (not reported): the broker's JIT and the worker's code paths, so the first measured mode is not penalised.
    await saturate(cluster, kafka, producer, sub, images.slice(0, Math.min(400, images.length)), o, 'answer', 'warmup');
    // Rounds of raw predict and worker runs, interleaved: each worker run is compared with the raw predict runs
    // just before and after it, so a change in the machine's load hits both sides of a ratio alike.
    let rawPrev = await rawPredict(sub, images, o.batch);
    const raw: number[] = [rawPrev];
    const runs: Record<Mode, (SaturationResult & { ratio: number })[]> = { answer: [], forward: [], 'forward-f16': [], 'forward-i8': [] };
    // The last layer has no next topic: it answers everything.
    const modes = sub.manifest.next ? MODES : (['answer'] as Mode[]);
    for (let round = 1; round <= o.rounds; round++) {
      for (const mode of modes) {
        const r = await saturate(cluster, kafka, producer, sub, images, o, mode, `${mode}-r${round}`);
        const rawNext = await rawPredict(sub, images, o.batch);
        raw.push(rawNext);
        runs[mode].push({ ...r, ratio: r.imgPerSec / ((rawPrev + rawNext) / 2) });
        log(`round ${round}: worker (${mode}) ${r.imgPerSec.toFixed(1)} img/s = ${(r.imgPerSec / ((rawPrev + rawNext) / 2)).toFixed(2)} × raw predict (${rawPrev.toFixed(0)}, ${rawNext.toFixed(0)} img/s); mean batch ${r.meanBatch.toFixed(1)}`);
        rawPrev = rawNext;
      }
    }
    const latency: Record<string, OverheadResult> = {};
    for (const waitMs of [...new Set([o.waitMs, 5])]) {
      latency[`wait${waitMs}ms`] = await overhead(cluster, kafka, producer, sub, images, o, waitMs);
      const r = latency[`wait${waitMs}ms`];
      log(`per-hop overhead (batch wait ${waitMs} ms): p50 ${r.brokerToBroker.p50Ms.toFixed(2)} ms, p99 ${r.brokerToBroker.p99Ms.toFixed(2)} ms`);
    }
    await producer.disconnect();

    const rawCpu = median(rawCpuMsPerImage);
    const saturation = Object.fromEntries(
      modes.map((m) => [
        m,
        {
          medianImgPerSec: median(runs[m].map((r) => r.imgPerSec)),
          medianRatio: median(runs[m].map((r) => r.ratio)),
          ratios: runs[m].map((r) => r.ratio),
          cpuMsPerImage: { workerProcess: median(runs[m].map((r) => r.cpuMsPerImage.workerProcess)), broker: median(runs[m].map((r) => r.cpuMsPerImage.broker)) },
          runs: runs[m],
        },
      ]),
    );
    Object.assign(results, { baseline: { rawPredictImgPerSec: raw, median: median(raw), cpuMsPerImage: rawCpu }, saturation, latency });

    console.log(`\nthroughput, ${o.rounds} rounds (medians)      img/s   × raw predict [per round]   CPU ms/img: process  broker`);
    console.log(`  ${'raw predict'.padEnd(34)} ${median(raw).toFixed(1).padStart(7)}   1.00                         ${rawCpu.toFixed(3).padStart(7)}       -`);
    for (const m of modes) {
      const r = saturation[m];
      console.log(
        `  ${`worker, ${m}`.padEnd(34)} ${r.medianImgPerSec.toFixed(1).padStart(7)}   ${r.medianRatio.toFixed(2)} [${r.ratios.map((x) => x.toFixed(2)).join(' ')}]`.padEnd(77) +
          `${r.cpuMsPerImage.workerProcess.toFixed(3).padStart(7)} ${r.cpuMsPerImage.broker.toFixed(3).padStart(7)}`,
      );
    }
    console.log('\nper-hop overhead, 1 request in flight (ms)        p50     p99   (worker-internal p50/p99; model p50)');
    for (const [k, r] of Object.entries(latency)) {
      console.log(
        `  ${k.padEnd(42)} ${r.brokerToBroker.p50Ms.toFixed(2).padStart(6)} ${r.brokerToBroker.p99Ms.toFixed(2).padStart(7)}   (${r.insideWorker.p50Ms.toFixed(2)}/${r.insideWorker.p99Ms.toFixed(2)}; ${r.model.p50Ms.toFixed(2)})`,
      );
    }

    const record = {
      bench: 'worker-throughput',
      at: new Date().toISOString(),
      machine: { loadAverageAtStart: loadAtStart, loadAverageAtEnd: os.loadavg(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: +(os.totalmem() / 2 ** 30).toFixed(1), platform: `${os.platform()} ${os.release()}`, node: process.version },
      backend: await backendFeatures(),
      model: modelNote,
      manifest: sub.manifest,
      config: { ...o, brokers: 1, coordination: 'kraft', acks: 'all', timestamps: 'LogAppendTime' },
      ...results,
    };
    fs.mkdirSync(path.join(ROOT, 'results'), { recursive: true });
    const out = path.join(ROOT, 'results', `worker-throughput-${record.at.replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(out, JSON.stringify(record, null, 2));
    console.log(`\nwrote ${path.relative(ROOT, out)}`);
  } finally {
    await cluster.stop();
    sub.dispose();
    cleanup();
  }
}

interface SaturationResult {
  images: number;
  imgPerSec: number;
  /** from the worker taking the first request to the broker appending the last output */
  spanMs: number;
  meanBatch: number;
  /** share of the span spent in predict */
  predictShare: number;
  /** CPU per request: the worker's process (TensorFlow threads included) and the broker JVM */
  cpuMsPerImage: { workerProcess: number; broker: number };
}

/** answer: every sample answered at the exit; forward: every sample forwarded as float32 features; -f16/-i8: as float16/int8. */
type Mode = 'answer' | 'forward' | 'forward-f16' | 'forward-i8';
const MODES: Mode[] = ['answer', 'forward', 'forward-f16', 'forward-i8'];
const FEATURES: Record<Mode, 'float32' | 'float16' | 'int8'> = { answer: 'float16', forward: 'float32', 'forward-f16': 'float16', 'forward-i8': 'int8' };

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function saturate(cluster: KafkaCluster, kafka: Kafka, producer: Producer, sub: SubModel, images: Sample[], o: Options, mode: Mode, tag: string = mode): Promise<SaturationResult> {
  const t = await topics(cluster, `sat-${tag}`, o.partitions);
  await preload(producer, t.input, images);
  const cpu0 = { self: selfCpuMs(), broker: procCpuMs(cluster.pids()) };
  const worker = await startWorker(
    {
      model: '(shared)',
      brokers: cluster.bootstrapServers,
      inputTopic: t.input,
      nextTopic: sub.manifest.next ? t.next : undefined,
      answerTopic: t.answers,
      threshold: mode === 'answer' ? 0 : 1,
      featuresDtype: FEATURES[mode],
      batchMaxSize: o.batch,
      batchMaxWaitMs: o.waitMs,
      partitionsConcurrency: o.partitions,
      httpPort: -1,
      logLevel: 'warn',
      clientId: `bench-${tag}`,
    },
    { subModel: sub, processMetrics: false },
  );
  // The harness must not compete with the worker for the CPU: it polls the worker's counters while the worker
  // drains the backlog and reads the output records' timestamps only afterwards.
  const handled = async () => ((await worker.metrics.answers.get()).values[0]?.value ?? 0) + ((await worker.metrics.forwards.get()).values[0]?.value ?? 0);
  const deadline = Date.now() + 600_000;
  while ((await handled()) < images.length) {
    if (Date.now() > deadline) throw new Error(`worker handled only ${await handled()}/${images.length} requests in 10 min`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const cpuMsPerImage = {
    workerProcess: (selfCpuMs() - cpu0.self) / images.length,
    broker: (procCpuMs(cluster.pids()) - cpu0.broker) / images.length,
  };
  // Both output topics: with threshold 1 a sample whose softmax rounds to exactly 1.0 still exits.
  const got = await collectOutputs(kafka, [t.answers, t.next], images.length);
  const batches = (await worker.metrics.batchSize.get()).values;
  const predicted = (await worker.metrics.predictSeconds.get()).values;
  await worker.stop();
  // From the worker taking its first request (hop inAt) to the broker appending its last output: output append
  // times alone would compress the span when the first produce is slow while predict keeps going.
  const spanMs = Math.max(...got.map((m) => m.timestamp)) - Math.min(...got.map((m) => m.inAt));
  const count = batches.find((v) => v.metricName === 'ddnn_batch_size_count')?.value ?? 0;
  const sum = batches.find((v) => v.metricName === 'ddnn_batch_size_sum')?.value ?? 0;
  const predictSec = predicted.find((v) => v.metricName === 'ddnn_predict_seconds_sum')?.value ?? 0;
  return { images: got.length, imgPerSec: (got.length / spanMs) * 1000, spanMs, meanBatch: sum / count, predictShare: (predictSec * 1000) / spanMs, cpuMsPerImage };
}

interface OverheadResult {
  requests: number;
  /** answer append time − request append time − model time */
  brokerToBroker: LatencySummary;
  /** hop outAt − inAt − model time: decode, batch wait, route, encode */
  insideWorker: LatencySummary;
  model: LatencySummary;
}

async function overhead(cluster: KafkaCluster, kafka: Kafka, producer: Producer, sub: SubModel, images: Sample[], o: Options, waitMs: number): Promise<OverheadResult> {
  const t = await topics(cluster, `lat-${waitMs}`, o.partitions);
  const n = Math.min(o.latencyRequests, images.length);
  const waiters = new Map<string, (m: { timestamp: number; hops: string }) => void>();
  const consumer = kafka.consumer({ ...LOW_LATENCY_CONSUMER, groupId: `bench-lat-${waitMs}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: t.answers, fromBeginning: true });
  const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
  await consumer.run({
    eachMessage: async ({ message }) => {
      waiters.get(message.key!.toString())?.({ timestamp: Number(message.timestamp), hops: message.headers![HEADER.hops]!.toString() });
    },
  });
  await joined;
  const worker = await startWorker(
    {
      model: '(shared)',
      brokers: cluster.bootstrapServers,
      inputTopic: t.input,
      nextTopic: sub.manifest.next ? t.next : undefined,
      answerTopic: t.answers,
      threshold: 0,
      batchMaxSize: o.batch,
      batchMaxWaitMs: waitMs,
      partitionsConcurrency: o.partitions,
      httpPort: -1,
      logLevel: 'warn',
      clientId: `bench-lat-${waitMs}`,
    },
    { subModel: sub, processMetrics: false },
  );
  await worker.joined;
  const b2b: number[] = [];
  const inside: number[] = [];
  const model: number[] = [];
  for (let i = 0; i < n + 10; i++) {
    const id = `lat-${i}`;
    const answered = new Promise<{ timestamp: number; hops: string }>((r) => waiters.set(id, r));
    const [meta] = await producer.send({ topic: t.input, acks: ACKS_ALL, messages: [request(id, images[i % images.length])] });
    const answer = await answered;
    if (i < 10) continue; // warm-up
    const hop = decodeHops(answer.hops)[0];
    b2b.push(answer.timestamp - Number(meta.logAppendTime) - hop.modelMs);
    inside.push(hop.outAt - hop.inAt - hop.modelMs);
    model.push(hop.modelMs);
  }
  await worker.stop();
  await consumer.disconnect();
  return { requests: n, brokerToBroker: latencySummary(b2b), insideWorker: latencySummary(inside), model: latencySummary(model) };
}

async function topics(cluster: KafkaCluster, name: string, partitions: number) {
  const t = { input: `bench.${name}.in`, next: `bench.${name}.next`, answers: `bench.${name}.answers` };
  const configs = { 'message.timestamp.type': 'LogAppendTime' };
  await cluster.createTopics([
    { name: t.input, partitions, configs },
    { name: t.next, partitions, configs },
    { name: t.answers, partitions, configs },
    { name: `${t.input}.dlq` },
  ]);
  return t;
}

/** One request's input: an image for the first layer, features of the previous layer otherwise. */
interface Sample {
  data: Uint8Array | Float32Array;
}
let INPUT: { shape: number[]; dtype: 'uint8' | 'float32'; modelVersion?: string } = { shape: [32, 32, 3], dtype: 'uint8' };

function request(id: string, sample: Sample) {
  return {
    key: id,
    value: encodeTensor(sample.data, INPUT.shape, INPUT.dtype),
    headers: encodeRequestHeaders({ requestId: id, deviceId: 'bench', replyTopic: 'bench.replies', createdAt: Date.now(), modelVersion: INPUT.modelVersion, hops: [] }),
  };
}

async function preload(producer: Producer, topic: string, images: Sample[]): Promise<void> {
  for (let i = 0; i < images.length; i += 200) {
    await producer.send({ topic, acks: ACKS_ALL, messages: images.slice(i, i + 200).map((img, k) => request(`sat-${i + k}`, img)) });
  }
}

async function collectOutputs(kafka: Kafka, topics: string[], expected: number): Promise<{ timestamp: number; inAt: number }[]> {
  const consumer = kafka.consumer({ ...LOW_LATENCY_CONSUMER, groupId: `bench-out-${topics[0]}-${Date.now()}` });
  const got: { timestamp: number; inAt: number }[] = [];
  const seen = new Set<string>();
  {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${got.length}/${expected} outputs on ${topics} after 10 min`)), 600_000);
      void consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const id = m.key!.toString();
            if (seen.has(id)) continue; // at-least-once: count each request once
            seen.add(id);
            const hops = decodeHops(m.headers![HEADER.hops]!.toString());
            got.push({ timestamp: Number(m.timestamp), inAt: hops[hops.length - 1].inAt });
          }
          if (got.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    return got;
  }
}

let rawCpuMsPerImage: number[] = [];

async function rawPredict(sub: SubModel, images: Sample[], batch: number): Promise<number> {
  const pixels = images.map((i) => i.data);
  for (let i = 0; i < 10; i++) await sub.predict(pixels.slice(0, batch)); // warm-up
  const c0 = selfCpuMs();
  const t0 = performance.now();
  for (let i = 0; i < pixels.length; i += batch) await sub.predict(pixels.slice(i, i + batch));
  const wall = performance.now() - t0;
  rawCpuMsPerImage.push((selfCpuMs() - c0) / pixels.length);
  return (pixels.length / wall) * 1000;
}

async function benchModel(explicit?: string): Promise<{ sub: SubModel; modelNote: string; cleanup: () => void }> {
  if (explicit) return { sub: await loadSubModel(explicit), modelNote: explicit, cleanup: () => undefined };
  if (fs.existsSync(path.join(SHIPPED, 'manifest.json'))) {
    return { sub: await loadSubModel(SHIPPED), modelNote: `shipped ${path.relative(ROOT, SHIPPED)}`, cleanup: () => undefined };
  }
  // Same compute as the trained model (throughput does not depend on weight values); exits are meaningless.
  const spec = parseArchitecture(JSON.parse(fs.readFileSync(path.join(ROOT, 'models/architectures/compact-branchynet.json'), 'utf8')));
  const { model } = buildFullModel(spec);
  const tensors = Object.fromEntries(model.weights.map((w) => [w.originalName, w.read()]));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-compact-'));
  await writePartition(spec, { tensors, modelVersion: 'random-init' }, resolvePlacement(spec, 'edge-cloud'), dir);
  model.dispose();
  return {
    sub: await loadSubModel(path.join(dir, 'edge')),
    modelNote: 'compact-branchynet edge sub-model (edge-cloud placement) with random initial weights: no shipped weights found',
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

function benchSamples(sub: SubModel, dir: string, n: number): Sample[] {
  const m = sub.manifest;
  INPUT = { shape: m.input.shape, dtype: m.input.dtype === 'uint8' ? 'uint8' : 'float32', modelVersion: m.index > 0 ? m.modelVersion : undefined };
  if (m.index === 0) return benchImages(dir, n).map((i) => ({ data: i.pixels }));
  // A later layer: feature maps of the right shape (post-ReLU-like values); compute does not depend on them.
  const size = m.input.shape.reduce((a, b) => a * b, 1);
  log(`sub-model ${m.layer} takes features [${m.input.shape}]: using random non-negative features`);
  return Array.from({ length: n }, () => ({ data: Float32Array.from({ length: size }, () => Math.max(0, Math.random() * 2 - 0.5)) }));
}

function benchImages(dir: string, n: number): LabeledImage[] {
  if (fs.existsSync(path.join(dir, 'test_batch.bin'))) return loadTestImages(dir, n);
  log(`no CIFAR-10 at ${dir}: using random images`);
  return Array.from({ length: n }, (_, id) => ({ id, label: 0, pixels: Uint8Array.from({ length: 3072 }, () => Math.floor(Math.random() * 256)) }));
}

/** CPU milliseconds (user + system) of this process, TensorFlow's threads included. */
function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU milliseconds of other processes (the broker JVMs), from /proc (Linux); NaN where unreadable. */
function procCpuMs(pids: readonly number[]): number {
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * tick; // utime, stime
    } catch {
      return NaN;
    }
  }
  return total;
}

function log(msg: string): void {
  process.stderr.write(`[bench:worker] ${msg}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
