/**
 * Fuzzing the workers on a real broker: a few hundred malformed records (random bytes, truncated frames, wrong
 * dtype/shape, NaN/Inf, oversize values, missing and forged headers, unknown format versions, reply topics that do
 * not exist or are not allowed, features from another model version) mixed into a stream of good requests.
 *
 * Every bad record lands in its layer's dead-letter topic with the reason, every good request is answered, and the
 * edge worker — a real process — never restarts (same pid, /healthz ok). A value over the brokers' limit is refused
 * at the door (the producer gets the error; nothing reaches the worker).
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import type { IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { ACKS_ALL, LOW_LATENCY_CONSUMER, LOW_LATENCY_PRODUCER } from '../../runtime/kafka/client-settings';
import { startCluster, type KafkaCluster } from '../../runtime/kafka/cluster';
import { runDevices } from '../../runtime/devices/simulator';
import { encodeRequestHeaders, encodeTensor, HEADER, type RequestHeaders } from '../../runtime/wire';
import { startWorker, type WorkerHandle } from '../../runtime/worker/worker';
import { isAlive } from '../kafka/kafka-test-helpers';
import { metricSum, prepareTinyModel, report, scrapeMetrics, sleep, spawnWorker, tally, type TinyContinuumModel, type WorkerChild } from './harness';

jest.setTimeout(240_000);

interface BadRecord {
  key: string;
  topic: 'edge-in' | 'cloud-in';
  kind: string;
  value: Buffer | null;
  headers?: IHeaders;
  /** reasons the dead letter may carry (a truncated frame may fail on its magic, its shape or its length) */
  reasons: string[];
}

/** xorshift32: the same records on every run, so a failure can be replayed. */
function prng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

function badRecords(model: TinyContinuumModel): BadRecord[] {
  const rand = prng(42);
  const out: BadRecord[] = [];
  let n = 0;
  const meta = (over: Partial<RequestHeaders> = {}): RequestHeaders => ({
    requestId: `bad-${n}`,
    deviceId: 'fuzzer',
    replyTopic: 'replies.fuzz-sink',
    createdAt: Date.now(),
    hops: [],
    ...over,
  });
  const image = encodeTensor(model.images[0].pixels, [32, 32, 3], 'uint8');
  const add = (kind: string, value: Buffer | null, reasons: string[], headers: IHeaders | undefined = encodeRequestHeaders(meta()), topic: BadRecord['topic'] = 'edge-in') => {
    out.push({ key: `bad-${n}`, topic, kind, value, headers, reasons });
    n++;
  };
  const patched = (frame: Buffer, offset: number, byte: number) => {
    const b = Buffer.from(frame);
    b[offset] = byte;
    return b;
  };
  const floats = (shape: number[], poison?: number) => {
    const f = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => rand());
    if (poison !== undefined) f[Math.floor(rand() * f.length)] = poison;
    return f;
  };

  for (let i = 0; i < 120; i++) add('random bytes', randomBytes(rand, Math.floor(rand() * 6000)), ['empty', 'bad-magic']);
  for (let i = 0; i < 60; i++) add('truncated frame', image.subarray(0, 1 + Math.floor(rand() * (image.length - 1))), ['bad-magic', 'truncated', 'length-mismatch']);
  add('frame cut inside its magic', image.subarray(0, 3), ['bad-magic']);
  add('frame cut inside its shape', image.subarray(0, 14), ['truncated']);
  add('empty value', Buffer.alloc(0), ['empty']);
  add('null value (tombstone)', null, ['empty']);
  add('frame with trailing bytes', Buffer.concat([image, Buffer.from([1, 2, 3])]), ['length-mismatch']);
  // wrong dtype
  add('float32 image', encodeTensor(floats([32, 32, 3]), [32, 32, 3], 'float32'), ['wrong-input']);
  add('float16 image', encodeTensor(floats([32, 32, 3]), [32, 32, 3], 'float16'), ['wrong-input']);
  add('unknown dtype code', patched(image, 5, 9), ['bad-dtype']);
  // wrong shape
  add('16x16x3 image', encodeTensor(new Uint8Array(16 * 16 * 3), [16, 16, 3], 'uint8'), ['wrong-input']);
  add('rank-2 image', encodeTensor(new Uint8Array(32 * 96), [32, 96], 'uint8'), ['wrong-input']);
  add('channels first', encodeTensor(new Uint8Array(3 * 32 * 32), [3, 32, 32], 'uint8'), ['wrong-input']);
  add('rank 0', patched(image, 6, 0), ['bad-shape']);
  add('rank 9', patched(image, 6, 9), ['bad-shape', 'truncated']);
  add('zero dimension', (() => { const b = Buffer.from(image); b.writeUInt32LE(0, 8); return b; })(), ['bad-shape']);
  add('dims claiming 2^48 elements', (() => { const b = Buffer.from(image); b.writeUInt32LE(0xffff, 8); b.writeUInt32LE(0xffff, 12); b.writeUInt32LE(0xffff, 16); return b; })(), ['length-mismatch']);
  // NaN / Inf
  for (const [kind, v] of [['NaN', NaN], ['+Inf', Infinity], ['-Inf', -Infinity]] as const) {
    add(`${kind} in a float32 image`, encodeTensor(floats([32, 32, 3], v), [32, 32, 3], 'float32'), ['non-finite']);
    add(`${kind} in a float16 image`, encodeTensor(floats([32, 32, 3], v), [32, 32, 3], 'float16'), ['non-finite']);
  }
  // oversize (under the brokers' 8 MiB limit: they reach the worker)
  add('3 MiB image 1024x1024x3', encodeTensor(new Uint8Array(1024 * 1024 * 3), [1024, 1024, 3], 'uint8'), ['wrong-input']);
  add('8 MiB - 64 KiB of random bytes', randomBytes(rand, 8 * 1024 * 1024 - 64 * 1024), ['bad-magic']);
  // missing headers
  add('no headers', image, ['missing-header'], {});
  for (const h of [HEADER.version, HEADER.requestId, HEADER.deviceId, HEADER.replyTopic, HEADER.createdAt]) {
    const headers = encodeRequestHeaders(meta());
    delete headers[h];
    add(`missing ${h}`, image, ['missing-header', 'unsupported-version'], headers);
  }
  // forged headers
  const forged: [string, Record<string, string | string[]>][] = [
    ['request id with a space', { [HEADER.requestId]: 'a b' }],
    ['request id of 300 chars', { [HEADER.requestId]: 'x'.repeat(300) }],
    ['empty device id', { [HEADER.deviceId]: '' }],
    ['reply topic with a space', { [HEADER.replyTopic]: 'replies x' }],
    ['reply topic outside the allowed pattern (another layer\'s input)', { [HEADER.replyTopic]: 'cloud-in' }],
    ['created-at not a number', { [HEADER.createdAt]: 'yesterday' }],
    ['negative created-at', { [HEADER.createdAt]: '-5' }],
    ['garbage hops', { [HEADER.hops]: 'garbage' }],
    ['model version with a space', { [HEADER.modelVersion]: 'v 1' }],
    ['request id twice', { [HEADER.requestId]: ['a', 'b'] }],
    ['wire version 2 header', { [HEADER.version]: '2' }],
    ['empty wire version header', { [HEADER.version]: '' }],
  ];
  for (const [kind, over] of forged) {
    const reasons = kind.includes('wire version') ? ['unsupported-version'] : kind.includes('allowed pattern') ? ['reply-topic-not-allowed'] : ['bad-header'];
    add(kind, image, reasons, { ...encodeRequestHeaders(meta()), ...over });
  }
  add('frame version 2', patched(image, 4, 2), ['unsupported-version']);
  add('frame flags set', patched(image, 7, 1), ['bad-flags']);
  // reply topics that do not exist (allowed by the pattern, but nobody reads them)
  for (let i = 0; i < 5; i++) add('reply topic that does not exist', image, ['unknown-reply-topic'], encodeRequestHeaders(meta({ replyTopic: `replies.ghost-${i}` })));
  // the cloud layer: features must come from the same model version, finite, float
  const features = floats([8, 8, 8]);
  add('features without model version', encodeTensor(features, [8, 8, 8], 'float32'), ['model-version-mismatch'], encodeRequestHeaders(meta()), 'cloud-in');
  add('features from another model version', encodeTensor(features, [8, 8, 8], 'float32'), ['model-version-mismatch'], encodeRequestHeaders(meta({ modelVersion: 'tiny-seed999' })), 'cloud-in');
  add('NaN features', encodeTensor(floats([8, 8, 8], NaN), [8, 8, 8], 'float16'), ['non-finite'], encodeRequestHeaders(meta({ modelVersion: model.modelVersion })), 'cloud-in');
  add('uint8 features', encodeTensor(new Uint8Array(512), [8, 8, 8], 'uint8'), ['wrong-input'], encodeRequestHeaders(meta({ modelVersion: model.modelVersion })), 'cloud-in');
  add('features of the wrong shape', encodeTensor(floats([4, 4, 8]), [4, 4, 8], 'float32'), ['wrong-input'], encodeRequestHeaders(meta({ modelVersion: model.modelVersion })), 'cloud-in');
  return out;
}

/** Reads a topic from the beginning until every key in `keys` was seen (or the timeout). */
async function consumeKeys(kafka: Kafka, topic: string, keys: Set<string>, timeoutMs: number): Promise<Map<string, KafkaMessage>> {
  const consumer = kafka.consumer({ ...LOW_LATENCY_CONSUMER, groupId: `fuzz-check-${topic}-${Date.now()}` });
  const got = new Map<string, KafkaMessage>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const k = message.key?.toString() ?? '';
        if (keys.has(k) && !got.has(k)) got.set(k, message);
        if (got.size === keys.size) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return got;
}

let dir: string;
let cluster: KafkaCluster;
let model: TinyContinuumModel;
let edgeWorker: WorkerChild;
let cloudWorker: WorkerHandle;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ddnn-fuzz-'));
  model = await prepareTinyModel(dir, 24);
  cluster = await startCluster({ name: 'fuzz' });
  await cluster.createTopics([
    { name: 'edge-in', partitions: 2 },
    { name: 'edge-in.dlq' },
    { name: 'cloud-in' },
    { name: 'cloud-in.dlq' },
    { name: 'replies.fuzz-sink' },
  ]);
  cloudWorker = await startWorker(
    { brokers: cluster.bootstrapServers, model: model.cloud, inputTopic: 'cloud-in', threshold: model.threshold, batchMaxWaitMs: 2, httpPort: -1, logLevel: 'silent', replyTopicPattern: '^replies\\.[A-Za-z0-9._-]+$' },
    { processMetrics: false },
  );
  edgeWorker = spawnWorker({
    DDNN_MODEL: model.edge,
    DDNN_BROKERS: cluster.bootstrapServers,
    DDNN_INPUT_TOPIC: 'edge-in',
    DDNN_NEXT_TOPIC: 'cloud-in',
    DDNN_THRESHOLD: String(model.threshold),
    DDNN_BATCH_MAX_WAIT_MS: '2',
    DDNN_REPLY_TOPIC_PATTERN: '^replies\\.[A-Za-z0-9._-]+$',
    DDNN_CLIENT_ID: 'edge-fuzz',
  });
  await Promise.all([cloudWorker.joined, edgeWorker.joined]);
}, 300_000);

afterAll(async () => {
  edgeWorker?.child.kill('SIGTERM');
  await edgeWorker?.exited;
  await cloudWorker?.stop();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('every malformed record is dead-lettered with its reason, every good request answered, the worker never restarts', async () => {
  const bad = badRecords(model);
  const kafka = cluster.client('fuzzer');
  const producer = kafka.producer(LOW_LATENCY_PRODUCER);
  await producer.connect();
  const pid = edgeWorker.pid;

  // Good requests from 3 devices while the bad ones are sent in small bursts.
  const good = runDevices({
    brokers: cluster.bootstrapServers.split(','),
    requestTopic: 'edge-in',
    replyTopicPrefix: 'replies',
    devicePrefix: 'fuzz-good',
    devices: 3,
    images: model.images,
    mode: { kind: 'closed-loop', window: 2 },
    timeoutMs: 120_000,
  });
  for (let i = 0; i < bad.length; i += 12) {
    const burst = bad.slice(i, i + 12);
    for (const topic of ['edge-in', 'cloud-in'] as const) {
      const messages = burst.filter((b) => b.topic === topic).map((b) => ({ key: b.key, value: b.value, headers: b.headers }));
      // A record near the 8 MiB limit goes alone: together with others the batch would exceed it.
      const big = messages.filter((m) => (m.value?.length ?? 0) > 1024 * 1024);
      const small = messages.filter((m) => !big.includes(m));
      for (const m of big) await producer.send({ topic, acks: ACKS_ALL, messages: [m] });
      if (small.length) await producer.send({ topic, acks: ACKS_ALL, messages: small });
    }
    await sleep(50);
  }
  // Over the brokers' message.max.bytes: refused at the door, the worker never sees it.
  const tooBig = producer.send({ topic: 'edge-in', acks: ACKS_ALL, messages: [{ key: 'too-big', value: Buffer.alloc(9 * 1024 * 1024, 7), headers: encodeRequestHeaders({ requestId: 'too-big', deviceId: 'fuzzer', replyTopic: 'replies.fuzz-sink', createdAt: Date.now(), hops: [] }) }] });
  await expect(tooBig).rejects.toThrow(/larger than the max message size|too large/i);
  await producer.disconnect();

  const result = await good;
  const t = tally('fuzz: good requests among bad ones', 3, result, model, { badRecords: bad.length });

  const dead = new Map<string, KafkaMessage>();
  for (const topic of ['edge-in', 'cloud-in'] as const) {
    const keys = new Set(bad.filter((b) => b.topic === topic).map((b) => b.key));
    for (const [k, m] of await consumeKeys(kafka, `${topic}.dlq`, keys, 90_000)) dead.set(k, m);
  }
  const byKind = new Map<string, { sent: number; deadLettered: number; reasons: Set<string> }>();
  const wrongReason: string[] = [];
  for (const b of bad) {
    const e = byKind.get(b.kind) ?? { sent: 0, deadLettered: 0, reasons: new Set<string>() };
    e.sent++;
    const m = dead.get(b.key);
    if (m) {
      e.deadLettered++;
      const reason = m.headers![HEADER.dlqReason]!.toString().split(':')[0];
      e.reasons.add(reason);
      if (!b.reasons.includes(reason)) wrongReason.push(`${b.key} (${b.kind}): ${reason}, expected ${b.reasons.join('|')}`);
    }
    byKind.set(b.kind, e);
  }
  const missing = bad.filter((b) => !dead.has(b.key)).map((b) => `${b.key} (${b.kind})`);
  const metrics = await scrapeMetrics(edgeWorker.httpPort()!);
  const health = await fetch(`http://127.0.0.1:${edgeWorker.httpPort()}/healthz`);
  const bigDead = dead.get(bad.find((b) => b.kind.startsWith('8 MiB'))!.key)!;

  const lines = [...byKind].map(([kind, e]) => `  ${kind.padEnd(62)} sent=${e.sent} dead-lettered=${e.deadLettered} reasons=${[...e.reasons].join(',')}`);
  process.stdout.write(`\n── fuzz: ${bad.length} bad records (+1 refused by the broker), ${t.sent} good requests ──\n${lines.join('\n')}\n`);
  report('fuzz.json', [{ ...t, notes: { badRecords: bad.length, deadLettered: dead.size, missing: missing.length, wrongReason: wrongReason.length, refusedAtTheDoor: 1, edgeWorkerDeadLettersMetric: metricSum(metrics, 'ddnn_dead_letters_total'), byKind: Object.fromEntries([...byKind].map(([k, e]) => [k, { sent: e.sent, deadLettered: e.deadLettered, reasons: [...e.reasons] }])) } }]);

  expect({ missing, wrongReason }).toEqual({ missing: [], wrongReason: [] });
  for (const m of dead.values()) {
    expect(m.headers![HEADER.dlqLayer]!.toString()).toMatch(/^(edge|cloud)$/);
    expect(m.headers![HEADER.dlqSource]!.toString()).toMatch(/^(edge|cloud)-in\/\d@\d+$/);
  }
  // The near-limit value was cut to fit the dead-letter topic, its size kept in a header.
  expect(bigDead.value!.length).toBeLessThanOrEqual(1024 * 1024);
  expect(bigDead.value!.length).toBeGreaterThan(1024 * 1024 - 4096);
  expect(bigDead.headers![HEADER.dlqOriginalBytes]!.toString()).toBe(String(8 * 1024 * 1024 - 64 * 1024));
  // Every good request answered, once, to its own device.
  expect({ answered: t.answered, lost: t.lost, misrouted: t.misrouted }).toEqual({ answered: t.sent, lost: 0, misrouted: 0 });
  // The edge worker never restarted.
  expect(isAlive(pid)).toBe(true);
  expect(edgeWorker.child.exitCode).toBeNull();
  expect(health.status).toBe(200);
  expect(metricSum(metrics, 'ddnn_dead_letters_total')).toBeGreaterThanOrEqual(bad.filter((b) => b.topic === 'edge-in').length);
});
