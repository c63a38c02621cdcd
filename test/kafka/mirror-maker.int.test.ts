/**
 * MirrorMaker 2 between a real edge and a real cloud cluster: topics keep their names, records keep
 * their keys and headers, nothing loops back, and MM2 resumes where it stopped after a restart.
 * The cloud sits behind an emulated WAN link (10 ms), so MM2 reaches it through the WAN listeners.
 */
import { ACKS_ALL, LOW_LATENCY_PRODUCER } from '../../runtime/kafka/client-settings';
import type { LocalKafkaCluster } from '../../runtime/kafka/cluster';
import { startContinuum, type Continuum } from '../../runtime/kafka/continuum';
import { consumeN, isAlive } from './kafka-test-helpers';

let continuum: Continuum | undefined;

beforeAll(async () => {
  continuum = await startContinuum({
    namePrefix: 'it-mm2',
    cloud: { wan: { latencyMs: 10 } },
    topics: [{ name: 'edgecloud', partitions: 2 }, { name: 'cloudedge' }],
    edgeToCloud: ['edgecloud'],
    cloudToEdge: ['cloudedge'],
  });
}, 180_000);

afterAll(async () => {
  await continuum?.stop();
});

async function produce(cluster: LocalKafkaCluster, topic: string, messages: { key: string; value: string; headers: Record<string, string> }[]) {
  const producer = cluster.client(`it-mm2-${topic}`).producer(LOW_LATENCY_PRODUCER);
  await producer.connect();
  await producer.send({ topic, acks: ACKS_ALL, messages });
  await producer.disconnect();
}

test('edge→cloud: same topic name, values, keys and headers', async () => {
  const { edge, cloud } = continuum!;
  const sent = Array.from({ length: 10 }, (_, i) => ({ key: `dev-${i % 3}`, value: `up-${i}`, headers: { 'x-request-id': `r${i}`, 'x-layer': 'edge' } }));
  await produce(edge, 'edgecloud', sent);
  const got = await consumeN(cloud.client('it-mm2-cloud'), 'edgecloud', sent.length);
  const byValue = new Map(got.map((m) => [m.value!.toString(), m]));
  expect([...byValue.keys()].sort()).toEqual(sent.map((m) => m.value).sort());
  for (const m of sent) {
    const r = byValue.get(m.value)!;
    expect(r.key!.toString()).toBe(m.key);
    expect(r.headers!['x-request-id']!.toString()).toBe(m.headers['x-request-id']);
    expect(r.headers!['x-layer']!.toString()).toBe('edge');
  }
}, 60_000);

test('cloud→edge: same topic name, values and headers', async () => {
  const { edge, cloud } = continuum!;
  const sent = Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: `down-${i}`, headers: { 'x-request-id': `d${i}` } }));
  await produce(cloud, 'cloudedge', sent);
  const got = await consumeN(edge.client('it-mm2-edge'), 'cloudedge', sent.length);
  expect(got.map((m) => m.value!.toString())).toEqual(sent.map((m) => m.value));
  expect(got.map((m) => m.headers!['x-request-id']!.toString())).toEqual(sent.map((m) => m.headers['x-request-id']));
}, 60_000);

test('no prefixed replica topics and no records looping back', async () => {
  const { edge, cloud } = continuum!;
  for (const c of [edge, cloud]) {
    const topics = await c.withAdmin((a) => a.listTopics());
    // Only the chosen topics, under their own names, besides MM2's and Kafka's bookkeeping.
    // (IdentityReplicationPolicy still prefixes heartbeats topics, e.g. edge.heartbeats, to avoid loops.)
    const user = topics.filter((t) => !/^(mm2-.*\.internal|__consumer_offsets|([a-z-]+\.)?heartbeats)$/.test(t));
    expect(user.sort()).toEqual(['cloudedge', 'edgecloud']);
  }
  // Each record exists once per cluster: edgecloud on the edge was never written back by MM2.
  const offsets = async (c: LocalKafkaCluster, topic: string) =>
    (await c.withAdmin((a) => a.fetchTopicOffsets(topic))).reduce((n, p) => n + Number(p.high), 0);
  expect(await offsets(edge, 'edgecloud')).toBe(10);
  expect(await offsets(cloud, 'edgecloud')).toBe(10);
  expect(await offsets(cloud, 'cloudedge')).toBe(5);
  expect(await offsets(edge, 'cloudedge')).toBe(5);
  // MM2 creates heartbeats topics, but with heartbeats off nothing is written or mirrored into them.
  for (const c of [edge, cloud]) {
    for (const t of (await c.withAdmin((a) => a.listTopics())).filter((x) => x.endsWith('heartbeats'))) {
      expect(await offsets(c, t)).toBe(0);
    }
  }
});

test('records produced while MM2 is stopped are mirrored after restart(), once', async () => {
  const { edge, cloud } = continuum!;
  const mirrorMaker = continuum!.edgeToCloud!;
  const oldPid = mirrorMaker.pid!;
  await mirrorMaker.stop();
  expect(isAlive(oldPid)).toBe(false);
  await produce(edge, 'edgecloud', [{ key: 'late', value: 'while-down', headers: { h: '1' } }]);
  await mirrorMaker.restart();
  const got = await consumeN(cloud.client('it-mm2-cloud-2'), 'edgecloud', 11);
  expect(got.map((m) => m.value!.toString()).filter((v) => v === 'while-down')).toHaveLength(1);
  expect(got).toHaveLength(11);
}, 120_000);
