import { Chart, Testing } from 'cdk8s';
import { WORKER_DEFAULTS, WORKER_HTTP } from '../../contracts/worker-env';
import { InferenceLayer } from '../../constructs/k8s/inference-layer';
import { WORKER_ENV, parseWorkerConfig, workerConfigFromEnv } from '../../runtime/worker/config';
import { clusterWithTopics, find } from './fixtures';
import { type Manifest, envOf, referenceProblems, schemaErrors, snapshotView } from './manifest-checks';

const TOPICS = [
  { name: 'ddnn.edge.requests', partitions: 4 },
  { name: 'ddnn.edge.dead-letter' },
  { name: 'ddnn.cloud.requests', partitions: 4 },
  { name: 'ddnn.replies', partitions: 4 },
];

function synth(extra: Partial<ConstructorParameters<typeof InferenceLayer>[2]> = {}) {
  const { chart, topics } = clusterWithTopics(TOPICS);
  const layer = new InferenceLayer(chart, 'edge', {
    name: 'ddnn-worker',
    layer: 'edge',
    image: 'registry.example/ddnn/worker:0.1.0',
    modelLocation: 'https://models.example/edge',
    topics,
    inputTopic: 'ddnn.edge.requests',
    deadLetterTopic: 'ddnn.edge.dead-letter',
    next: { topic: 'ddnn.cloud.requests' },
    reply: { topic: 'ddnn.replies' },
    replicas: 2,
    threshold: 0.7,
    ...extra,
  });
  const objects: Manifest[] = Testing.synth(chart);
  return { layer, objects, deployment: find(objects, 'Deployment', 'ddnn-worker') };
}

describe('InferenceLayer', () => {
  test('wires the sub-model, topics, threshold and brokers through the worker\'s DDNN_* variables', () => {
    const { deployment } = synth();
    const env = envOf(deployment.spec.template.spec.containers[0]);
    expect(env).toMatchObject({
      [WORKER_ENV.model]: 'https://models.example/edge',
      [WORKER_ENV.inputTopic]: 'ddnn.edge.requests',
      [WORKER_ENV.nextTopic]: 'ddnn.cloud.requests',
      [WORKER_ENV.dlqTopic]: 'ddnn.edge.dead-letter',
      [WORKER_ENV.threshold]: '0.7',
      [WORKER_ENV.groupId]: 'ddnn.edge.workers',
      [WORKER_ENV.replyTopicPattern]: '^ddnn\\.replies$',
    });
    expect(env[WORKER_ENV.brokers]).toContain('kafka-0.kafka-headless:9092');
    expect(env[WORKER_ENV.nextBrokers]).toBe(env[WORKER_ENV.brokers]);
  });

  test('the synthesized env is a configuration the worker accepts', () => {
    const { deployment } = synth();
    const config = parseWorkerConfig(workerConfigFromEnv(envOf(deployment.spec.template.spec.containers[0])));
    expect(config).toMatchObject({ inputTopic: 'ddnn.edge.requests', threshold: 0.7, httpPort: WORKER_HTTP.port, batchMaxSize: 16 });
    expect(new RegExp(config.replyTopicPattern).test('ddnn.replies')).toBe(true);
    expect(new RegExp(config.replyTopicPattern).test('ddnn.other')).toBe(false);
  });

  test('probes the worker\'s health endpoints and exposes metrics through a Service', () => {
    const { deployment, objects } = synth();
    const c = deployment.spec.template.spec.containers[0];
    expect(c.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 8080 });
    expect(c.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 8080 });
    expect(c.startupProbe.httpGet.path).toBe('/healthz');
    const svc = find(objects, 'Service', 'ddnn-worker-metrics');
    expect(svc.metadata.annotations['prometheus.io/path']).toBe('/metrics');
    expect(svc.spec.selector).toEqual({ 'app.kubernetes.io/name': 'ddnn-worker', 'app.kubernetes.io/component': 'inference-worker' });
  });

  test('runs restricted: non-root, read-only root, no capabilities, writable /tmp only', () => {
    const { deployment } = synth();
    const pod = deployment.spec.template.spec;
    const c = pod.containers[0];
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(c.resources).toEqual({ requests: { cpu: '1000m', memory: '2048Mi' }, limits: { memory: '2048Mi' } });
  });

  test('replicas are tied to partitions', () => {
    expect(synth({ replicas: 4 }).deployment.spec.replicas).toBe(4);
    expect(() => synth({ replicas: 5 })).toThrow('InferenceLayer edge: replicas (5) must be ≤ partitions of ddnn.edge.requests (4)');
  });

  test('refuses topics the cluster does not declare, and unpinned images', () => {
    expect(() => synth({ inputTopic: 'nope' })).toThrow(/topic "nope" is not declared/);
    expect(() => synth({ next: { topic: 'nope' } })).toThrow(/topic "nope" is not declared/);
    expect(() => synth({ image: 'worker' })).toThrow(/must be pinned/);
    expect(() => synth({ image: 'worker:latest' })).toThrow(/must not use :latest/);
  });

  test('a remote next layer gets its bootstrap servers and SCRAM-SHA-512 credentials from Secrets', () => {
    const { deployment, objects } = synth({
      next: { topic: 'ddnn.cloud.requests', bootstrapServers: 'kafka-0.cloud.example:9094', security: { credentialsSecretName: 'cloud-client', caSecretName: 'cloud-ca' } },
    });
    const c = deployment.spec.template.spec.containers[0];
    expect(envOf(c)[WORKER_ENV.nextBrokers]).toBe('kafka-0.cloud.example:9094');
    expect(envOf(c)[WORKER_ENV.kafkaSaslMechanism]).toBe('scram-sha-512');
    expect(c.env).toContainEqual({ name: WORKER_ENV.kafkaSaslUsername, valueFrom: { secretKeyRef: { name: 'cloud-client', key: 'username' } } });
    expect(c.env).toContainEqual({ name: WORKER_ENV.kafkaSaslPassword, valueFrom: { secretKeyRef: { name: 'cloud-client', key: 'password' } } });
    expect(c.volumeMounts).toContainEqual({ name: 'kafka-ca', mountPath: '/etc/ddnn/kafka-ca', readOnly: true });
    expect(referenceProblems(objects, ['cloud-client', 'cloud-ca'])).toEqual([]);
    expect(referenceProblems(objects).join()).toMatch(/undeclared Secret cloud-client/);
  });

  test('refuses next and reply on two different remote clusters: the worker has one remote login', () => {
    const cloud = { bootstrapServers: 'kafka-0.cloud.example:9094', security: { credentialsSecretName: 'cloud-client', caSecretName: 'cloud-ca' } };
    const edge = { bootstrapServers: 'kafka-0.edge.example:30094', security: { credentialsSecretName: 'edge-client', caSecretName: 'edge-ca' } };
    expect(() => synth({ next: { topic: 'ddnn.cloud.requests', ...cloud }, reply: { topic: 'ddnn.replies', ...edge } })).toThrow(
      /next \(kafka-0.cloud.example:9094\) and reply \(kafka-0.edge.example:30094\) are two remote clusters/,
    );
    // One remote cluster for both is fine: its one login serves both.
    const { deployment } = synth({ next: { topic: 'ddnn.cloud.requests', ...cloud }, reply: { topic: 'ddnn.replies', ...cloud } });
    expect(envOf(deployment.spec.template.spec.containers[0])[WORKER_ENV.kafkaTlsCaFile]).toBe('/etc/ddnn/kafka-ca/ca.crt');
  });

  test("batching defaults to the worker's own: a lone request waits 0 ms", () => {
    const { deployment } = synth({ batch: undefined });
    const env = envOf(deployment.spec.template.spec.containers[0]);
    expect([env[WORKER_ENV.batchMaxSize], env[WORKER_ENV.batchMaxWaitMs]]).toEqual([String(WORKER_DEFAULTS.batchMaxSize), '0']);
    expect(WORKER_DEFAULTS.batchMaxWaitMs).toBe(0);
  });

  test('spreads replicas over nodes and zones once each, preferred, however often the chart is synthesized', () => {
    const { layer, objects } = synth();
    layer.deploymentManifest();
    Testing.synth(Chart.of(layer));
    const again = Testing.synth(Chart.of(layer)).find((o: Manifest) => o.kind === 'Deployment')!;
    for (const d of [find(objects, 'Deployment', 'ddnn-worker'), again, layer.deploymentManifest()]) {
      const anti = d.spec.template.spec.affinity.podAntiAffinity;
      expect(anti.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
      const terms = anti.preferredDuringSchedulingIgnoredDuringExecution;
      expect(terms.map((t: Manifest) => [t.weight, t.podAffinityTerm.topologyKey])).toEqual([
        [100, 'kubernetes.io/hostname'],
        [50, 'topology.kubernetes.io/zone'],
      ]);
    }
  });

  test('per-device reply topics: a request may name only a declared device\'s topic', () => {
    const { chart, topics } = clusterWithTopics([...TOPICS, { name: 'ddnn.replies.device-0' }, { name: 'ddnn.replies.device-1' }]);
    const layer = new InferenceLayer(chart, 'edge', {
      name: 'ddnn-worker',
      layer: 'edge',
      image: 'registry.example/ddnn/worker:0.1.0',
      modelLocation: 'https://models.example/edge',
      topics,
      inputTopic: 'ddnn.edge.requests',
      deadLetterTopic: 'ddnn.edge.dead-letter',
      reply: { topic: 'ddnn.replies' },
      devices: ['device-0', 'device-1'],
    });
    const env = envOf(find(Testing.synth(chart), 'Deployment', 'ddnn-worker').spec.template.spec.containers[0]);
    const pattern = new RegExp(env[WORKER_ENV.replyTopicPattern]);
    expect(['ddnn.replies.device-0', 'ddnn.replies.device-1'].every((t) => pattern.test(t))).toBe(true);
    for (const t of ['ddnn.replies', 'ddnn.replies.device-10', 'ddnn.replies.device-0x', 'ddnnXreplies.device-0']) expect(pattern.test(t)).toBe(false);
    expect(layer.topicUses.filter((u) => u.role === 'reply').map((u) => u.topic)).toEqual(['ddnn.replies.device-0', 'ddnn.replies.device-1']);
    expect(() => synth({ devices: ['device-9'] })).toThrow(/topic "ddnn.replies.device-9" is not declared/);
  });

  test('a model on a PersistentVolumeClaim is mounted read-only and read by path', () => {
    const { deployment } = synth({ modelLocation: 'pvc://ddnn-models/compact/edge-cloud/edge' });
    const pod = deployment.spec.template.spec;
    expect(envOf(pod.containers[0])[WORKER_ENV.model]).toBe('/models/compact/edge-cloud/edge');
    expect(pod.volumes).toContainEqual({ name: 'models', persistentVolumeClaim: { claimName: 'ddnn-models', readOnly: true } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'models', mountPath: '/models', readOnly: true });
    expect(() => synth({ modelLocation: 'pvc://Bad_Claim' })).toThrow(/must be pvc:\/\/<claim>\/<path>/);
  });

  test('federated: the Deployment leaves the chart but stays available as a manifest', () => {
    const { layer, objects } = synth({ federated: true });
    expect(objects.some((o) => o.kind === 'Deployment')).toBe(false);
    expect(layer.deploymentManifest()).toMatchObject({ kind: 'Deployment', spec: { replicas: 2 } });
  });

  test('every object is valid against the Kubernetes schema, and matches the snapshot', () => {
    const { objects } = synth();
    expect(objects.flatMap(schemaErrors)).toEqual([]);
    expect(snapshotView(objects.filter((o) => o.metadata.name.startsWith('ddnn-worker')))).toMatchSnapshot();
  });
});
