/**
 * `train`: a tfjs trainer (libtensorflow through tfjs-node where installed) that reads its dataset from the log.
 * One epoch is one replay of the training topic from the offsets it had when the epoch began; after each epoch every
 * exit is evaluated on the evaluation topic. Weights, optimizer state and the consumed offsets are checkpointed
 * together (checkpoint.ts), so a trainer killed at any point resumes where its last checkpoint stood and says how many
 * records of the epoch it reads a second time. The result is a trained-model directory in the format of
 * models/trained/* (weights.json + weights.bin), which `partition` and the registry take.
 * Records are trained in the order the log hands them out (CIFAR-10's order is already shuffled); no augmentation.
 */
import { createHash, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { Kafka, type Admin, type KafkaMessage } from 'kafkajs';
import { IMAGE_BYTES } from '../../contracts/cifar10';
import { LOW_LATENCY_CONSUMER, clientConfig } from '../../runtime/kafka/client-settings';
import type { ClientSecurity } from '../../runtime/kafka/security';
import { selectTrainingBackend, type BackendPreference } from '../../runtime/tf/backend';
import { loadArchitecture, type ArchitectureSpec } from '../architecture';
import { buildFullModel } from '../build';
import { assignWeights } from '../weights';
import { readCheckpoint, writeCheckpoint, writeFileAtomic, type CheckpointMeta } from './checkpoint';
import { decodeDatasetRecord } from './dataset-records';
import {
  epochDone, epochRecords, epochStart, formatReadRange, parseReadsLog, remaining, rereadAfterResume, wanted,
  type NextOffsets, type PartitionRange, type ReadRange,
} from './epoch-offsets';
import { DEFAULT_TOPICS } from './ingest';
import { resolveLossWeights } from './loss-weights';

export interface TrainOptions {
  brokers: string[];
  security?: ClientSecurity;
  /** architecture name (models/architectures/) or spec .json path */
  arch: string;
  trainTopic?: string;
  evalTopic?: string;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** exits to train (default all); the others get loss weight 0 */
  exits?: string[];
  /** loss weight overrides by exit name */
  lossWeights?: Record<string, number>;
  /** checkpoint directory; an existing checkpoint there is resumed */
  checkpointDir: string;
  /** checkpoint every N steps (and at the end of every epoch) */
  checkpointEvery?: number;
  /** trained model directory written at the end */
  out: string;
  backend?: BackendPreference;
  /** stop after this many steps in total (checkpointed, exported): for measurements */
  maxSteps?: number;
  /** sleep after each step: lets a demo or a test kill the trainer mid-epoch */
  stepDelayMs?: number;
  logEvery?: number;
  log?: (line: string) => void;
}

export interface TrainSummary {
  architecture: string;
  backend: string;
  /** epochs finished (all of them, counting those before a resume) */
  epochs: number;
  steps: number;
  /** steps this process took, and how fast */
  stepsThisRun: number;
  /** steps this run ÷ its whole wall time (evaluation, checkpoints and export included) */
  stepsPerSecond: number;
  /**
   * the training loop's own rate: steps after the first (graph set-up) ÷ the time between the first and the last
   * step's end — reading the topic and checkpoints included, evaluation excluded; null with fewer than 2 steps.
   * What `models/train/kafka_steps.py` reports for Keras (npm run bench:trainers compares the two).
   */
  stepRate: number | null;
  /** records read by this process */
  recordsRead: number;
  /** whether this process resumed a checkpoint, and records of that epoch it read a second time */
  resumed: boolean;
  rereadAfterResume: number;
  /** accuracy per exit on the evaluation topic after the last finished epoch */
  evaluation: Record<string, number>;
  evalRecords: number;
  out: string;
  modelVersion: string;
}

interface Sample {
  partition: number;
  offset: number;
  image: Uint8Array;
  label: number;
}

export const READS_LOG = 'reads.log';

async function topicRanges(admin: Admin, topic: string): Promise<PartitionRange[]> {
  if (!(await admin.listTopics()).includes(topic)) throw new Error(`topic ${topic} does not exist: run \`npm run pipeline -- ingest\` first`);
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.map((o) => ({ partition: o.partition, start: Number(o.low), end: Number(o.high) })).sort((a, b) => a.partition - b.partition);
}

/**
 * Replays `ranges` of `topic` from `from` and hands the records the epoch still needs, in log order per partition, to
 * `handle`; resolves once `handle` says the replay is complete. A consumer group of its own (never committed): the
 * offsets that count are the checkpoint's.
 */
async function replay(
  kafka: Kafka,
  topic: string,
  ranges: readonly PartitionRange[],
  from: NextOffsets,
  handle: (records: Sample[], allRead: boolean, heartbeat: () => Promise<void>) => Promise<boolean>,
): Promise<void> {
  const buffered: NextOffsets = { ...from };
  if (remaining(ranges, buffered) === 0) {
    await handle([], true, async () => {});
    return;
  }
  const consumer = kafka.consumer({ ...LOW_LATENCY_CONSUMER, groupId: `ddnn-trainer-${randomUUID()}`, maxBytesPerPartition: 1 << 20 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let finished = false;
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
            if (finished) return;
            const records: Sample[] = [];
            for (const m of batch.messages as KafkaMessage[]) {
              if (!isRunning() || isStale()) break;
              const offset = Number(m.offset);
              if (!wanted(ranges, buffered, batch.partition, offset)) continue;
              const r = decodeDatasetRecord(m.key, m.value, m.headers, `${topic}/${batch.partition}@${offset}`);
              records.push({ partition: batch.partition, offset, image: r.image, label: r.label });
              buffered[String(batch.partition)] = offset + 1;
            }
            try {
              if (await handle(records, remaining(ranges, buffered) === 0, heartbeat)) {
                finished = true;
                resolve();
              }
            } catch (e) {
              finished = true;
              reject(e);
            }
          },
        })
        .catch(reject);
      // Finished partitions too: to their end, not back to the beginning.
      for (const r of ranges) consumer.seek({ topic, partition: r.partition, offset: String(Math.min(r.end, Math.max(r.start, from[String(r.partition)] ?? r.start))) });
    });
  } finally {
    await consumer.disconnect();
  }
}

function toInput(spec: ArchitectureSpec, samples: readonly Sample[]): tf.Tensor4D {
  const pixels = new Float32Array(samples.length * IMAGE_BYTES);
  const scale = spec.input.scale;
  samples.forEach((s, i) => {
    for (let j = 0; j < IMAGE_BYTES; j++) pixels[i * IMAGE_BYTES + j] = s.image[j] * scale;
  });
  return tf.tensor4d(pixels, [samples.length, ...spec.input.shape] as [number, number, number, number]);
}

/** Accuracy of every exit on the whole evaluation topic. */
async function evaluate(kafka: Kafka, admin: Admin, topic: string, spec: ArchitectureSpec, model: tf.LayersModel): Promise<{ accuracy: Record<string, number>; records: number }> {
  const ranges = await topicRanges(admin, topic);
  const all: Sample[] = [];
  await replay(kafka, topic, ranges, epochStart(ranges), async (records, allRead) => {
    all.push(...records);
    return allRead;
  });
  const correct = spec.exits.map(() => 0);
  for (let i = 0; i < all.length; i += 256) {
    const chunk = all.slice(i, i + 256);
    const x = toInput(spec, chunk);
    const out = model.predict(x) as tf.Tensor | tf.Tensor[];
    const outs = Array.isArray(out) ? out : [out];
    for (let e = 0; e < outs.length; e++) {
      const predicted = await outs[e].argMax(-1).data();
      chunk.forEach((s, j) => (correct[e] += predicted[j] === s.label ? 1 : 0));
    }
    tf.dispose([x, ...outs]);
  }
  const accuracy = Object.fromEntries(spec.exits.map((e, i) => [e.name, all.length ? correct[i] / all.length : 0]));
  return { accuracy, records: all.length };
}

function namedModelWeights(model: tf.LayersModel): tf.NamedTensorMap {
  return Object.fromEntries(model.weights.map((w) => [w.originalName, w.read()]));
}

/** Writes the trained-model directory (models/trained/* format, float32 storage) and returns its content version. */
async function exportModel(out: string, spec: ArchitectureSpec, model: tf.LayersModel, extra: Record<string, unknown>): Promise<string> {
  fs.mkdirSync(out, { recursive: true });
  const { data, specs } = await tf.io.encodeWeights(namedModelWeights(model));
  const bin = Buffer.from(data);
  const modelVersion = createHash('sha256').update(bin).digest('hex').slice(0, 16);
  writeFileAtomic(path.join(out, 'weights.bin'), bin);
  const meta = {
    formatVersion: 1,
    architecture: spec.name,
    modelVersion,
    storage: 'float32',
    weightsManifest: [{ paths: ['weights.bin'], weights: specs.map((s) => ({ name: s.name, shape: s.shape, dtype: s.dtype })) }],
    ...extra,
  };
  writeFileAtomic(path.join(out, 'weights.json'), JSON.stringify(meta, null, 1));
  return modelVersion;
}

export async function trainFromTopic(o: TrainOptions): Promise<TrainSummary> {
  const log = o.log ?? (() => {});
  const spec = loadArchitecture(o.arch);
  const lossWeights = resolveLossWeights(spec, o.exits, o.lossWeights);
  const epochs = o.epochs ?? 1;
  const batchSize = o.batchSize ?? 32;
  const checkpointEvery = o.checkpointEvery ?? 50;
  const logEvery = o.logEvery ?? 20;
  const trainTopic = o.trainTopic ?? DEFAULT_TOPICS.train;
  const evalTopic = o.evalTopic ?? DEFAULT_TOPICS.eval;
  for (const [k, v] of Object.entries({ epochs, batchSize, checkpointEvery, logEvery })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${k} (${v}) must be a positive integer`);
  }
  const backend = await selectTrainingBackend(o.backend ?? 'auto');
  const kafka = new Kafka(clientConfig('ddnn-pipeline-train', o.brokers, o.security));
  const admin = kafka.admin();
  await admin.connect();
  const { model } = buildFullModel(spec);
  try {
    model.compile({
      optimizer: tf.train.adam(o.learningRate ?? 1e-3),
      // tfjs compile() has no lossWeights: each exit's cross-entropy is scaled in its own loss function.
      loss: lossWeights.map((w) => (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mul(tf.metrics.categoricalCrossentropy(yTrue, yPred), w)),
    });
    const readsLog = path.join(o.checkpointDir, READS_LOG);
    const ckpt = readCheckpoint(o.checkpointDir);
    let epoch = 0;
    let step = 0;
    let ranges: PartitionRange[];
    let next: NextOffsets;
    let history: CheckpointMeta['history'] = [];
    let reread = 0;
    if (ckpt) {
      if (ckpt.meta.architecture !== spec.name) throw new Error(`${o.checkpointDir} holds a checkpoint of '${ckpt.meta.architecture}', not '${spec.name}': use another --checkpoint-dir`);
      if (ckpt.meta.topic !== trainTopic) throw new Error(`${o.checkpointDir} holds a checkpoint of topic ${ckpt.meta.topic}, not ${trainTopic}`);
      assignWeights(model, ckpt.model);
      // Adam's moments and step count, so the resumed run continues the same optimisation.
      await model.optimizer.setWeights(ckpt.optimizer);
      tf.dispose([...Object.values(ckpt.model), ...ckpt.optimizer.map((w) => w.tensor)]);
      ({ epoch, step, ranges, next, history } = ckpt.meta);
      // A topic deleted and re-ingested since (ingest --force) has other records at the same offsets.
      const now = await topicRanges(admin, trainTopic);
      for (const r of ranges) {
        const cur = now.find((x) => x.partition === r.partition);
        const from = next[String(r.partition)] ?? r.start;
        if (!cur || cur.end < r.end || (cur.start > from && from < r.end)) {
          throw new Error(`${trainTopic} partition ${r.partition} holds offsets [${cur?.start ?? '-'}, ${cur?.end ?? '-'}), the checkpoint in ${o.checkpointDir} needs [${from}, ${r.end}): was the topic re-created? Use another --checkpoint-dir`);
        }
      }
      const reads = fs.existsSync(readsLog) ? parseReadsLog(fs.readFileSync(readsLog, 'utf8')) : [];
      reread = rereadAfterResume(reads, epoch, next);
      const done = epochRecords(ranges) - remaining(ranges, next);
      log(`resumed from ${o.checkpointDir}: epoch ${epoch + 1}/${epochs}, step ${step}, ${done} of ${epochRecords(ranges)} records of the epoch trained; ` +
        `reading ${reread} records of this epoch a second time (read after the last checkpoint)`);
    } else {
      ranges = await topicRanges(admin, trainTopic);
      next = epochStart(ranges);
      if (epochRecords(ranges) === 0) throw new Error(`topic ${trainTopic} is empty: run \`npm run pipeline -- ingest\` first`);
      fs.mkdirSync(o.checkpointDir, { recursive: true });
      fs.rmSync(readsLog, { force: true });
    }
    const resumed = ckpt !== null;
    const started = Date.now();
    const stepsAtStart = step;
    let recordsRead = 0;
    let evaluation: { accuracy: Record<string, number>; records: number } | undefined;
    let stopped = false;
    let lastLoss = NaN;
    let firstStepEnd: number | null = null;
    let lastStepEnd = 0;
    // Weights, optimizer state and offsets in one checkpoint (one commit: checkpoint.ts).
    const checkpoint = async () => {
      const opt = await model.optimizer.getWeights();
      await writeCheckpoint(o.checkpointDir, { architecture: spec.name, topic: trainTopic, epoch, step, ranges, next, history }, namedModelWeights(model), opt);
    };
    while (epoch < epochs && !stopped) {
      const total = epochRecords(ranges);
      let buffer: Sample[] = [];
      const trainStep = async (samples: Sample[]) => {
        // the reads log first: what a kill after this point leaves behind is read again on resume
        const taken = new Map<number, ReadRange>();
        for (const s of samples) {
          const r = taken.get(s.partition) ?? { epoch, partition: s.partition, from: s.offset, to: s.offset };
          r.to = s.offset + 1;
          taken.set(s.partition, r);
        }
        fs.appendFileSync(readsLog, [...taken.values()].map(formatReadRange).join(''));
        recordsRead += samples.length;
        const x = toInput(spec, samples);
        const y = tf.oneHot(tf.tensor1d(samples.map((s) => s.label), 'int32'), spec.classNames.length).toFloat();
        const loss = await model.trainOnBatch(x, spec.exits.map(() => y));
        tf.dispose([x, y]);
        lastLoss = Array.isArray(loss) ? loss[0] : loss;
        for (const r of taken.values()) next[String(r.partition)] = r.to;
        step++;
        lastStepEnd = performance.now();
        firstStepEnd ??= lastStepEnd;
        if (step % logEvery === 0) {
          const secs = (Date.now() - started) / 1000;
          log(`epoch ${epoch + 1}/${epochs} step ${step}: ${total - remaining(ranges, next)}/${total} records, loss ${lastLoss.toFixed(4)}, ${((step - stepsAtStart) / secs).toFixed(2)} steps/s`);
        }
        if (step % checkpointEvery === 0) await checkpoint();
        if (o.stepDelayMs) await new Promise((r) => setTimeout(r, o.stepDelayMs));
        if (o.maxSteps !== undefined && step >= o.maxSteps) stopped = true;
      };
      await replay(kafka, trainTopic, ranges, next, async (records, allRead, heartbeat) => {
        buffer.push(...records);
        while (!stopped && (buffer.length >= batchSize || (allRead && buffer.length > 0))) {
          const batch = buffer.slice(0, batchSize);
          buffer = buffer.slice(batch.length);
          await trainStep(batch);
          await heartbeat();
        }
        return stopped || (allRead && buffer.length === 0);
      });
      if (stopped && !epochDone(ranges, next)) {
        await checkpoint();
        log(`stopped after ${step} steps (--max-steps), mid-epoch ${epoch + 1}: checkpointed`);
        break;
      }
      evaluation = await evaluate(kafka, admin, evalTopic, spec, model);
      const acc = Object.entries(evaluation.accuracy).map(([k, v]) => `${k} ${(100 * v).toFixed(2)} %`).join(', ');
      log(`epoch ${epoch + 1}/${epochs} done at step ${step}: loss ${lastLoss.toFixed(4)}; evaluation on ${evaluation.records} records: ${acc}`);
      history = [...history, { epoch: epoch + 1, step, loss: lastLoss, evaluation: evaluation.accuracy, evalRecords: evaluation.records }];
      epoch++;
      if (epoch < epochs) {
        ranges = await topicRanges(admin, trainTopic);
        next = epochStart(ranges);
      }
      await checkpoint();
    }
    evaluation ??= await evaluate(kafka, admin, evalTopic, spec, model);
    const seconds = (Date.now() - started) / 1000;
    const stepsThisRun = step - stepsAtStart;
    const modelVersion = await exportModel(o.out, spec, model, {
      trainedBy: `npm run pipeline -- train (tfjs, ${backend.name} backend)`,
      dataset: { trainTopic, evalTopic, batchSize, lossWeights: Object.fromEntries(spec.exits.map((e, i) => [e.name, lossWeights[i]])) },
      history,
      evaluation: { accuracy: evaluation.accuracy, records: evaluation.records },
    });
    log(`wrote ${o.out} (model version ${modelVersion})`);
    return {
      architecture: spec.name,
      backend: backend.name,
      epochs: epoch,
      steps: step,
      stepsThisRun,
      stepsPerSecond: seconds > 0 ? stepsThisRun / seconds : 0,
      stepRate: firstStepEnd !== null && stepsThisRun >= 2 && lastStepEnd > firstStepEnd ? ((stepsThisRun - 1) * 1000) / (lastStepEnd - firstStepEnd) : null,
      recordsRead,
      resumed,
      rereadAfterResume: reread,
      evaluation: evaluation.accuracy,
      evalRecords: evaluation.records,
      out: o.out,
      modelVersion,
    };
  } finally {
    model.dispose();
    await admin.disconnect();
  }
}
