/** One real cluster per coordination mode: produce/consume, topics, a clean stop. */
import { startCluster, type LocalKafkaCluster } from '../../runtime/kafka/cluster';
import { ACKS_ALL, LOW_LATENCY_PRODUCER } from '../../runtime/kafka/client-settings';
import { consumeN, isAlive } from './kafka-test-helpers';

describe.each(['kraft', 'zookeeper'] as const)('a 1-broker %s cluster', (coordination) => {
  let cluster: LocalKafkaCluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  test('starts with every broker in metadata', async () => {
    cluster = await startCluster({ name: `it-${coordination}`, coordination });
    const meta = await cluster.withAdmin((a) => a.describeCluster());
    expect(meta.brokers.map((b) => b.nodeId)).toEqual([1]);
    expect(cluster.pids()).toHaveLength(coordination === 'zookeeper' ? 2 : 1);
  }, 120_000);

  test('creates a topic with its partitions and min.insync.replicas', async () => {
    await cluster!.createTopics([{ name: 'orders', partitions: 3, minInsyncReplicas: 1 }]);
    const meta = await cluster!.withAdmin((a) => a.fetchTopicMetadata({ topics: ['orders'] }));
    expect(meta.topics[0].partitions).toHaveLength(3);
    const configs = await cluster!.withAdmin((a) =>
      a.describeConfigs({ resources: [{ type: 2, name: 'orders', configNames: ['min.insync.replicas'] }], includeSynonyms: false }),
    );
    expect(configs.resources[0].configEntries[0].configValue).toBe('1');
    // Idempotent: existing topics are left alone.
    await cluster!.createTopics([{ name: 'orders', partitions: 3 }]);
  });

  test('rejects a replication factor larger than the cluster', async () => {
    await expect(cluster!.createTopics([{ name: 'big', replicationFactor: 3 }])).rejects.toThrow('replicationFactor (3) must be between 1 and brokers (1)');
  });

  test('messages produced with acks=all are consumed in order with their keys and headers', async () => {
    const producer = cluster!.client('it-producer').producer(LOW_LATENCY_PRODUCER);
    await producer.connect();
    const messages = Array.from({ length: 20 }, (_, i) => ({ key: 'k', value: `m${i}`, headers: { i: String(i) } }));
    await producer.send({ topic: 'orders', acks: ACKS_ALL, messages });
    await producer.disconnect();
    const got = await consumeN(cluster!.client('it-consumer'), 'orders', 20);
    expect(got.map((m) => m.value!.toString())).toEqual(messages.map((m) => m.value));
    expect(got.map((m) => m.headers!.i!.toString())).toEqual(messages.map((m) => m.headers.i));
  });

  test('stop() leaves no JVM behind', async () => {
    const pids = cluster!.pids();
    await cluster!.stop();
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
