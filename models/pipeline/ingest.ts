/**
 * `ingest`: streams a CIFAR-10-layout directory into a training topic (data_batch_1..5) and an evaluation topic
 * (test_batch), retention unlimited so the topic is the dataset (Kafka-ML, paper §3). Every file is checked before
 * anything is produced. Re-running is idempotent: a complete topic is left alone, a cut-short one is completed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Kafka, type Admin } from 'kafkajs';
import { TEST_FILE, TRAIN_FILES } from '../../contracts/cifar10';
import { ACKS_ALL, LOW_LATENCY_PRODUCER, clientConfig } from '../../runtime/kafka/client-settings';
import { createTopics } from '../../runtime/kafka/topics';
import { checkCifar10Bytes, cifar10Record, encodeDatasetRecord, planIngest, recordsOnPartition } from './dataset-records';

/** `<prefix>.dataset.<split>`, like the environments' other topics (prefix 'ddnn'). */
export const DEFAULT_TOPICS = { train: 'ddnn.dataset.train', eval: 'ddnn.dataset.eval' } as const;

/** The topic is the dataset: never delete by age or size. */
export const DATASET_TOPIC_CONFIGS = { 'retention.ms': '-1', 'retention.bytes': '-1', 'cleanup.policy': 'delete' } as const;

export interface IngestOptions {
  brokers: string[];
  /** CIFAR-10 binary layout directory */
  data: string;
  trainTopic?: string;
  evalTopic?: string;
  partitions?: number;
  /** ingest the first N training images (default all 50,000) */
  limit?: number;
  /** ingest the first N test images (default: --limit capped at 10,000, else all) */
  evalLimit?: number;
  /** delete and re-create topics whose content does not match this ingest */
  force?: boolean;
  /** called after each produced batch with the split, records done and total */
  onProgress?: (split: 'train' | 'eval', done: number, total: number) => void;
  /** one line per decision ("already ingested …") */
  log?: (line: string) => void;
}

export interface SplitSummary {
  topic: string;
  partitions: number;
  /** records the topic should hold */
  records: number;
  /** records this run produced */
  produced: number;
  /** records that were already there */
  present: number;
}

export interface IngestSummary {
  train: SplitSummary;
  eval: SplitSummary;
  ms: number;
}

interface LoadedFile {
  name: string;
  bytes: Uint8Array;
  /** records of this file to ingest */
  take: number;
}

/** Reads and checks the split's files (the first `limit` records); throws naming the file and byte offset. */
function loadSplit(dir: string, files: readonly string[], limit: number | undefined, classes: number): LoadedFile[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`dataset directory not found: ${dir}`);
  const out: LoadedFile[] = [];
  let left = limit ?? Infinity;
  for (const name of files) {
    if (left <= 0) break;
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) throw new Error(`${file} not found: expected the CIFAR-10 binary layout (${[...TRAIN_FILES, TEST_FILE].join(', ')})`);
    const bytes = new Uint8Array(fs.readFileSync(file));
    const records = checkCifar10Bytes(file, bytes, classes);
    const take = Math.min(records, left);
    out.push({ name, bytes, take });
    left -= take;
  }
  return out;
}

async function presentPerPartition(admin: Admin, topic: string): Promise<number[] | null> {
  if (!(await admin.listTopics()).includes(topic)) return null;
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.sort((a, b) => a.partition - b.partition).map((o) => Number(o.high) - Number(o.low));
}

async function ingestSplit(
  kafka: Kafka,
  admin: Admin,
  split: 'train' | 'eval',
  topic: string,
  files: LoadedFile[],
  o: IngestOptions,
): Promise<SplitSummary> {
  const log = o.log ?? (() => {});
  const total = files.reduce((n, f) => n + f.take, 0);
  const brokers = (await admin.describeCluster()).brokers.length;
  let present = await presentPerPartition(admin, topic);
  const plan = present && planIngest(total, present);
  if (present && plan && plan.kind === 'conflict') {
    if (!o.force) throw new Error(`topic ${topic} holds other data (${plan.reason}); re-run with --force to delete and re-create it`);
    log(`${topic}: ${plan.reason}; --force: deleting the topic`);
    await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
    while ((await admin.listTopics()).includes(topic)) await new Promise((r) => setTimeout(r, 200));
    present = null;
  }
  const created = !present;
  if (created) {
    await createTopics(admin, [{ name: topic, partitions: o.partitions ?? 3, configs: DATASET_TOPIC_CONFIGS }], brokers);
  }
  // A produce that fails part-way (e.g. a leader still moving right after --force re-created the topic) leaves each
  // partition a prefix of its records, so the next attempt completes it.
  for (let attempt = 1; ; attempt++) {
    try {
      return await produceRest(kafka, admin, split, topic, files, total, (await presentPerPartition(admin, topic))!, o);
    } catch (e) {
      if (attempt >= 3 || (e as Error).name?.startsWith('KafkaJS') !== true) throw e;
      // A topic created a moment ago often answers its first produce with NOT_LEADER: expected, not worth a line.
      if (!(created && attempt === 1)) log(`${topic}: ${(e as Error).message}; retrying (attempt ${attempt + 1} of 3)`);
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

async function produceRest(
  kafka: Kafka,
  admin: Admin,
  split: 'train' | 'eval',
  topic: string,
  files: LoadedFile[],
  total: number,
  present: number[],
  o: IngestOptions,
): Promise<SplitSummary> {
  const log = o.log ?? (() => {});
  const plan = planIngest(total, present);
  const partitions = present.length;
  if (plan.kind === 'done') {
    log(`${topic}: already ingested ${plan.present} records, nothing to do`);
    return { topic, partitions, records: total, produced: 0, present: plan.present };
  }
  if (plan.kind === 'conflict') throw new Error(`topic ${topic}: ${plan.reason}`);
  if (plan.present > 0) log(`${topic}: ${plan.present} of ${total} records already there (a cut-short ingest); producing the rest`);
  // Idempotent producer: one request in flight per broker and no duplicates on retry, so each partition holds a
  // prefix of its records in order, which is what lets a cut-short ingest be completed.
  const producer = kafka.producer(LOW_LATENCY_PRODUCER);
  await producer.connect();
  let produced = 0;
  try {
    const skip = plan.skip;
    let batch: { partition: number; key: string; value: Buffer; headers: Record<string, string> }[] = [];
    let index = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await producer.send({ topic, acks: ACKS_ALL, messages: batch });
      produced += batch.length;
      batch = [];
      o.onProgress?.(split, plan.present + produced, total);
    };
    for (const f of files) {
      for (let i = 0; i < f.take; i++, index++) {
        const partition = index % partitions;
        const ordinal = Math.floor(index / partitions); // position of this record on its partition
        if (ordinal < skip[partition]) continue;
        batch.push({ partition, ...encodeDatasetRecord(cifar10Record(f.name, f.bytes, i)) });
        if (batch.length >= 500) await flush();
      }
    }
    await flush();
  } finally {
    await producer.disconnect();
  }
  const after = await presentPerPartition(admin, topic);
  const expected = present.map((_, p) => recordsOnPartition(total, partitions, p));
  if (!after || after.some((n, p) => n !== expected[p])) throw new Error(`${topic}: after ingesting, partitions hold [${after}] records, expected [${expected}]`);
  return { topic, partitions, records: total, produced, present: plan.present };
}

/** Streams the training and test files of `o.data` into their topics; see the module comment. */
export async function ingestDataset(o: IngestOptions): Promise<IngestSummary> {
  const started = Date.now();
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit > 0)) throw new Error(`--limit ${o.limit}: must be a positive integer`);
  if (o.partitions !== undefined && !(Number.isInteger(o.partitions) && o.partitions > 0)) throw new Error(`--partitions ${o.partitions}: must be a positive integer`);
  const evalLimit = o.evalLimit ?? (o.limit !== undefined ? Math.min(o.limit, 10_000) : undefined);
  // Check every file before producing anything.
  const train = loadSplit(o.data, TRAIN_FILES, o.limit, 10);
  const test = loadSplit(o.data, [TEST_FILE], evalLimit, 10);
  const kafka = new Kafka(clientConfig('ddnn-pipeline-ingest', o.brokers));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const t = await ingestSplit(kafka, admin, 'train', o.trainTopic ?? DEFAULT_TOPICS.train, train, o);
    const e = await ingestSplit(kafka, admin, 'eval', o.evalTopic ?? DEFAULT_TOPICS.eval, test, o);
    return { train: t, eval: e, ms: Date.now() - started };
  } finally {
    await admin.disconnect();
  }
}
