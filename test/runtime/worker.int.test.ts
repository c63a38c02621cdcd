/**
 * The data plane on a real Kafka broker: edge + cloud workers of a tiny partitioned model, 2 edge replicas,
 * 5 concurrent devices. Every device gets exactly its own answers; confident samples exit at the edge and the
 * rest are answered by the cloud with the predictions the sub-models give in-process; garbage goes to the
 * dead-letter topic while the worker keeps serving; a SIGTERM'd replica (a real process) loses no request.
 */
import { ChildProcess, spawn } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Kafka } from 'kafkajs';
import { startCluster, type KafkaCluster } from '../../runtime/kafka/cluster';
import { ACKS_ALL } from '../../runtime/kafka/client-settings';
import { runDevices } from '../../runtime/devices/simulator';
import { argmax } from '../../runtime/worker/exit-policy';
import { selectBackend } from '../../runtime/tf/backend';
import { loadSubModel } from '../../runtime/tf/sub-model';
import { startWorker, WorkerHandle } from '../../runtime/worker/worker';
import { encodeRequestHeaders, encodeTensor, HEADER } from '../../runtime/wire';
import { consumeN } from '../kafka/kafka-test-helpers';
import { syntheticImages, writeTinyPartitionedModel } from './fixtures/tiny-model';

const REPO = path.resolve(__dirname, '../..');
jest.setTimeout(120_000);

describe('edge + cloud workers on a real broker', () => {
  let cluster: KafkaCluster;
  let dir: string;
  let model: { edge: string; cloud: string };
  let threshold: number;
  const images = syntheticImages(60, 3);
  /** what the sub-models say in-process for each image: the answers must match these */
  const expected = new Map<number, { edgeClass: number; edgeTop: number; cloudClass: number }>();
  const workers: WorkerHandle[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ddnn-worker-it-'));
    model = await writeTinyPartitionedModel(dir, 11);
    await selectBackend('auto');
    const edge = await loadSubModel(model.edge);
    const cloud = await loadSubModel(model.cloud);
    const edgeOut = await edge.predict(images.map((i) => i.pixels));
    const cloudOut = await cloud.predict(edgeOut.map((o) => o.features!));
    images.forEach((img, i) => {
      const e = argmax(edgeOut[i].exit!);
      expected.set(img.id, { edgeClass: e.index, edgeTop: e.value, cloudClass: argmax(cloudOut[i].exit!).index });
    });
    // A threshold at the median edge confidence splits the images between the layers.
    const tops = [...expected.values()].map((e) => e.edgeTop).sort((a, b) => a - b);
    threshold = (tops[Math.floor(tops.length / 2) - 1] + tops[Math.floor(tops.length / 2)]) / 2;
    edge.dispose();
    cloud.dispose();

    cluster = await startCluster({ name: 'runtime-it' });
    await cluster.createTopics([
      { name: 'edge-in', partitions: 4 },
      { name: 'cloud-in', partitions: 2 },
      { name: 'edge-in.dlq' },
      { name: 'cloud-in.dlq' },
    ]);
    const common = { brokers: cluster.bootstrapServers, threshold, httpPort: 0, logLevel: 'warn' as const };
    const deps = { processMetrics: false };
    workers.push(
      await startWorker({ ...common, model: model.cloud, inputTopic: 'cloud-in', clientId: 'cloud-0' }, deps),
      await startWorker({ ...common, model: model.edge, inputTopic: 'edge-in', nextTopic: 'cloud-in', clientId: 'edge-0' }, deps),
      await startWorker({ ...common, model: model.edge, inputTopic: 'edge-in', nextTopic: 'cloud-in', clientId: 'edge-1' }, deps),
    );
    await Promise.all(workers.map((w) => w.joined));
  }, 180_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.stop()));
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('5 devices each get exactly their own answers: early exits at the edge, the rest from the cloud', async () => {
    const result = await runDevices({
      brokers: cluster.bootstrapServers.split(','),
      requestTopic: 'edge-in',
      replyTopicPrefix: 'replies',
      devices: 5,
      images,
      mode: { kind: 'closed-loop', window: 3 },
      timeoutMs: 20_000,
    });
    expect(result.records).toHaveLength(images.length);
    expect({ foreign: result.foreign, unknown: result.unknown, malformed: result.malformed }).toEqual({ foreign: 0, unknown: 0, malformed: 0 });

    const perDevice = new Map<string, number[]>();
    for (const r of result.records) {
      expect(r.answeredAt).not.toBeNull();
      perDevice.set(r.deviceId, [...(perDevice.get(r.deviceId) ?? []), r.imageId]);
      const e = expected.get(r.imageId)!;
      if (e.edgeTop >= threshold) {
        expect({ image: r.imageId, layer: r.layer, predicted: r.predicted }).toEqual({ image: r.imageId, layer: 'edge', predicted: e.edgeClass });
        expect(r.hops.map((h) => h.layer)).toEqual(['edge']);
      } else {
        expect({ image: r.imageId, layer: r.layer, predicted: r.predicted }).toEqual({ image: r.imageId, layer: 'cloud', predicted: e.cloudClass });
        expect(r.hops.map((h) => h.layer)).toEqual(['edge', 'cloud']);
      }
      expect(r.hops.every((h) => h.outAt >= h.inAt && h.inAt >= r.sentAt - 1)).toBe(true);
    }
    // device i sent images i, i+5, …: it got answers for exactly those
    expect(perDevice.size).toBe(5);
    for (const [deviceId, got] of perDevice) {
      const i = Number(deviceId.split('-')[1]);
      expect(got.sort((a, b) => a - b)).toEqual(images.filter((_, k) => k % 5 === i).map((x) => x.id));
    }
    const layers = result.records.map((r) => r.layer);
    expect(layers.filter((l) => l === 'edge').length).toBe(images.length / 2);
    expect(layers.filter((l) => l === 'cloud').length).toBe(images.length / 2);
    // both edge replicas took part (4 partitions shared by the group)
    const served = await Promise.all(workers.slice(1).map(async (w) => (await w.metrics.requests.get()).values[0]?.value ?? 0));
    expect(served.every((n) => n > 0)).toBe(true);
  });

  test('serves /healthz, /readyz and Prometheus /metrics labelled by layer', async () => {
    const [cloud, edge] = workers;
    const get = async (w: WorkerHandle, p: string) => {
      const res = await fetch(`http://127.0.0.1:${w.httpPort}${p}`);
      return { status: res.status, body: await res.text() };
    };
    expect(await get(edge, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect((await get(edge, '/readyz')).status).toBe(200);
    const edgeMetrics = (await get(edge, '/metrics')).body;
    expect(edgeMetrics).toMatch(/^ddnn_requests_total\{layer="edge"\} [1-9]\d*$/m);
    expect(edgeMetrics).toMatch(/^ddnn_answers_total\{layer="edge"\} [1-9]\d*$/m);
    expect(edgeMetrics).toMatch(/^ddnn_forwards_total\{layer="edge"\} [1-9]\d*$/m);
    expect(edgeMetrics).toMatch(/^ddnn_batch_size_count\{layer="edge"\} [1-9]\d*$/m);
    expect(edgeMetrics).toMatch(/^ddnn_consumer_lag\{topic="edge-in",partition="\d",layer="edge"\} \d+$/m);
    const cloudMetrics = (await get(cloud, '/metrics')).body;
    expect(cloudMetrics).toMatch(/^ddnn_answers_total\{layer="cloud"\} [1-9]\d*$/m);
    expect(cloudMetrics).toMatch(/^ddnn_exit_latency_seconds_count\{layer="cloud"\} [1-9]\d*$/m);
    expect((await get(edge, '/nope')).status).toBe(404);
  });

  test('malformed records go to the dead-letter topic with a reason, and the worker keeps serving', async () => {
    const kafka = new Kafka({ clientId: 'it-garbage', brokers: cluster.bootstrapServers.split(','), logLevel: 0 });
    const producer = kafka.producer();
    await producer.connect();
    const good = { requestId: 'g-1', deviceId: 'mallory', replyTopic: 'replies.mallory', createdAt: Date.now(), hops: [] };
    const nan = new Float32Array(32 * 32 * 3);
    nan[5] = NaN;
    await producer.send({
      topic: 'edge-in',
      acks: ACKS_ALL,
      messages: [
        { key: 'junk', value: Buffer.from('[[0.1, 0.2]]'), headers: encodeRequestHeaders(good) },
        { key: 'shape', value: encodeTensor(new Uint8Array(16 * 16 * 3), [16, 16, 3], 'uint8'), headers: encodeRequestHeaders(good) },
        { key: 'nan', value: encodeTensor(nan, [32, 32, 3], 'float32'), headers: encodeRequestHeaders(good) },
        { key: 'no-headers', value: encodeTensor(images[0].pixels, [32, 32, 3], 'uint8') },
        { key: 'hijack', value: encodeTensor(images[0].pixels, [32, 32, 3], 'uint8'), headers: encodeRequestHeaders({ ...good, replyTopic: 'cloud in' }) },
      ],
    });
    await producer.disconnect();
    const dead = await consumeN(kafka, 'edge-in.dlq', 5, 20_000);
    const reasons = Object.fromEntries(dead.map((m) => [m.key!.toString(), m.headers![HEADER.dlqReason]!.toString().split(':')[0]]));
    expect(reasons).toEqual({ junk: 'bad-magic', shape: 'wrong-input', nan: 'non-finite', 'no-headers': 'missing-header', hijack: 'bad-header' });
    for (const m of dead) {
      expect(m.headers![HEADER.dlqLayer]!.toString()).toBe('edge');
      expect(m.headers![HEADER.dlqSource]!.toString()).toMatch(/^edge-in\/\d@\d+$/);
    }
    // the original bytes are kept for inspection
    expect(dead.find((m) => m.key!.toString() === 'junk')!.value!.toString()).toBe('[[0.1, 0.2]]');

    const again = await runDevices({ brokers: cluster.bootstrapServers.split(','), requestTopic: 'edge-in', replyTopicPrefix: 'replies', devices: 2, images: images.slice(0, 6), timeoutMs: 20_000 });
    expect(again.records.every((r) => r.answeredAt !== null)).toBe(true);
  });

  test("a replica SIGTERM'd mid-stream exits 0 and loses no request", async () => {
    // Replace the in-process edge replicas by two worker processes, as in a deployment.
    await Promise.all(workers.splice(1).map((w) => w.stop()));
    const procs = [spawnWorker('edge-p0'), spawnWorker('edge-p1')];
    await Promise.all(procs.map((p) => p.joined));

    let killedAt = -1;
    const stream = runDevices({
      brokers: cluster.bootstrapServers.split(','),
      requestTopic: 'edge-in',
      replyTopicPrefix: 'replies',
      devices: 5,
      images: [...images, ...images].map((img, i) => ({ ...img, id: i })),
      mode: { kind: 'closed-loop', window: 2 },
      timeoutMs: 30_000,
      onProgress: (done) => {
        if (done === 30 && killedAt < 0) {
          killedAt = done;
          procs[0].child.kill('SIGTERM');
        }
      },
    });
    const [result, exit] = await Promise.all([stream, procs[0].exited]);
    expect(killedAt).toBe(30);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(result.records).toHaveLength(images.length * 2);
    expect(result.records.filter((r) => r.answeredAt === null)).toEqual([]);
    expect(result.foreign + result.unknown + result.malformed).toBe(0);
    procs[1].child.kill('SIGTERM');
    expect(await procs[1].exited).toEqual({ code: 0, signal: null });
  });

  test('a replica SIGKILLed mid-stream loses no request either: its uncommitted records are redelivered', async () => {
    const procs = [spawnWorker('edge-k0'), spawnWorker('edge-k1')];
    await Promise.all(procs.map((p) => p.joined));
    let killed = false;
    const result = await runDevices({
      brokers: cluster.bootstrapServers.split(','),
      requestTopic: 'edge-in',
      replyTopicPrefix: 'replies',
      devices: 5,
      images: [...images, ...images].map((img, i) => ({ ...img, id: i })),
      mode: { kind: 'closed-loop', window: 2 },
      // the group notices a dead member after the session timeout (10 s), then the survivor takes its partitions
      timeoutMs: 45_000,
      onProgress: (done) => {
        if (done === 30 && !killed) {
          killed = true;
          procs[0].child.kill('SIGKILL');
        }
      },
    });
    expect(killed).toBe(true);
    expect(await procs[0].exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(result.records).toHaveLength(images.length * 2);
    expect(result.records.filter((r) => r.answeredAt === null)).toEqual([]);
    expect(result.foreign + result.unknown + result.malformed).toBe(0);
    procs[1].child.kill('SIGTERM');
    expect(await procs[1].exited).toEqual({ code: 0, signal: null });
  });

  function spawnWorker(clientId: string) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'runtime/worker/main.ts', '--client-id', clientId], {
      cwd: REPO,
      env: {
        ...process.env,
        DDNN_MODEL: model.edge,
        DDNN_BROKERS: cluster.bootstrapServers,
        DDNN_INPUT_TOPIC: 'edge-in',
        DDNN_NEXT_TOPIC: 'cloud-in',
        DDNN_THRESHOLD: String(threshold),
        DDNN_HTTP_PORT: '0',
        DDNN_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let log = '';
    const joined = new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes('"event":"group-join"')) resolve();
      });
      child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      child.once('exit', (code) => reject(new Error(`worker ${clientId} exited (${code}) before joining:\n${log}`)));
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    return { child, joined, exited, log: () => log };
  }
});
