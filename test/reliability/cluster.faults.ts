/**
 * Faults inside one layer's Kafka cluster, with real brokers and real workers: a 3-broker KRaft cluster
 * (RF 3, min.insync.replicas 2, acks=all everywhere), edge workers forwarding to a cloud worker, 4 devices.
 *
 *   1. an edge worker replica (a real process) SIGKILLed mid-stream: its partitions move to the other replica
 *      after the session timeout and its unacknowledged requests are replayed;
 *   2. a slow layer under a flood (backpressure): the backlog waits in Kafka, visible as lag in /metrics, while the
 *      worker holds only what it fetched;
 *   3. a follower stalled (SIGSTOP) under concurrent idempotent sends: every acknowledged message is written once;
 *   4. a broker SIGKILLed mid-stream: leaders move, producers and consumers follow, nothing acknowledged is lost
 *      (last: leadership keeps moving for a while after the broker is back).
 *
 * Each scenario ends with the count sent / answered / lost / duplicated / misrouted (printed and written to
 * results/reliability/cluster-faults.json).
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { startCluster, type KafkaCluster } from '../../runtime/kafka/cluster';
import { replyTopicFor, runDevices } from '../../runtime/devices/simulator';
import { loadSubModel, type SubModel } from '../../runtime/tf/sub-model';
import { startWorker, type WorkerHandle } from '../../runtime/worker/worker';
import { ACKS_ALL, LOW_LATENCY_PRODUCER } from '../../runtime/kafka/client-settings';
import { metricSum, prepareTinyModel, readTopics, report, scrapeMetrics, sleep, spawnWorker, tally, type Tally, type TinyContinuumModel, traceLost, type WorkerChild } from './harness';

jest.setTimeout(240_000);

const DEVICES = 4;
let dir: string;
let cluster: KafkaCluster;
let model: TinyContinuumModel;
const workers: WorkerHandle[] = [];
const children: WorkerChild[] = [];
const tallies: Tally[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ddnn-faults-'));
  model = await prepareTinyModel(dir, 48);
  cluster = await startCluster({ name: 'faults', brokers: 3, defaultReplicationFactor: 3, minInsyncReplicas: 2 });
  await cluster.createTopics(
    ['edge-in', 'cloud-in', 'slow-in'].flatMap((t) => [
      { name: t, partitions: t === 'edge-in' ? 4 : 2, replicationFactor: 3, minInsyncReplicas: 2 },
      { name: `${t}.dlq`, replicationFactor: 3, minInsyncReplicas: 2 },
    ]),
  );
  const common = { brokers: cluster.bootstrapServers, threshold: model.threshold, batchMaxWaitMs: 2, httpPort: -1, logLevel: (process.env.DDNN_FAULTS_LOG_LEVEL ?? 'warn') as 'warn' };
  workers.push(
    await startWorker({ ...common, model: model.cloud, inputTopic: 'cloud-in', clientId: 'cloud-0' }, { processMetrics: false }),
    await startWorker({ ...common, model: model.edge, inputTopic: 'edge-in', nextTopic: 'cloud-in', clientId: 'edge-0' }, { processMetrics: false }),
  );
  await Promise.all(workers.map((w) => w.joined));
}, 300_000);

afterAll(async () => {
  report('cluster-faults.json', tallies);
  for (const c of children) c.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.stop()));
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectNothingLost(t: Tally): void {
  expect({ sent: t.sent, answered: t.answered, lost: t.lost, misrouted: t.misrouted }).toEqual({ sent: t.sent, answered: t.sent, lost: 0, misrouted: 0 });
}

test('an edge replica SIGKILLed mid-stream: the group rebalances, every request is answered once per device', async () => {
  const replica = spawnWorker({
    DDNN_MODEL: model.edge,
    DDNN_BROKERS: cluster.bootstrapServers,
    DDNN_INPUT_TOPIC: 'edge-in',
    DDNN_NEXT_TOPIC: 'cloud-in',
    DDNN_THRESHOLD: String(model.threshold),
    DDNN_BATCH_MAX_WAIT_MS: '2',
    DDNN_CLIENT_ID: 'edge-p1',
  });
  children.push(replica);
  await replica.joined;
  let killedAt = -1;
  const result = await runDevices({
    brokers: cluster.bootstrapServers.split(','),
    requestTopic: 'edge-in',
    replyTopicPrefix: 'replies',
    devicePrefix: 'kill-worker',
    devices: DEVICES,
    images: model.images,
    mode: { kind: 'closed-loop', window: 2 },
    timeoutMs: 90_000,
    onProgress: (done) => {
      if (done === 12 && killedAt < 0) {
        killedAt = done;
        replica.child.kill('SIGKILL');
      }
    },
  });
  const exit = await replica.exited;
  const t = tally('worker replica SIGKILL (rebalance)', DEVICES, result, model, { killedAfter: killedAt, pid: replica.pid, exit: exit.signal });
  tallies.push(t);
  expect(exit.signal).toBe('SIGKILL');
  expectNothingLost(t);
});

test('a slow layer under a flood: the backlog waits in Kafka (lag in /metrics), the worker holds only what it fetched', async () => {
  const base = await loadSubModel(model.edge);
  const slowMs = 120;
  const slow: SubModel = {
    manifest: base.manifest,
    predict: async (inputs) => {
      await sleep(slowMs);
      return base.predict(inputs);
    },
    dispose: () => base.dispose(),
  };
  const worker = await startWorker(
    {
      brokers: cluster.bootstrapServers,
      model: model.edge,
      inputTopic: 'slow-in',
      nextTopic: 'cloud-in',
      threshold: model.threshold,
      batchMaxSize: 4,
      batchMaxWaitMs: 2,
      httpPort: 0,
      logLevel: 'warn',
      clientId: 'slow-0',
    },
    { subModel: slow, processMetrics: true },
  );
  workers.push(worker);
  await worker.joined;
  const port = worker.httpPort!;
  const samples: { t: number; lag: number; inFlight: number; heapMb: number }[] = [];
  let sampling = true;
  const sampler = (async () => {
    const t0 = Date.now();
    while (sampling) {
      const m = await scrapeMetrics(port).catch(() => null);
      if (!m) break;
      samples.push({
        t: Date.now() - t0,
        lag: metricSum(m, 'ddnn_consumer_lag'),
        inFlight: metricSum(m, 'ddnn_in_flight_requests'),
        heapMb: Math.round(metricSum(m, 'nodejs_heap_size_used_bytes') / 2 ** 20),
      });
      await sleep(200);
    }
  })();
  // 4 devices × 12/s ≈ 48 requests/s against a layer that does about 4 per 120 ms.
  const images = [...model.images, ...model.images].map((img, i) => ({ ...img, id: i % model.images.length }));
  const result = await runDevices({
    brokers: cluster.bootstrapServers.split(','),
    requestTopic: 'slow-in',
    replyTopicPrefix: 'replies',
    devicePrefix: 'slow',
    devices: DEVICES,
    images,
    split: 'shard',
    mode: { kind: 'rate', perSecond: 12 },
    timeoutMs: 90_000,
  }).finally(() => (sampling = false));
  await sampler;
  const maxLag = Math.max(...samples.map((s) => s.lag));
  const maxInFlight = Math.max(...samples.map((s) => s.inFlight));
  const heap = samples.map((s) => s.heapMb);
  const t = tally('slow layer (backpressure)', DEVICES, result, model, {
    slowPredictMs: slowMs,
    maxLagInMetrics: maxLag,
    maxInFlight,
    heapMb: { min: Math.min(...heap), max: Math.max(...heap) },
    samples: samples.length,
  });
  tallies.push(t);
  expectNothingLost(t);
  // The backlog is visible to an operator, and the worker never held the whole backlog.
  expect(maxLag).toBeGreaterThan(0);
  expect(maxInFlight).toBeLessThan(t.sent);
  // Idle again: nothing held, nothing behind.
  const after = await scrapeMetrics(port);
  expect({ inFlight: metricSum(after, 'ddnn_in_flight_requests'), lag: metricSum(after, 'ddnn_consumer_lag') }).toEqual({ inFlight: 0, lag: 0 });
});

test('a follower stalls under concurrent idempotent sends (written, then answered with a timeout): every acknowledged message is in the log, once', async () => {
  // The device's producer is idempotent and sends from two lanes at once. Stopping a follower makes the leader write
  // each acks=all batch and then answer it with REQUEST_TIMED_OUT; upstream kafkajs gave the batch's sequence back
  // and the next concurrent send took it, to be acknowledged as a duplicate and never written (the lost request of a
  // CI run of the broker-kill test below). The kafkajs patch runs an idempotent producer's sends one at a time.
  await cluster.createTopics([{ name: 'idempotent', partitions: 1, replicationFactor: 3, minInsyncReplicas: 2 }]);
  const meta = await cluster.withAdmin((a) => a.fetchTopicMetadata({ topics: ['idempotent'] }));
  const p0 = meta.topics[0].partitions[0];
  const follower = p0.replicas.find((r) => r !== p0.leader)!;
  const pid = cluster.brokerPid(cluster.nodeIds.indexOf(follower))!;
  const producer = cluster.client('idempotent').producer(LOW_LATENCY_PRODUCER);
  await producer.connect();
  const values = Array.from({ length: 8 }, (_, i) => `m${i}`);
  process.kill(pid, 'SIGSTOP');
  const resume = setTimeout(() => process.kill(pid, 'SIGCONT'), 3_000);
  let sent: PromiseSettledResult<unknown>[];
  try {
    sent = await Promise.allSettled(values.map((v) => producer.send({ topic: 'idempotent', acks: ACKS_ALL, timeout: 250, messages: [{ key: v, value: v }] })));
  } finally {
    clearTimeout(resume);
    process.kill(pid, 'SIGCONT');
    await producer.disconnect();
  }
  const stored = (await readTopics(cluster.client('idempotent-check'), ['idempotent'])).map((r) => r.value);
  const acknowledged = values.filter((_, i) => sent[i].status === 'fulfilled');
  process.stdout.write(`idempotent sends with a stalled follower: acknowledged ${acknowledged.length}/${values.length}, stored ${JSON.stringify(stored)}\n`);
  expect(acknowledged).toEqual(values); // the retries outlast the 3 s stall
  expect([...stored].sort()).toEqual(values);
});

test('a broker SIGKILLed mid-stream (RF 3, min.insync 2, acks=all): nothing acknowledged is lost', async () => {
  // Kill the leader of edge-in partition 0, so producers, the group and the fetchers all have to move.
  const meta = await cluster.withAdmin((a) => a.fetchTopicMetadata({ topics: ['edge-in'] }));
  const leader = meta.topics[0].partitions.find((p) => p.partitionId === 0)!.leader;
  const index = cluster.nodeIds.indexOf(leader);
  const pidsBefore = cluster.pids();
  let killedAt = -1;
  let killTime = 0;
  let killed: Promise<void> = Promise.resolve();
  const result = await runDevices({
    brokers: cluster.bootstrapServers.split(','),
    requestTopic: 'edge-in',
    replyTopicPrefix: 'replies',
    devicePrefix: 'kill-broker',
    devices: DEVICES,
    images: model.images,
    mode: { kind: 'closed-loop', window: 2 },
    timeoutMs: 90_000,
    onProgress: (done) => {
      if (done === 12 && killedAt < 0) {
        killedAt = done;
        killTime = Date.now();
        killed = cluster.killBroker(index);
      }
    },
  });
  await killed;
  expect(cluster.pids().length).toBe(pidsBefore.length - 1);
  await cluster.restartBroker(index);
  // With every broker back, where each lost request got to: which hop lost it (see traceLost).
  const replyTopics = [...new Set(result.records.filter((r) => r.answeredAt === null).map((r) => replyTopicFor('replies', r.deviceId)))];
  const lostTrace = await traceLost(cluster.client('lost-check'), result, ['edge-in', 'edge-in.dlq', 'cloud-in', 'cloud-in.dlq', ...replyTopics]);
  const t = tally('broker SIGKILL (3 brokers, RF 3)', DEVICES, result, model, {
    killedAfter: killedAt,
    killedNode: leader,
    lostTrace,
    killedAtMs: Math.round(killTime - result.startedAt),
    lostSentAfterKillMs: result.records.filter((r) => r.answeredAt === null).map((r) => Math.round(r.sentAt - killTime)),
  });
  tallies.push(t);
  expectNothingLost(t);
  expect(cluster.pids().length).toBe(pidsBefore.length);
  // Both workers still serve once the broker is back: a fail-over must not end a consumer for good (kafkajs gives up
  // on a group whose coordinator it cannot find; the worker runs its consumer again, runtime/kafka/consumer-recovery.ts).
  const after = await runDevices({
    brokers: cluster.bootstrapServers.split(','),
    requestTopic: 'edge-in',
    replyTopicPrefix: 'replies',
    devicePrefix: 'after-kill',
    devices: 2,
    images: model.images.slice(0, 16),
    timeoutMs: 60_000,
  });
  expectNothingLost(tally('after the broker is back', 2, after, model));
});
