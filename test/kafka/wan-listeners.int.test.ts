/**
 * Clients on another layer reach a cluster through its WAN link: brokers advertise the proxy ports on
 * their WAN listener, so every connection (not only the bootstrap one) crosses the link.
 */
import { ACKS_ALL, LOW_LATENCY_PRODUCER } from '../../runtime/kafka/client-settings';
import { startCluster, type LocalKafkaCluster } from '../../runtime/kafka/cluster';
import { consumeN } from './kafka-test-helpers';

const LATENCY_MS = 30;
let cluster: LocalKafkaCluster | undefined;

beforeAll(async () => {
  cluster = await startCluster({ name: 'it-wan', brokers: 2, coordination: 'kraft', wan: { latencyMs: LATENCY_MS } });
  // One partition led by each broker, so producing to both crosses both brokers' proxies.
  await cluster.createTopics([{ name: 'features', partitions: 2, replicationFactor: 1 }]);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
});

test('a WAN client sees every broker at its proxy port; a same-layer client at its own port', async () => {
  const c = cluster!;
  const wanMeta = await c.client('it-wan-admin', { wan: true }).admin();
  await wanMeta.connect();
  const viaWan = (await wanMeta.describeCluster()).brokers.map((b) => b.port).sort();
  await wanMeta.disconnect();
  expect(viaWan).toEqual([...c.wanLink!.ports].sort());
  const direct = (await c.withAdmin((a) => a.describeCluster())).brokers.map((b) => `${b.host}:${b.port}`).sort();
  expect(direct).toEqual(c.bootstrapServers.split(',').sort());
});

test('produce and consume through the WAN listeners; every broker is reached via the link', async () => {
  const c = cluster!;
  const before = c.wanLink!.stats();
  const producer = c.client('it-wan-producer', { wan: true }).producer(LOW_LATENCY_PRODUCER);
  await producer.connect();
  const t0 = performance.now();
  await producer.send({ topic: 'features', acks: ACKS_ALL, messages: [{ partition: 0, value: 'p0' }] });
  const oneSend = performance.now() - t0;
  await producer.send({ topic: 'features', acks: ACKS_ALL, messages: [{ partition: 1, value: 'p1', headers: { h: 'v' } }] });
  await producer.disconnect();
  // A produce request and its answer each cross the link once.
  expect(oneSend).toBeGreaterThanOrEqual(2 * LATENCY_MS - 1);
  const got = await consumeN(c.client('it-wan-consumer', { wan: true }), 'features', 2);
  expect(got.map((m) => m.value!.toString()).sort()).toEqual(['p0', 'p1']);
  const after = c.wanLink!.stats();
  expect(after.bytesUp).toBeGreaterThan(before.bytesUp);
  expect(after.bytesDown).toBeGreaterThan(before.bytesDown);
  // bootstrap + one connection per broker, for producer and consumer alike
  expect(after.connectionsAccepted - before.connectionsAccepted).toBeGreaterThanOrEqual(4);
}, 60_000);

test('a cut stalls WAN clients only; after heal() the pending send completes', async () => {
  const c = cluster!;
  const wanProducer = c.client('it-wan-cut', { wan: true }).producer(LOW_LATENCY_PRODUCER);
  await wanProducer.connect();
  c.wanLink!.cut();
  try {
    let done = false;
    const pending = wanProducer
      .send({ topic: 'features', acks: ACKS_ALL, messages: [{ partition: 0, value: 'during-cut' }] })
      .then(() => (done = true));
    // Same-layer clients are not behind the link.
    const local = c.client('it-wan-local').producer(LOW_LATENCY_PRODUCER);
    await local.connect();
    await local.send({ topic: 'features', acks: ACKS_ALL, messages: [{ partition: 1, value: 'local' }] });
    await local.disconnect();
    await new Promise((r) => setTimeout(r, 1000));
    expect(done).toBe(false);
    c.wanLink!.heal();
    await pending;
  } finally {
    c.wanLink!.heal();
    await wanProducer.disconnect();
  }
  const got = await consumeN(c.client('it-wan-check'), 'features', 4);
  expect(got.map((m) => m.value!.toString())).toEqual(expect.arrayContaining(['during-cut', 'local']));
}, 60_000);
