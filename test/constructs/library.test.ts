/** The constructs as a library: entry point, names derived from ids, escape hatches, existing clusters. */
import { JsonPatch, Testing } from 'cdk8s';
import * as lib from '../../constructs';
import { InferenceLayer, KafkaAccess, KafkaCluster, KafkaTopics, LayerNetworkPolicies, MirrorMaker2 } from '../../constructs';
import { type Manifest, envOf, referenceProblems, schemaErrors } from './manifest-checks';

const external = { type: 'NodePort' as const, host: '192.0.2.10' };
const names = (objects: Manifest[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);

describe('constructs/index.ts', () => {
  test('exports every construct and the reference type helpers', () => {
    for (const c of ['KafkaCluster', 'ZooKeeperEnsemble', 'KafkaTopics', 'KafkaAccess', 'MirrorMaker2', 'InferenceLayer', 'LayerNetworkPolicies', 'ContinuumFederation', 'LagAutoscaler', 'WorkerMonitor', 'BrokerMetrics', 'AlertRules', 'LayerDashboard'])
      expect(typeof (lib as Record<string, unknown>)[c]).toBe('function');
  });
});

describe('physical names', () => {
  test('derive from construct ids: two clusters (with ZooKeeper), topics, workers and policies share a namespace', () => {
    const chart = Testing.chart();
    for (const id of ['orders', 'telemetry']) {
      const cluster = new KafkaCluster(chart, id, { brokers: 1, coordination: 'zookeeper', external });
      const topics = new KafkaTopics(chart, `${id}-topics`, { cluster, topics: [{ name: 'in' }, { name: 'in.dlq' }, { name: 'out' }] });
      const worker = new InferenceLayer(chart, `${id}-worker`, {
        layer: 'edge', image: 'registry.example/worker:1.0.0', modelLocation: 'https://m.example/edge',
        topics, inputTopic: 'in', deadLetterTopic: 'in.dlq', reply: { topic: 'out' },
      });
      new LayerNetworkPolicies(chart, `${id}-policies`, { kafka: cluster, wanSources: ['192.0.2.0/24'], workerSelectors: [worker.selector] });
    }
    const objects: Manifest[] = Testing.synth(chart);
    expect(new Set(names(objects)).size).toBe(objects.length);
    expect(names(objects)).toEqual(expect.arrayContaining([expect.stringMatching(/^StatefulSet\/test-orders-[0-9a-f]{8}$/), expect.stringMatching(/^StatefulSet\/test-telemetry-[0-9a-f]{8}-zookeeper$/)]));
    expect(objects.flatMap(schemaErrors)).toEqual([]);
    expect(referenceProblems(objects)).toEqual([]);
  });

  test('a name given in the props wins, and is checked', () => {
    const chart = Testing.chart();
    expect(new KafkaCluster(chart, 'a', { name: 'kafka', external }).name).toBe('kafka');
    expect(() => new KafkaCluster(chart, 'b', { name: 'Kafka_1', external })).toThrow(/name \(Kafka_1\) must be a DNS label/);
  });
});

describe('escape hatches', () => {
  test('the underlying objects are exposed and can be patched', () => {
    const chart = Testing.chart();
    const kafka = new KafkaCluster(chart, 'kafka', { brokers: 3, external });
    kafka.statefulSet.addJsonPatch(JsonPatch.add('/spec/template/spec/priorityClassName', 'kafka-critical'));
    kafka.headlessService.metadata.addAnnotation('example.com/owner', 'team-a');
    expect(kafka.externalServices).toHaveLength(3);
    expect([kafka.configMap, kafka.clientService, kafka.podDisruptionBudget].every(Boolean)).toBe(true);
    const objects: Manifest[] = Testing.synth(chart);
    expect(objects.find((o) => o.kind === 'StatefulSet')!.spec.template.spec.priorityClassName).toBe('kafka-critical');
    expect(objects.find((o) => o.metadata.name === kafka.headlessService.name)!.metadata.annotations).toEqual({ 'example.com/owner': 'team-a' });
  });
});

describe('an existing cluster (bootstrap servers + security)', () => {
  const existing = KafkaCluster.fromExisting({
    name: 'strimzi',
    bootstrapServers: 'my-cluster-kafka-bootstrap.kafka.svc:9093',
    brokers: 3,
    clientSecurity: { credentialsSecretName: 'ddnn-admin', caSecretName: 'my-cluster-cluster-ca-cert' },
  });

  test('is checked where it enters', () => {
    expect(() => KafkaCluster.fromExisting({ name: 'x', bootstrapServers: 'no-port', brokers: 1 })).toThrow(/bootstrapServers \(no-port\) must be host:port/);
    expect(() => KafkaCluster.fromExisting({ name: 'x', bootstrapServers: 'h:9092', brokers: 0 })).toThrow(/brokers \(0\) must be an integer ≥ 1/);
  });

  test('KafkaTopics and KafkaAccess log in with its credentials and trust its CA', () => {
    const chart = Testing.chart();
    const topics = new KafkaTopics(chart, 'topics', { cluster: existing, topics: [{ name: 'requests', partitions: 3 }] });
    new KafkaAccess(chart, 'access', { cluster: existing, users: [{ name: 'device-0', secretName: 'devices' }], acls: [{ user: 'device-0', resource: 'topic', name: 'requests', operations: ['Write'] }] });
    const objects: Manifest[] = Testing.synth(chart);
    const jobs = objects.filter((o) => o.kind === 'Job');
    expect(jobs.map((j) => j.metadata.name)).toEqual([expect.stringMatching(/^strimzi-topics-/), expect.stringMatching(/^strimzi-access-/)]);
    for (const job of jobs) {
      const c = job.spec.template.spec.containers[0];
      expect(envOf(c).BOOTSTRAP).toBe(existing.bootstrapServers);
      expect(c.env).toContainEqual({ name: 'KAFKA_CLIENT_PASSWORD', valueFrom: { secretKeyRef: { name: 'ddnn-admin', key: 'password' } } });
      const script: string = c.command[2];
      expect(script).toContain('security.protocol=SASL_SSL');
      expect(script).toContain('password="${env:KAFKA_CLIENT_PASSWORD}"');
      // Every admin tool call carries the client config; no password is written into the manifest.
      expect(script.match(/--bootstrap-server "\$BOOTSTRAP"(?! --command-config)/g)).toBeNull();
    }
    expect(topics.topic('requests').replicationFactor).toBe(3);
    expect(objects.flatMap(schemaErrors)).toEqual([]);
    expect(referenceProblems(objects, ['ddnn-admin', 'my-cluster-cluster-ca-cert', 'devices'])).toEqual([]);
  });

  test('MirrorMaker 2 writes into it with its login', () => {
    const chart = Testing.chart();
    const mm2 = new MirrorMaker2(chart, 'mm2', {
      targetAlias: 'cloud',
      target: existing,
      tasksMax: 2,
      sources: [{ alias: 'edge', bootstrapServers: 'edge.example:30094', brokers: 1, topics: ['features'] }],
    });
    expect(mm2.properties).toMatchObject({
      'cloud.bootstrap.servers': existing.bootstrapServers,
      'cloud.security.protocol': 'SASL_SSL',
      'cloud.ssl.truststore.location': '/etc/mm2/ca/cloud/ca.crt',
      'tasks.max': '2',
    });
    expect(mm2.properties['edge.security.protocol']).toBeUndefined();
    const objects: Manifest[] = Testing.synth(chart);
    expect(objects.flatMap(schemaErrors)).toEqual([]);
    expect(referenceProblems(objects, ['ddnn-admin', 'my-cluster-cluster-ca-cert'])).toEqual([]);
  });
});

describe('workers on an existing secured cluster', () => {
  const existing = KafkaCluster.fromExisting({
    name: 'managed',
    bootstrapServers: 'b-1.kafka.example.net:9096',
    brokers: 3,
    clientSecurity: { credentialsSecretName: 'ddnn-worker-login', caSecretName: 'managed-ca' },
  });
  const worker = (extra: Partial<ConstructorParameters<typeof InferenceLayer>[2]> = {}) => {
    const chart = Testing.chart();
    const topics = new KafkaTopics(chart, 'topics', { cluster: existing, topics: [{ name: 'in', partitions: 2 }, { name: 'in.dlq' }, { name: 'out' }] });
    new InferenceLayer(chart, 'worker', {
      layer: 'edge', image: 'registry.example/worker:1.0.0', modelLocation: 'https://m.example/edge',
      topics, inputTopic: 'in', deadLetterTopic: 'in.dlq', reply: { topic: 'out' }, ...extra,
    });
    return Testing.synth(chart).find((o: Manifest) => o.kind === 'Deployment')!;
  };

  test('log in to it with its credentials and CA (DDNN_KAFKA_SECURITY_SCOPE=all)', () => {
    const c = worker().spec.template.spec.containers[0];
    expect(envOf(c)).toMatchObject({ DDNN_BROKERS: existing.bootstrapServers, DDNN_KAFKA_SECURITY_SCOPE: 'all', DDNN_KAFKA_SASL_MECHANISM: 'scram-sha-512', DDNN_KAFKA_TLS_CA_FILE: '/etc/ddnn/kafka-ca/ca.crt' });
    expect(c.env).toContainEqual({ name: 'DDNN_KAFKA_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: 'ddnn-worker-login', key: 'password' } } });
  });

  test('refuse a remote cluster that needs a second login', () => {
    expect(() => worker({ next: { topic: 'features', bootstrapServers: 'cloud.example:9094', security: { credentialsSecretName: 'cloud', caSecretName: 'cloud-ca' } } })).toThrow(
      /its own cluster \(b-1.kafka.example.net:9096\) is secured and cloud.example:9094 needs another login, but the worker has one login/,
    );
  });
});
