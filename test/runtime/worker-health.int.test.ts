/**
 * Truthful health on real brokers: the edge worker writes its forwards and answers to a second cluster; while that
 * cluster is down they stay in flight, and after `stallTimeoutMs` without progress /healthz and /readyz fail (Kubernetes would
 * restart the pod). When the cluster is back, the retried forwards go through, nothing is lost, and both are 200
 * again. Meanwhile fetching never waited for the stuck forwards: the worker kept taking records up to its bound.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { startCluster, type KafkaCluster } from '../../runtime/kafka/cluster';
import { ACKS_ALL, LOW_LATENCY_PRODUCER } from '../../runtime/kafka/client-settings';
import { encodeRequestHeaders, encodeTensor } from '../../runtime/wire';
import { startWorker, type WorkerHandle } from '../../runtime/worker/worker';
import { consumeN } from '../kafka/kafka-test-helpers';
import { syntheticImages, writeTinyPartitionedModel } from './fixtures/tiny-model';

jest.setTimeout(240_000);

let dir: string;
let edgeCluster: KafkaCluster;
let cloudCluster: KafkaCluster;
let worker: WorkerHandle;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ddnn-health-'));
  const model = await writeTinyPartitionedModel(dir, 5);
  [edgeCluster, cloudCluster] = await Promise.all([startCluster({ name: 'health-edge' }), startCluster({ name: 'health-cloud' })]);
  await edgeCluster.createTopics([{ name: 'edge-in', partitions: 2 }, { name: 'edge-in.dlq' }]);
  await cloudCluster.createTopics([{ name: 'cloud-in' }, { name: 'answers' }]);
  worker = await startWorker(
    {
      model: model.edge,
      brokers: edgeCluster.bootstrapServers,
      inputTopic: 'edge-in',
      nextTopic: 'cloud-in',
      nextBrokers: cloudCluster.bootstrapServers,
      answerTopic: 'answers',
      answerBrokers: cloudCluster.bootstrapServers,
      httpPort: 0,
      logLevel: 'silent',
      stallTimeoutMs: 3000,
      maxInFlightRecords: 8,
    },
    { processMetrics: false },
  );
  await worker.joined;
}, 240_000);

afterAll(async () => {
  await worker?.stop();
  await Promise.all([edgeCluster?.stop(), cloudCluster?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const probe = async (p: string) => (await fetch(`http://127.0.0.1:${worker.httpPort}${p}`)).status;

test('a layer stuck on an unreachable next cluster fails /healthz after stallTimeoutMs and recovers without losing a request', async () => {
  const producer = edgeCluster.client('health-producer').producer(LOW_LATENCY_PRODUCER);
  await producer.connect();
  const send = async (from: number, n: number) =>
    producer.send({
      topic: 'edge-in',
      acks: ACKS_ALL,
      messages: syntheticImages(n, 9).map((img, i) => {
        const id = `h-${from + i}`;
        return { key: id, value: encodeTensor(img.pixels, [32, 32, 3], 'uint8'), headers: encodeRequestHeaders({ requestId: id, deviceId: 'd', replyTopic: 'x.replies.d', createdAt: Date.now(), hops: [] }) };
      }),
    });

  // Every request leaves as a forward (cloud-in) or an answer (answers), both on the second cluster.
  const outputs = async (want: number, timeoutMs: number) => {
    const keys = new Set<string>();
    const until = Date.now() + timeoutMs;
    while (keys.size < want && Date.now() < until) {
      for (const topic of ['cloud-in', 'answers']) {
        for (const m of await consumeN(cloudCluster.client(`health-check-${Date.now()}`), topic, 10_000, 3_000)) keys.add(m.key!.toString());
      }
    }
    return keys;
  };
  await send(0, 4);
  expect((await outputs(4, 60_000)).size).toBe(4);
  expect(await probe('/healthz')).toBe(200);
  // Both outputs go to another cluster: ddnn_wan_bytes_total counts them (a 32×32×3 image gives ≥ 1 KiB of features or a small answer).
  const wan = (await worker.metrics.wanBytes.get()).values;
  const wanTotal = wan.reduce((a, v) => a + v.value, 0);
  const settled = (await worker.metrics.answers.get()).values[0]?.value ?? 0;
  expect(wan.every((v) => v.labels.destination === 'next' || v.labels.destination === 'answer')).toBe(true);
  expect(wanTotal).toBeGreaterThan(4 * 50);
  if (settled < 4) expect(wan.find((v) => v.labels.destination === 'next')!.value).toBeGreaterThan((4 - settled) * 1024);

  await cloudCluster.killBroker(0);
  await send(4, 30);
  // More records than the in-flight bound: fetching stops at the bound, and the stuck partitions stall.
  const deadline = Date.now() + 60_000;
  while ((await probe('/healthz')) === 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  expect(await probe('/healthz')).toBe(503);
  expect(await probe('/readyz')).toBe(503);
  const inFlight = (await worker.metrics.inFlight.get()).values[0].value;
  expect(inFlight).toBeGreaterThan(0);
  expect(inFlight).toBeLessThanOrEqual(16); // 8 per partition, 2 partitions

  await cloudCluster.restartBroker(0);
  // At-least-once: a record retried after the outage may arrive twice; every request arrives at least once.
  expect((await outputs(34, 120_000)).size).toBe(34);
  const back = Date.now() + 30_000;
  while ((await probe('/healthz')) !== 200 && Date.now() < back) await new Promise((r) => setTimeout(r, 250));
  expect(await probe('/healthz')).toBe(200);
  expect(await probe('/readyz')).toBe(200);
  await producer.disconnect();
});
