/** Strimzi as a second engine: the custom resources, checked against Strimzi 0.47.0's own CRD schemas. */
import { Testing } from 'cdk8s';
import { brokerProperties } from '../../contracts/kafka/broker-settings';
import { KAFKA_VERSION } from '../../contracts/versions';
import { InferenceLayer } from '../../constructs';
import * as fs from 'fs';
import * as path from 'path';
import { STRIMZI_VERSION, StrimziKafkaAccess, StrimziKafkaCluster, StrimziKafkaTopics, StrimziMirrorMaker2, topicResourceName } from '../../constructs/k8s/strimzi';
import { type Manifest, envOf, schemaErrors } from './manifest-checks';

function synth(secureWan = true) {
  const chart = Testing.chart();
  const cluster = new StrimziKafkaCluster(chart, 'kafka', { name: 'kafka', brokers: 3, layer: 'cloud', secureWan, external: { type: 'NodePort', host: '203.0.113.7' } });
  const topics = new StrimziKafkaTopics(chart, 'topics', {
    cluster,
    topics: [{ name: 'ddnn.cloud.requests', partitions: 4, retentionMs: 3_600_000 }, { name: 'ddnn.cloud.dead-letter' }, { name: 'ddnn.replies.device-0', partitions: 1 }],
  });
  return { chart, cluster, topics };
}
const objects = (chart: ReturnType<typeof Testing.chart>): Manifest[] => Testing.synth(chart);
const byKind = (os: Manifest[], kind: string) => os.filter((o) => o.kind === kind);

describe('StrimziKafkaCluster', () => {
  test('a KRaft Kafka with one node pool of controller+broker nodes, Kafka 3.9.1', () => {
    const { chart } = synth();
    const os = objects(chart);
    const [kafka] = byKind(os, 'Kafka');
    const [pool] = byKind(os, 'KafkaNodePool');
    expect(kafka.metadata.annotations).toEqual({ 'strimzi.io/node-pools': 'enabled', 'strimzi.io/kraft': 'enabled' });
    expect(kafka.spec.kafka).toMatchObject({ version: KAFKA_VERSION, metadataVersion: '3.9-IV0' });
    expect(kafka.spec.zookeeper).toBeUndefined();
    expect(pool.metadata.labels['strimzi.io/cluster']).toBe('kafka');
    expect(pool.spec).toMatchObject({ replicas: 3, roles: ['controller', 'broker'] });
    expect(pool.spec.storage.volumes[0]).toMatchObject({ type: 'persistent-claim', size: '10Gi', deleteClaim: false, kraftMetadata: 'shared' });
  });

  test('the same listeners as KafkaCluster: internal PLAINTEXT, WAN per broker on SCRAM-SHA-512 over TLS, ACLs on', () => {
    const { chart, cluster } = synth();
    const [kafka] = byKind(objects(chart), 'Kafka');
    const [internal, wan] = kafka.spec.kafka.listeners;
    expect(internal).toEqual({ name: 'internal', port: 9092, type: 'internal', tls: false, networkPolicyPeers: [{ podSelector: {} }] });
    expect(wan).toMatchObject({ name: 'wan', port: 9094, type: 'nodeport', tls: true, authentication: { type: 'scram-sha-512' } });
    expect(wan.configuration.brokers).toEqual([0, 1, 2].map((i) => ({ broker: i, advertisedHost: '203.0.113.7', advertisedPort: 30094 + i, nodePort: 30094 + i })));
    expect(kafka.spec.kafka.authorization).toEqual({ type: 'simple', superUsers: ['ANONYMOUS'] });
    expect(cluster.externalBootstrapServers).toBe('203.0.113.7:30094,203.0.113.7:30095,203.0.113.7:30096');
    expect(cluster.bootstrapServers).toBe('kafka-kafka-bootstrap:9092');
  });

  test('broker tuning comes from contracts/kafka/broker-settings.ts, less what Strimzi manages', () => {
    const { chart } = synth();
    const config = byKind(objects(chart), 'Kafka')[0].spec.kafka.config;
    expect(config).toMatchObject({ 'message.max.bytes': '8388608', 'min.insync.replicas': '2', 'default.replication.factor': '3', 'unclean.leader.election.enable': 'false', 'auto.create.topics.enable': 'false' });
    for (const key of Object.keys(config)) expect(key).not.toMatch(/^(listeners|advertised\.|listener\.|node\.id|process\.roles|controller\.|log\.dirs|broker\.|sasl\.|ssl\.)/);
    const all = brokerProperties({ nodeId: 0, coordination: 'kraft', clusterSize: 3, listeners: [{ name: 'I', bind: { host: 'h', port: 1 } }], controllerListener: { name: 'C', bind: { host: 'h', port: 2 } }, controllerQuorumVoters: ['0@h:2'], logDirs: '/x' });
    expect(Object.keys(config).length).toBeGreaterThan(10);
    expect(Object.keys(config).every((k) => k in all)).toBe(true);
  });

  test('a LoadBalancer WAN listener names the reserved static address of each broker and restricts sources', () => {
    const chart = Testing.chart();
    new StrimziKafkaCluster(chart, 'kafka', {
      name: 'kafka',
      brokers: 2,
      external: { type: 'LoadBalancer', hostPattern: 'kafka-{ordinal}.cloud.example.net', sourceRanges: ['192.0.2.0/24'], staticAddressNames: ['a0', 'a1'] },
    });
    const wan = byKind(objects(chart), 'Kafka')[0].spec.kafka.listeners[1];
    expect(wan).toMatchObject({ type: 'loadbalancer', configuration: { loadBalancerSourceRanges: ['192.0.2.0/24'], externalTrafficPolicy: 'Local' } });
    expect(wan.configuration.brokers[1]).toEqual({ broker: 1, advertisedHost: 'kafka-1.cloud.example.net', advertisedPort: 9094, annotations: { 'networking.gke.io/load-balancer-ip-addresses': 'a1' } });
  });

  test('quorum < brokers: a controller+broker pool, then a broker pool, node ids in that order', () => {
    const chart = Testing.chart();
    new StrimziKafkaCluster(chart, 'kafka', { name: 'kafka', brokers: 5, quorum: 3, wanSources: ['198.51.100.0/24'], external: { type: 'NodePort', host: 'h' } });
    const os = objects(chart);
    expect(byKind(os, 'KafkaNodePool').map((p) => [p.metadata.name, p.spec.replicas, p.spec.roles, p.metadata.annotations['strimzi.io/next-node-ids']])).toEqual([
      ['controllers', 3, ['controller', 'broker'], '[0-2]'],
      ['brokers', 2, ['broker'], '[3-4]'],
    ]);
    expect(byKind(os, 'Kafka')[0].spec.kafka.listeners[1].networkPolicyPeers).toEqual([{ ipBlock: { cidr: '198.51.100.0/24' } }]);
    expect(os.flatMap(schemaErrors)).toEqual([]);
    expect(() => new StrimziKafkaCluster(chart, 'k2', { brokers: 3, quorum: 2, external: { type: 'NodePort', host: 'h' } })).toThrow(/quorum \(2\) must be 1 or an odd number/);
  });
});

describe('StrimziKafkaTopics', () => {
  test('one KafkaTopic per declared topic, checked like KafkaTopics', () => {
    const { chart, topics } = synth();
    const ts = byKind(objects(chart), 'KafkaTopic');
    expect(ts.map((t) => t.metadata.name)).toEqual(['ddnn.cloud.requests', 'ddnn.cloud.dead-letter', 'ddnn.replies.device-0']);
    expect(ts[0].spec).toEqual({ topicName: 'ddnn.cloud.requests', partitions: 4, replicas: 3, config: { 'min.insync.replicas': '2', 'retention.ms': '3600000' } });
    expect(ts.every((t) => t.metadata.labels['strimzi.io/cluster'] === 'kafka')).toBe(true);
    expect(topics.topic('ddnn.cloud.requests').partitions).toBe(4);
    expect(() => new StrimziKafkaTopics(chart, 'bad', { cluster: topics.cluster, topics: [{ name: 't', replicationFactor: 4 }] })).toThrow(/replicationFactor \(4\) must be ≤ brokers \(3\)/);
  });

  test('a topic name that is no Kubernetes name gets a cleaned resource name with a hash', () => {
    expect(topicResourceName('Orders_EU')).toMatch(/^orders-eu-[0-9a-f]{8}$/);
    expect(topicResourceName('ddnn.replies')).toBe('ddnn.replies');
  });

  test('InferenceLayer runs on a Strimzi cluster through its topic catalog', () => {
    const { chart, topics } = synth(false);
    const layer = new InferenceLayer(chart, 'worker', {
      layer: 'cloud', image: 'registry.example/worker:1.0.0', modelLocation: 'https://m.example/cloud',
      topics, inputTopic: 'ddnn.cloud.requests', deadLetterTopic: 'ddnn.cloud.dead-letter', reply: { topic: 'ddnn.replies' }, devices: ['device-0'],
    });
    const d = objects(chart).find((o) => o.kind === 'Deployment' && o.metadata.name === layer.name)!;
    expect(envOf(d.spec.template.spec.containers[0]).DDNN_BROKERS).toBe('kafka-kafka-bootstrap:9092');
  });
});

describe('StrimziKafkaAccess', () => {
  test('one KafkaUser per SCRAM user: password from its Secret, its ACLs only', () => {
    const { chart, cluster } = synth();
    const access = new StrimziKafkaAccess(chart, 'access', {
      cluster,
      users: [{ name: 'device-0', secretName: 'devices' }, { name: 'ddnn-worker', secretName: 'wan-users' }],
      acls: [
        { user: 'device-0', resource: 'topic', name: 'ddnn.replies.device-0', operations: ['Read', 'Describe'] },
        { user: 'ddnn-worker', resource: 'topic', name: 'ddnn.replies.', pattern: 'prefixed', operations: ['Write'] },
      ],
    });
    const users = byKind(objects(chart), 'KafkaUser');
    expect(users.map((u) => u.metadata.name)).toEqual(['device-0', 'ddnn-worker']);
    expect(users[0].spec.authentication).toEqual({ type: 'scram-sha-512', password: { valueFrom: { secretKeyRef: { name: 'devices', key: 'device-0' } } } });
    expect(users[0].spec.authorization.acls).toEqual([{ resource: { type: 'topic', name: 'ddnn.replies.device-0', patternType: 'literal' }, operations: ['Read', 'Describe'] }]);
    expect(users[1].spec.authorization.acls[0].resource.patternType).toBe('prefix');
    expect(access.secrets).toEqual([{ name: 'devices', keys: ['device-0'] }, { name: 'wan-users', keys: ['ddnn-worker'] }]);
  });

  test('refuses a cluster without a secured WAN listener and user names Strimzi cannot use', () => {
    const { chart, cluster } = synth(false);
    expect(() => new StrimziKafkaAccess(chart, 'a', { cluster, users: [{ name: 'u', secretName: 's' }], acls: [] })).toThrow(/secureWan must be set/);
    const secured = synth().cluster;
    expect(() => new StrimziKafkaAccess(secured, 'b', { cluster: secured, users: [{ name: 'Device_0', secretName: 's' }], acls: [] })).toThrow(/must be a lower-case Kubernetes name/);
  });
});

describe('StrimziMirrorMaker2', () => {
  test('pulls topics from a secured source into its Connect cluster with the shared MM2 settings', () => {
    const { chart, cluster, topics } = synth();
    const mm = new StrimziMirrorMaker2(chart, 'mm2', {
      name: 'mirror-maker2-edge-to-cloud',
      targetAlias: 'cloud',
      target: cluster,
      targetTopics: topics,
      sources: [
        {
          alias: 'edge',
          bootstrapServers: '198.51.100.7:30094',
          brokers: 1,
          topics: ['ddnn.cloud.requests'],
          security: { credentialsSecretName: 'kafka-edge-mirror-maker', caSecretName: 'kafka-edge-ca', username: 'ddnn-mirror-maker' },
        },
      ],
    });
    const [mm2] = byKind(objects(chart), 'KafkaMirrorMaker2');
    expect(mm2.spec).toMatchObject({ version: KAFKA_VERSION, connectCluster: 'cloud', replicas: 1 });
    const [target, source] = mm2.spec.clusters;
    expect(target).toMatchObject({ alias: 'cloud', bootstrapServers: 'kafka-kafka-bootstrap:9092', config: { 'producer.linger.ms': '0', 'producer.acks': 'all', 'config.storage.replication.factor': '1' } });
    expect(source).toEqual({
      alias: 'edge',
      bootstrapServers: '198.51.100.7:30094',
      tls: { trustedCertificates: [{ secretName: 'kafka-edge-ca', certificate: 'ca.crt' }] },
      authentication: { type: 'scram-sha-512', username: 'ddnn-mirror-maker', passwordSecret: { secretName: 'kafka-edge-mirror-maker', password: 'password' } },
    });
    const [mirror] = mm2.spec.mirrors;
    expect(mirror).toMatchObject({ sourceCluster: 'edge', targetCluster: 'cloud', topicsPattern: 'ddnn\\.cloud\\.requests', sourceConnector: { tasksMax: 4 } });
    expect(mirror.sourceConnector.config).toMatchObject({
      'replication.policy.class': 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy',
      'refresh.topics.interval.seconds': '5',
      'sync.topic.acls.enabled': 'false',
      'consumer.fetch.max.wait.ms': mm.properties['edge.consumer.fetch.max.wait.ms'],
    });
  });

  test('a secured source needs the user name, which Strimzi takes literally', () => {
    const { chart, cluster } = synth();
    expect(
      () =>
        new StrimziMirrorMaker2(chart, 'mm2', {
          targetAlias: 'cloud',
          target: cluster,
          sources: [{ alias: 'edge', bootstrapServers: 'e:1', brokers: 1, topics: ['t'], security: { credentialsSecretName: 'c', caSecretName: 'ca' } }],
        }),
    ).toThrow(/security.username is required/);
  });
});

test('every Strimzi resource is valid against Strimzi 0.47.0 CRD schemas (made strict)', () => {
  const { chart, cluster, topics } = synth();
  new StrimziKafkaAccess(chart, 'access', { cluster, users: [{ name: 'device-0', secretName: 'devices' }], acls: [{ user: 'device-0', resource: 'group', name: 'ddnn-device.device-0.', pattern: 'prefixed', operations: ['Read'] }] });
  new StrimziMirrorMaker2(chart, 'mm2', { targetAlias: 'cloud', target: cluster, targetTopics: topics, sources: [{ alias: 'edge', bootstrapServers: 'e:30094', brokers: 1, topics: ['ddnn.replies.device-0'] }] });
  const os = objects(chart);
  expect(new Set(os.map((o) => o.kind))).toEqual(new Set(['Kafka', 'KafkaNodePool', 'KafkaTopic', 'KafkaUser', 'KafkaMirrorMaker2']));
  expect(os.flatMap(schemaErrors)).toEqual([]);
  // The strict schemas do catch a misspelt field.
  const [kafka] = byKind(os, 'Kafka');
  expect(schemaErrors({ ...kafka, spec: { ...kafka.spec, kafka: { ...kafka.spec.kafka, listener: [] } } }).join()).toMatch(/\/spec\/kafka must NOT have additional properties/);
});

test('STRIMZI_VERSION names the CRD file the resources are generated from, and its header records the source tag', () => {
  const file = path.join(__dirname, `../../constructs/imports/strimzi/crds-${STRIMZI_VERSION}.yaml`);
  expect(fs.readFileSync(file, 'utf8').split('\n').slice(0, 4).join('\n')).toMatch(new RegExp(`at tag ${STRIMZI_VERSION.replace(/\./g, '\\.')}`));
});
