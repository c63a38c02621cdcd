/**
 * Durability: 3 brokers, RF 3, min.insync.replicas 2, acks=all. One broker (the partition leader) is
 * SIGKILLed mid-stream; every acknowledged record must still be there afterwards.
 */
import { ACKS_ALL, LOW_LATENCY_PRODUCER } from '../../runtime/kafka/client-settings';
import { startCluster, type LocalKafkaCluster } from '../../runtime/kafka/cluster';
import { consumeN, isAlive } from './kafka-test-helpers';

const TOPIC = 'durable';
const TOTAL = 600;
const KILL_AFTER = 200;
let cluster: LocalKafkaCluster | undefined;
let victim = -1;

beforeAll(async () => {
  cluster = await startCluster({ name: 'it-failure', brokers: 3, coordination: 'kraft', heapMb: 256 });
  await cluster.createTopics([{ name: TOPIC, partitions: 3, replicationFactor: 3, minInsyncReplicas: 2 }]);
}, 180_000);

afterAll(async () => {
  await cluster?.stop({ graceMs: 5_000 });
});

test('no acknowledged record is lost when the leader is SIGKILLed mid-stream', async () => {
  const c = cluster!;
  const meta = await c.withAdmin((a) => a.fetchTopicMetadata({ topics: [TOPIC] }));
  const leaderId = meta.topics[0].partitions.find((p) => p.partitionId === 0)!.leader;
  victim = c.nodeIds.indexOf(leaderId);
  const victimPid = c.brokerPid(victim)!;

  const producer = c.client('it-failure-producer').producer(LOW_LATENCY_PRODUCER);
  await producer.connect();
  const acked: string[] = [];
  const failed: string[] = [];
  let killed: Promise<void> | undefined;
  // A few records in flight at once, as a worker would send them.
  for (let i = 0; i < TOTAL; i += 4) {
    if (i === KILL_AFTER) killed = c.killBroker(victim);
    const batch = [i, i + 1, i + 2, i + 3].map((n) => `r${n}`);
    await Promise.all(
      batch.map((id, j) =>
        producer
          .send({ topic: TOPIC, acks: ACKS_ALL, messages: [{ key: id, value: id, partition: (i + j) % 3 }] })
          .then(() => acked.push(id), () => failed.push(id)),
      ),
    );
  }
  await producer.disconnect();
  await killed;
  expect(isAlive(victimPid)).toBe(false);

  const got = await consumeN(c.client('it-failure-consumer'), TOPIC, acked.length, 60_000);
  const seen = new Set(got.map((m) => m.value!.toString()));
  const lost = acked.filter((id) => !seen.has(id));
  console.log(
    `broker-failure: sent ${TOTAL}, acknowledged ${acked.length}, failed ${failed.length}, ` +
      `consumed ${got.length} (${seen.size} distinct), acknowledged but lost ${lost.length}; killed node ${leaderId}`,
  );
  expect(lost).toEqual([]);
  expect(acked.length).toBeGreaterThan(KILL_AFTER);
}, 180_000);

test('restartBroker() brings the killed broker back into the cluster', async () => {
  const c = cluster!;
  expect(c.brokerPid(victim)).toBeUndefined();
  await c.restartBroker(victim);
  expect(c.brokerPid(victim)).toBeDefined();
  // restartBroker resolved once every running broker listed it. A broker whose metadata the client asks may still
  // be a moment behind, or the restarted one briefly fenced while it catches up (seen once in CI on 2 busy cores):
  // membership is eventual, so read it until it holds, for at most 30 s.
  const members = async () => (await c.withAdmin((a) => a.describeCluster())).brokers.map((b) => b.nodeId).sort();
  let brokers = await members();
  for (const deadline = Date.now() + 30_000; brokers.length < 3 && Date.now() < deadline; brokers = await members()) await new Promise((r) => setTimeout(r, 500));
  expect(brokers).toEqual([1, 2, 3]);
}, 120_000);
