/**
 * No single record can stop a layer — tried from the outside. Records from clients the project did not write
 * (Python confluent-kafka / librdkafka, Kafka's Java producer) with their usual settings — snappy, lz4, zstd and gzip
 * batches, headers without values, 10,000 headers, megabytes of headers, reply topics that are internal, input,
 * dead-letter or missing topics, created-at of 0 or hex, invalid UTF-8 keys — go to a real edge worker process while
 * a prober keeps sending good requests.
 *
 * Each poison class ends as an answer (good records in compressed batches) or as a dead letter with its reason,
 * byte-exact; the prober's answers keep arriving; the worker keeps its pid and /healthz stays 200.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import type { KafkaMessage } from 'kafkajs';
import { startCluster, type KafkaCluster } from '../../runtime/kafka/cluster';
import { runDevices } from '../../runtime/devices/simulator';
import { encodeRequestHeaders, encodeTensor, HEADER, type RequestHeaders } from '../../runtime/wire';
import { startWorker, type WorkerHandle } from '../../runtime/worker/worker';
import { consumeUntil, isAlive } from '../kafka/kafka-test-helpers';
import { produceWithJava, produceWithPython, testPython, type ForeignRecord, type ProducerGroup } from './clients/foreign-producers';
import { prepareTinyModel, report, sleep, spawnWorker, tally, type TinyContinuumModel, type WorkerChild } from './harness';

jest.setTimeout(300_000);

const PATTERN = '^replies\\.[A-Za-z0-9._-]+$';
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;

let dir: string;
let cluster: KafkaCluster;
let model: TinyContinuumModel;
let edge: WorkerChild;
let cloud: WorkerHandle;

beforeAll(async () => {
  testPython(); // the venv first: pip may take a while on a fresh machine
  dir = mkdtempSync(path.join(tmpdir(), 'ddnn-poison-'));
  model = await prepareTinyModel(dir, 24);
  cluster = await startCluster({ name: 'poison' });
  await cluster.createTopics([
    { name: 'edge-in', partitions: 2 },
    { name: 'edge-in.dlq' },
    { name: 'cloud-in' },
    { name: 'cloud-in.dlq' },
    { name: 'replies.python' },
  ]);
  cloud = await startWorker(
    { brokers: cluster.bootstrapServers, model: model.cloud, inputTopic: 'cloud-in', threshold: model.threshold, httpPort: -1, logLevel: 'silent', replyTopicPattern: PATTERN },
    { processMetrics: false },
  );
  edge = spawnWorker({
    DDNN_MODEL: model.edge,
    DDNN_BROKERS: cluster.bootstrapServers,
    DDNN_INPUT_TOPIC: 'edge-in',
    DDNN_NEXT_TOPIC: 'cloud-in',
    DDNN_THRESHOLD: String(model.threshold),
    DDNN_REPLY_TOPIC_PATTERN: PATTERN,
    DDNN_CLIENT_ID: 'edge-poison',
  });
  await Promise.all([cloud.joined, edge.joined]);
}, 300_000);

afterAll(async () => {
  edge?.child.kill('SIGTERM');
  await edge?.exited;
  await cloud?.stop();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Poison {
  key: string;
  kind: string;
  reason: string;
  record: ForeignRecord;
}

test('poison records from librdkafka and Java producers become dead letters or answers; the prober is served throughout', async () => {
  let n = 0;
  const meta = (over: Partial<RequestHeaders> = {}): RequestHeaders => ({
    requestId: `py-${n}`,
    deviceId: 'python',
    replyTopic: 'replies.python',
    createdAt: Date.now(),
    hops: [],
    ...over,
  });
  const image = (i: number) => encodeTensor(model.images[i % model.images.length].pixels, [32, 32, 3], 'uint8');
  const headerList = (h: Record<string, string>): [string, string][] => Object.entries(h);

  // ── good requests in compressed batches: answered ──────────────────────────────────────────────────
  const goodKeys: string[] = [];
  const compressed: ProducerGroup[] = CODECS.map((codec) => ({
    topic: 'edge-in',
    config: { 'compression.type': codec, 'linger.ms': 50, 'batch.num.messages': 20 },
    records: Array.from({ length: 10 }, (_, i) => {
      const key = `py-${codec}-${i}`;
      goodKeys.push(key);
      return { key: Buffer.from(key), value: image(i), headers: headerList(encodeRequestHeaders(meta({ requestId: key }))) };
    }),
  }));

  // ── poison: each must become a dead letter with this reason ─────────────────────────────────────────
  const poison: Poison[] = [];
  const add = (kind: string, reason: string, record: Omit<ForeignRecord, 'key'> & { key?: Buffer | null }, key = `poison-${n++}`) =>
    poison.push({ key, kind, reason, record: { key: Buffer.from(key), ...record } });
  const headersFor = (over: Partial<RequestHeaders>) => headerList(encodeRequestHeaders(meta({ requestId: `poison-${n}`, ...over })));
  add('null-valued header on a record without a version', 'missing-header', {
    value: image(0),
    headers: [['x-empty', null], ['ddnn-request-id', `poison-${n}`], ['x-twice', 'a'], ['x-twice', null]],
  });
  add('reply topic __consumer_offsets', 'reply-topic-not-allowed', { value: image(1), headers: headersFor({ replyTopic: '__consumer_offsets' }) });
  add("reply topic is the edge's input topic", 'reply-topic-not-allowed', { value: image(1), headers: headersFor({ replyTopic: 'edge-in' }) });
  add('reply topic is the dead-letter topic', 'reply-topic-not-allowed', { value: image(1), headers: headersFor({ replyTopic: 'edge-in.dlq' }) });
  add('created-at 0', 'bad-header', { value: image(2), headers: headersFor({}).map(([k, v]) => [k, k === HEADER.createdAt ? '0' : v]) });
  add('created-at 0x10', 'bad-header', { value: image(2), headers: headersFor({}).map(([k, v]) => [k, k === HEADER.createdAt ? '0x10' : v]) });
  const manyHeaders: [string, string][] = Array.from({ length: 10_000 }, (_, i) => [`x-h-${i}`, 'v']);
  add('10,000 distinct headers', 'too-many-headers', { value: image(3), headers: [...headersFor({}), ...manyHeaders] });
  const bigHeaders: [string, Buffer][] = Array.from({ length: 40 }, (_, i) => [`x-big-${i}`, Buffer.alloc(64 * 1024, 0x61)]);
  add('2.5 MB of headers', 'headers-too-large', { value: image(3), headers: [...headersFor({}), ...bigHeaders] });
  const badKey = Buffer.from([0xc3, 0x28, 0xff, 0x00]);
  add('invalid UTF-8 key, garbage value', 'bad-magic', { key: badKey, value: Buffer.from('not a frame'), headers: headersFor({}) }, 'poison-utf8');
  add('null key and null value', 'missing-header', { key: null, value: null, headers: [['x-null', null]] }, 'poison-null');
  const ghosts = Array.from({ length: 2000 }, (_, i) => {
    const key = `ghost-${i}`;
    return { key, kind: 'reply topic that does not exist', reason: 'unknown-reply-topic', record: { key: Buffer.from(key), value: image(i), headers: headerList(encodeRequestHeaders(meta({ requestId: key, replyTopic: `replies.ghost-${i}` }))) } };
  });
  // A compressed batch mixing good and poison records: only the poison ones are dead-lettered.
  const mixedGood = Array.from({ length: 5 }, (_, i) => `py-mixed-${i}`);
  goodKeys.push(...mixedGood);
  const mixed: ProducerGroup = {
    topic: 'edge-in',
    config: { 'compression.type': 'zstd', 'linger.ms': 50 },
    records: [
      ...mixedGood.map((key, i) => ({ key: Buffer.from(key), value: image(i), headers: headerList(encodeRequestHeaders(meta({ requestId: key }))) })),
      { key: Buffer.from('poison-mixed'), value: Buffer.from('junk'), headers: headersFor({ requestId: 'poison-mixed' }) },
    ],
  };
  poison.push({ key: 'poison-mixed', kind: 'junk inside a zstd batch of good records', reason: 'bad-magic', record: mixed.records[5] });

  // ── prober: 2 devices, 8 requests/s each, for the whole run ────────────────────────────────────────
  const proberImages = Array.from({ length: 16 }, () => model.images).flat(); // 384 requests ≈ 24 s
  const pid = edge.pid;
  const prober = runDevices({
    brokers: cluster.bootstrapServers.split(','),
    requestTopic: 'edge-in',
    replyTopicPrefix: 'replies',
    devicePrefix: 'prober',
    devices: 2,
    images: proberImages,
    mode: { kind: 'rate', perSecond: 8 },
    timeoutMs: 60_000,
  });
  await sleep(2000);

  const t0 = Date.now();
  const singles: ProducerGroup[] = poison
    .filter((p) => p.key !== 'poison-mixed')
    .map((p) => ({ topic: 'edge-in', config: { 'message.max.bytes': 8_000_000, 'linger.ms': 5 }, records: [p.record] }));
  await produceWithPython(cluster.bootstrapServers, [
    ...compressed,
    mixed,
    ...singles,
    { topic: 'edge-in', config: { 'compression.type': 'lz4', 'linger.ms': 20 }, records: ghosts.map((g) => g.record) },
  ]);
  for (const codec of CODECS) produceWithJava(cluster.bootstrapServers, 'edge-in', codec, 20, 200);
  const producedMs = Date.now() - t0;

  const kafka = cluster.client('poison-check');
  const wantDead = new Set([...poison.map((p) => p.key), ...ghosts.map((g) => g.key)]);
  const javaDead = (all: KafkaMessage[]) => all.filter((m) => m.key === null && m.value?.length === 200);
  const deadKey = (m: KafkaMessage) => (m.key === null ? (m.value === null ? 'poison-null' : null) : m.key.equals(badKey) ? 'poison-utf8' : m.key.toString());
  const dead = await consumeUntil(
    kafka,
    'edge-in.dlq',
    (all) => new Set(all.map(deadKey).filter((k) => k !== null && wantDead.has(k))).size >= wantDead.size && javaDead(all).length >= 80,
    120_000,
  );
  const deadMs = Date.now() - t0;
  const answers = await consumeUntil(kafka, 'replies.python', (all) => new Set(all.map((m) => m.key!.toString())).size >= goodKeys.length, 60_000);
  const result = await prober;
  const health = await fetch(`http://127.0.0.1:${edge.httpPort()}/healthz`);

  // ── what came out ───────────────────────────────────────────────────────────────────────────────
  const byKey = new Map<string, KafkaMessage>();
  for (const m of dead) {
    const k = deadKey(m);
    if (k !== null) byKey.set(k, m);
  }
  const nullKeyNullValue = byKey.get('poison-null');
  const reasonOf = (m: KafkaMessage | undefined) => {
    const v = m?.headers?.[HEADER.dlqReason];
    return (Array.isArray(v) ? v[v.length - 1] : v)?.toString().split(':')[0];
  };
  const wrong = [...poison, ...ghosts].filter((p) => reasonOf(byKey.get(p.key)) !== p.reason).map((p) => `${p.key} (${p.kind}): got ${reasonOf(byKey.get(p.key)) ?? 'nothing'}, want ${p.reason}`);
  const answered = new Set(answers.map((m) => m.key!.toString()));
  const unanswered = goodKeys.filter((k) => !answered.has(k));
  const answerTimes = result.records.flatMap((r) => (r.answeredAt === null ? [] : [r.answeredAt])).sort((a, b) => a - b);
  const maxGapMs = Math.max(...answerTimes.slice(1).map((t, i) => t - answerTimes[i]));
  const t = tally('poison: prober among foreign poison', 2, result, model, {
    poisonRecords: poison.length + ghosts.length + 80,
    deadLettered: byKey.size + javaDead(dead).length,
    producedMs,
    allDeadLetteredAfterMs: deadMs,
    proberMaxAnswerGapMs: Math.round(maxGapMs),
  });
  report('poison.json', [t]);

  expect(wrong.slice(0, 10)).toEqual([]);
  expect(javaDead(dead)).toHaveLength(80); // snappy (xerial framing), lz4, zstd and gzip batches from Java all decode
  expect(javaDead(dead).every((m) => reasonOf(m) === 'missing-header')).toBe(true);
  expect(unanswered).toEqual([]);
  // byte-exact dead letters
  const nullHeader = byKey.get(poison[0].key)!;
  expect(nullHeader.headers!['x-empty']).toBeNull();
  expect(nullHeader.headers!['x-twice']).toEqual([Buffer.from('a'), null]);
  expect(byKey.get('poison-utf8')!.key).toEqual(badKey);
  expect(nullKeyNullValue?.headers?.['x-null']).toBeNull();
  // the prober was served throughout, by the same process
  expect({ lost: t.lost, misrouted: t.misrouted }).toEqual({ lost: 0, misrouted: 0 });
  expect(maxGapMs).toBeLessThan(5_000);
  expect(isAlive(pid)).toBe(true);
  expect(edge.child.exitCode).toBeNull();
  expect(health.status).toBe(200);
});
