/**
 * Operations as code (README "Operating it"): the KEDA, Prometheus Operator and Grafana objects, validated against
 * the real CRDs (test/constructs/crds) and cross-referenced with the plan, the worker pods and the metric names the
 * workers (runtime/worker/metrics.ts) and the JMX exporter rules really produce.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { DASHBOARD_PANELS, panelMetricNames, promql } from '../../contracts/dashboard-panels';
import { OPERATIONS } from '../../contracts/versions';
import { WORKER_HTTP } from '../../contracts/worker-env';
import { buildContinuum } from '../../constructs/continuum';
import { AlertRules } from '../../constructs/k8s/alert-rules';
import { BrokerMetrics, JMX_EXPORTER_RULES, type JmxRule, JMX_PORT_NAME } from '../../constructs/k8s/broker-metrics';
import { LayerDashboard } from '../../constructs/k8s/dashboard';
import { InferenceLayer } from '../../constructs/k8s/inference-layer';
import { KafkaCluster } from '../../constructs/k8s/kafka-cluster';
import { KafkaTopics } from '../../constructs/k8s/kafka-topics';
import { LagAutoscaler } from '../../constructs/k8s/lag-autoscaler';
import { WorkerMonitor } from '../../constructs/k8s/worker-monitor';
import { InvalidEnvironmentError, parseEnvironment, planContinuum } from '../../environments';
import { paperHa } from '../../environments/paper-ha';
import { createWorkerMetrics } from '../../runtime/worker/metrics';
import { OPERATIONS_CRD_DIR, OPERATIONS_CRD_FILES } from './crd-schemas';
import { clusterWithTopics, find } from './fixtures';
import { type Manifest, containersOf, envOf, referenceProblems, schemaErrors, topicsCreated } from './manifest-checks';

const TOPICS = [{ name: 'in', partitions: 4 }, { name: 'in.dlq' }, { name: 'out' }];
const worker = (chart: ReturnType<typeof Testing.chart>, topics: KafkaTopics, extra: Partial<ConstructorParameters<typeof InferenceLayer>[2]> = {}) =>
  new InferenceLayer(chart, 'worker', {
    name: 'ddnn-worker',
    layer: 'edge',
    image: 'registry.example/worker:1.0.0',
    modelLocation: 'https://m.example/edge',
    topics,
    inputTopic: 'in',
    deadLetterTopic: 'in.dlq',
    reply: { topic: 'out' },
    autoscaled: true,
    ...extra,
  });

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Metric families the worker registers, with a histogram's _bucket/_sum/_count series. */
function workerSeries(): Set<string> {
  const m = createWorkerMetrics('edge', { processMetrics: false });
  const names = new Set<string>();
  for (const metric of (m.registry as unknown as { getMetricsAsArray(): { name: string; type: string }[] }).getMetricsAsArray()) {
    names.add(metric.name);
    if (metric.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(metric.name + s);
  }
  return names;
}

/** What jmx_exporter does with one MBean attribute: first matching rule, $n substituted, lowercased, sanitized. */
function jmxName(mbean: string, rules: readonly JmxRule[] = JMX_EXPORTER_RULES): string | undefined {
  for (const r of rules) {
    const m = new RegExp(`^${r.pattern}$`).exec(mbean);
    if (!m) continue;
    return r.name
      .replace(/\$(\d+)/g, (_, i) => m[Number(i)])
      .toLowerCase()
      .replace(/[^a-z0-9_:]/g, '_')
      .replace(/_+/g, '_');
  }
  return undefined;
}

/** Broker and MirrorMaker 2 attributes as jmx_exporter names them (Kafka 3.9's MBeans), and the series they become. */
const KAFKA_MBEANS = [
  'kafka.server<type=ReplicaManager, name=UnderReplicatedPartitions><>Value',
  'kafka.server<type=BrokerTopicMetrics, name=BytesInPerSec, topic=ddnn.requests><>Count',
  'kafka.server<type=BrokerTopicMetrics, name=MessagesInPerSec><>Count',
  'kafka.network<type=RequestMetrics, name=RequestsPerSec, request=Produce, version=9><>Count',
  'kafka.network<type=RequestMetrics, name=TotalTimeMs, request=Produce><>99thPercentile',
  'kafka.server<type=KafkaRequestHandlerPool, name=RequestHandlerAvgIdlePercent><>MeanRate',
  'kafka.controller<type=KafkaController, name=OfflinePartitionsCount><>Value',
  'kafka.connect.mirror<type=MirrorSourceConnector, target=cloud, topic=edge.ddnn.features, partition=0><>replication-latency-ms-max',
  'kafka.connect.mirror<type=MirrorSourceConnector, target=cloud, topic=edge.ddnn.features, partition=0><>byte-rate',
];
const JMX_SERIES = new Set(KAFKA_MBEANS.map((b) => jmxName(b)!));
/** kube-state-metrics, installed with the Prometheus Operator's usual stack (kube-prometheus-stack). */
const KUBE_STATE_SERIES = new Set(['kube_deployment_status_replicas_ready']);
const namesIn = (expr: string) => [...expr.matchAll(/\b(?:ddnn|kafka|kube)_[a-z0-9_]+/g)].map((m) => m[0]);

describe('LagAutoscaler', () => {
  test('scales the worker Deployment on its group\'s lag on its input topic, between 1 and the partitions', () => {
    const { chart, topics } = clusterWithTopics(TOPICS);
    const w = worker(chart, topics);
    new LagAutoscaler(chart, 'scaler', { worker: w, lagThreshold: 50 });
    const objects: Manifest[] = Testing.synth(chart);
    const so = find(objects, 'ScaledObject');
    expect(so.spec).toMatchObject({ scaleTargetRef: { kind: 'Deployment', name: 'ddnn-worker' }, minReplicaCount: 1, maxReplicaCount: 4 });
    const env = envOf(containersOf(find(objects, 'Deployment', 'ddnn-worker'))[0]);
    expect(so.spec.triggers).toEqual([
      expect.objectContaining({
        type: 'kafka',
        metadata: expect.objectContaining({ bootstrapServers: env.DDNN_BROKERS, consumerGroup: env.DDNN_GROUP_ID, topic: env.DDNN_INPUT_TOPIC, lagThreshold: '50' }),
      }),
    ]);
    // The Deployment leaves the count to KEDA: re-applying the manifests does not reset it.
    expect(find(objects, 'Deployment', 'ddnn-worker').spec.replicas).toBeUndefined();
    expect(objects.find((o) => o.kind === 'TriggerAuthentication')).toBeUndefined();
    expect(objects.flatMap(schemaErrors)).toEqual([]);
  });

  test('a secured cluster: a TriggerAuthentication reads the Secrets the worker logs in with', () => {
    const chart = Testing.chart();
    const cluster = KafkaCluster.fromExisting({
      name: 'kafka',
      bootstrapServers: 'kafka.example:9093',
      brokers: 3,
      clientSecurity: { credentialsSecretName: 'kafka-login', caSecretName: 'kafka-ca' },
    });
    const topics = new KafkaTopics(chart, 'topics', { cluster, topics: TOPICS });
    const w = worker(chart, topics);
    new LagAutoscaler(chart, 'scaler', { worker: w, lagThreshold: 10 });
    const objects: Manifest[] = Testing.synth(chart);
    const auth = find(objects, 'TriggerAuthentication');
    const workerSecrets = new Set(
      [...containersOf(find(objects, 'Deployment', 'ddnn-worker')).flatMap((c) => (c.env ?? []).map((e: Manifest) => e.valueFrom?.secretKeyRef?.name)), ...find(objects, 'Deployment', 'ddnn-worker').spec.template.spec.volumes.map((v: Manifest) => v.secret?.secretName)].filter(Boolean),
    );
    expect(auth.spec.secretTargetRef.map((r: Manifest) => r.parameter).sort()).toEqual(['ca', 'password', 'username']);
    for (const r of auth.spec.secretTargetRef) expect(workerSecrets).toContain(r.name);
    const trigger = find(objects, 'ScaledObject').spec.triggers[0];
    expect(trigger.authenticationRef).toEqual({ name: auth.metadata.name });
    expect(trigger.metadata).toMatchObject({ sasl: 'scram_sha512', tls: 'enable' });
    expect(objects.flatMap(schemaErrors)).toEqual([]);
  });

  test('refuses maxReplicas above the partitions, minReplicas below 1, and a Deployment that sets its own replicas', () => {
    const { chart, topics } = clusterWithTopics(TOPICS);
    const w = worker(chart, topics);
    expect(() => new LagAutoscaler(chart, 'a', { worker: w, lagThreshold: 5, maxReplicas: 5 })).toThrow(/maxReplicas \(5\) must be an integer ≤ partitions of in \(4\)/);
    expect(() => new LagAutoscaler(chart, 'b', { worker: w, lagThreshold: 5, minReplicas: 0 })).toThrow(/minReplicas \(0\) must be an integer ≥ 1/);
    expect(() => new LagAutoscaler(chart, 'c', { worker: w, lagThreshold: 0 })).toThrow(/lagThreshold \(0\)/);
    const fixed = worker(clusterWithTopics(TOPICS).chart, clusterWithTopics(TOPICS).topics, { autoscaled: false });
    expect(() => new LagAutoscaler(chart, 'd', { worker: fixed, lagThreshold: 5 })).toThrow(/autoscaled: true/);
  });
});

describe('WorkerMonitor and BrokerMetrics', () => {
  test('the PodMonitor selects the worker pods on the port and path serving /metrics', () => {
    const { chart, topics } = clusterWithTopics(TOPICS);
    const w = worker(chart, topics);
    new WorkerMonitor(chart, 'monitor', { worker: w, labels: { release: 'prom' } });
    const objects: Manifest[] = Testing.synth(chart);
    const pm = find(objects, 'PodMonitor');
    const d = find(objects, 'Deployment', 'ddnn-worker');
    expect(matches(pm.spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
    expect(pm.metadata.labels.release).toBe('prom');
    const ep = pm.spec.podMetricsEndpoints[0];
    expect(ep.path).toBe(WORKER_HTTP.metrics);
    expect(d.spec.template.spec.containers[0].ports).toContainEqual(expect.objectContaining({ name: ep.port, containerPort: WORKER_HTTP.port }));
    expect(objects.flatMap(schemaErrors)).toEqual([]);
  });

  test('the brokers run the JMX exporter agent (fetched and checked by an init container) with the rules ConfigMap', () => {
    const { chart, cluster } = clusterWithTopics(TOPICS);
    new BrokerMetrics(chart, 'jmx', { targets: [{ workload: cluster.statefulSet, container: 'kafka' }], configMapName: 'kafka-jmx-exporter' });
    const objects: Manifest[] = Testing.synth(chart);
    const sts = find(objects, 'StatefulSet', 'kafka');
    const pod = sts.spec.template.spec;
    const init = pod.initContainers[0];
    expect(init.image).toBe(OPERATIONS.fetchImage);
    expect(envOf(init)).toEqual({ AGENT_URL: OPERATIONS.jmxExporter.url, AGENT_SHA256: OPERATIONS.jmxExporter.sha256 });
    expect(init.command.join(' ')).toMatch(/sha256sum -c/);
    const kafka = pod.containers[0];
    expect(envOf(kafka).KAFKA_OPTS).toBe(`-javaagent:/opt/jmx-exporter/agent.jar=${OPERATIONS.jmxExporter.port}:/etc/jmx-exporter/kafka.yaml`);
    expect(kafka.ports).toContainEqual({ name: JMX_PORT_NAME, containerPort: OPERATIONS.jmxExporter.port });
    expect(find(objects, 'ConfigMap', 'kafka-jmx-exporter').data['kafka.yaml']).toMatch(/lowercaseOutputName: true/);
    const pm = find(objects, 'PodMonitor');
    expect(matches(pm.spec.selector.matchLabels, sts.spec.template.metadata.labels)).toBe(true);
    expect(pm.spec.podMetricsEndpoints[0].port).toBe(JMX_PORT_NAME);
    expect(objects.flatMap(schemaErrors)).toEqual([]);
    expect(referenceProblems(objects)).toEqual([]);
    expect(() => new BrokerMetrics(Testing.chart(), 'x', { targets: [{ workload: cluster.statefulSet, container: 'kafka' }], agentSha256: 'abc' })).toThrow(/agentSha256 \(abc\)/);
  });

  test('the rules keep the standard broker and MirrorMaker 2 series', () => {
    expect(jmxName('kafka.server<type=ReplicaManager, name=UnderReplicatedPartitions><>Value')).toBe('kafka_server_replicamanager_underreplicatedpartitions');
    expect(jmxName('kafka.server<type=BrokerTopicMetrics, name=BytesInPerSec, topic=t><>Count')).toBe('kafka_server_brokertopicmetrics_bytesin_total');
    expect(jmxName('kafka.network<type=RequestMetrics, name=RequestsPerSec, request=Produce, version=9><>Count')).toBe('kafka_network_requestmetrics_requests_total');
    expect(jmxName('kafka.network<type=RequestMetrics, name=TotalTimeMs, request=Fetch><>99thPercentile')).toBe('kafka_network_requestmetrics_totaltimems');
    expect(jmxName('kafka.connect.mirror<type=MirrorSourceConnector, target=cloud, topic=x, partition=3><>replication-latency-ms-max')).toBe(
      'kafka_connect_mirror_source_connector_replication_latency_ms_max',
    );
  });
});

describe('alerts and dashboard use series that exist', () => {
  const known = new Set([...workerSeries(), ...JMX_SERIES, ...KUBE_STATE_SERIES]);

  test('the workers export ddnn_wan_bytes_total and every metric the panels read', () => {
    for (const n of panelMetricNames()) expect(workerSeries()).toContain(n);
    for (const p of DASHBOARD_PANELS) for (const l of p.lines) for (const n of namesIn(promql(l.series, 'edge'))) expect(known).toContain(n);
  });

  test('every alert expression names exported series, and all five alerts are there', () => {
    const chart = new Chart(Testing.app(), 'alerts', { namespace: 'ddnn' });
    const rules = new AlertRules(chart, 'alerts', { layer: 'edge', workerDeployment: 'ddnn-worker', mirrorMaker: true, replicationLatencyMs: 2000 }).rules;
    expect(rules.map((r) => r.alert).sort()).toEqual(['DdnnConsumerLagGrowing', 'DdnnDeadLetters', 'DdnnMirrorMakerReplicationLatency', 'DdnnNoReadyWorker', 'DdnnUnderReplicatedPartitions']);
    for (const r of rules) for (const n of namesIn(r.expr)) expect({ alert: r.alert, series: n, known: known.has(n) }).toEqual({ alert: r.alert, series: n, known: true });
    expect(rules.find((r) => r.alert === 'DdnnMirrorMakerReplicationLatency')!.expr).toMatch(/> 2000$/);
    const objects: Manifest[] = Testing.synth(chart);
    expect(objects.flatMap(schemaErrors)).toEqual([]);
  });

  test('the check can fail: an unknown series is caught', () => {
    expect(known.has('ddnn_request_total')).toBe(false);
    expect(namesIn('sum(rate(ddnn_request_total{layer="edge"}[1m]))')).toEqual(['ddnn_request_total']);
  });

  test('the dashboard ConfigMap carries the sidecar label and one panel per contracts panel, queries per layer', () => {
    const chart = Testing.chart();
    new LayerDashboard(chart, 'dash', { layer: 'cloud' });
    const cm = find(Testing.synth(chart), 'ConfigMap');
    expect(cm.metadata.labels).toMatchObject(OPERATIONS.grafanaDashboardLabel);
    const json = JSON.parse(cm.data['ddnn-cloud.json']);
    expect(json.panels.map((p: Manifest) => p.title)).toEqual(DASHBOARD_PANELS.map((p) => p.title));
    const exprs: string[] = json.panels.flatMap((p: Manifest) => p.targets.map((t: Manifest) => t.expr));
    for (const e of exprs) expect(e).toContain('layer="cloud"');
    expect(exprs.some((e) => /histogram_quantile\(0\.95, sum by \(le\)\(rate\(ddnn_exit_latency_seconds_bucket/.test(e))).toBe(true);
    for (const e of exprs) for (const n of namesIn(e)) expect(known).toContain(n);
  });
});

describe('paper-ha manifests: operations on by default, cross-referenced', () => {
  const env = parseEnvironment(paperHa(2));
  const manifests = buildContinuum(env, fs.mkdtempSync(path.join(os.tmpdir(), 'ddnn-ops-')));
  const plan = planContinuum(env);
  const layers = manifests.layers.map((l) => ({ l, objects: l.app.charts.flatMap((c) => c.toJson()) as Manifest[] }));
  const fed: Manifest[] = manifests.federation!.app.charts.flatMap((c) => c.toJson());

  test('every custom resource validates against the KEDA and Prometheus Operator CRDs', () => {
    const kinds = layers.flatMap((v) => v.objects).filter((o) => /keda\.sh|monitoring\.coreos\.com/.test(o.apiVersion));
    expect(new Set(kinds.map((o) => o.kind))).toEqual(new Set(['ScaledObject', 'PodMonitor', 'PrometheusRule']));
    expect(kinds.flatMap(schemaErrors)).toEqual([]);
    // The schemas are strict: a misspelt field fails.
    const so = JSON.parse(JSON.stringify(kinds.find((o) => o.kind === 'ScaledObject')));
    so.spec.maxReplicas = so.spec.maxReplicaCount;
    expect(schemaErrors(so).join()).toMatch(/must NOT have additional properties/);
  });

  test("each ScaledObject's topic and group are its layer's worker input and group in the plan, with partitions ≥ maxReplicaCount", () => {
    for (const { l, objects } of layers) {
      const w = plan.layers.find((p) => p.layer.name === l.layer)!.worker!;
      const so = find(objects, 'ScaledObject');
      const trigger = so.spec.triggers[0].metadata;
      expect({ topic: trigger.topic, group: trigger.consumerGroup }).toEqual({ topic: w.input.topic, group: w.groupId });
      expect(topicsCreated(objects).get(trigger.topic)).toBeGreaterThanOrEqual(so.spec.maxReplicaCount);
      expect(so.spec.maxReplicaCount).toBe(2);
      const placed = l.worker!.deploymentManifest();
      expect(so.spec.scaleTargetRef.name).toBe(placed.metadata.name);
      expect(placed.spec.replicas).toBeUndefined();
      expect(trigger.bootstrapServers).toBe(envOf(containersOf(placed)[0]).DDNN_BROKERS);
    }
  });

  test('the federation keeps the replicas KEDA chose (KubeFed retainReplicas; no replicas override)', () => {
    const fd = find(fed, 'FederatedDeployment');
    expect(fd.spec.retainReplicas).toBe(true);
    expect(fd.spec.template.spec.replicas).toBeUndefined();
    expect(JSON.stringify(fd.spec.overrides ?? [])).not.toMatch(/\/spec\/replicas/);
  });

  test('the PodMonitors select the worker, broker and MirrorMaker 2 pods; NetworkPolicies admit scrapes and KEDA', () => {
    for (const { l, objects } of layers) {
      const placed = l.worker!.deploymentManifest();
      const monitors = objects.filter((o) => o.kind === 'PodMonitor');
      const pods = [placed, ...objects.filter((o) => o.kind === 'StatefulSet' && o.metadata.labels['app.kubernetes.io/component'] === 'kafka-broker'), ...objects.filter((o) => o.kind === 'Deployment' && o.metadata.labels['app.kubernetes.io/component'] === 'mirror-maker2')];
      expect(pods.length).toBe(3);
      for (const p of pods) {
        const m = monitors.find((pm) => matches(pm.spec.selector.matchLabels, p.spec.template.metadata.labels));
        expect(m).toBeDefined();
        const ports = p.spec.template.spec.containers.flatMap((c: Manifest) => c.ports ?? []).map((x: Manifest) => x.name);
        expect(ports).toContain(m!.spec.podMetricsEndpoints[0].port);
      }
      const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
      const ingress = JSON.stringify(policies.map((p) => p.spec.ingress));
      expect(ingress).toContain('"kubernetes.io/metadata.name":"keda"');
      expect(ingress).toContain(`"port":${OPERATIONS.jmxExporter.port}`);
      expect(objects.filter((o) => o.kind === 'PrometheusRule').length).toBe(1);
      expect(objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1').length).toBe(1);
    }
  });

  test('an environment without operations gets none of these objects, and fixed replicas', () => {
    const plain = parseEnvironment({ ...paperHa(2), operations: undefined });
    const m = buildContinuum(plain, fs.mkdtempSync(path.join(os.tmpdir(), 'ddnn-ops-')));
    const objects: Manifest[] = m.layers.flatMap((l) => l.app.charts.flatMap((c) => c.toJson()));
    expect(objects.filter((o) => /keda\.sh|monitoring\.coreos\.com/.test(o.apiVersion))).toEqual([]);
    expect(m.layers[0].worker!.deploymentManifest().spec.replicas).toBe(2);
  });

  test('the environment refuses maxReplicas above the partitions and alerts without monitoring, naming the field', () => {
    const bad = (operations: unknown) => () => parseEnvironment({ ...paperHa(2), operations });
    expect(bad({ autoscaling: { maxReplicas: 3 } })).toThrow(InvalidEnvironmentError);
    expect(bad({ autoscaling: { maxReplicas: 3 } })).toThrow(/operations\.autoscaling\.maxReplicas: maxReplicas \(3\) must be ≤ topics\.partitions of layer "edge" \(2\)/);
    expect(bad({ autoscaling: { minReplicas: 3 } })).toThrow(/operations\.autoscaling\.minReplicas/);
    expect(bad({ alerts: {} })).toThrow(/operations\.alerts: alerts read the series/);
  });
});

describe('paper-ha on Strimzi: the same rules through Strimzi\'s metricsConfig', () => {
  const input = paperHa(2);
  const env = parseEnvironment({ ...input, coordination: 'kraft', layers: input.layers.map((l) => ({ ...l, kafka: { ...l.kafka, engine: 'strimzi' as const } })) });
  const manifests = buildContinuum(env, fs.mkdtempSync(path.join(os.tmpdir(), 'ddnn-ops-')));

  test('Kafka and KafkaMirrorMaker2 point metricsConfig at the rules ConfigMap; PodMonitors select Strimzi\'s pods by its labels', () => {
    for (const l of manifests.layers) {
      const objects: Manifest[] = l.app.charts.flatMap((c) => c.toJson());
      const rules = find(objects, 'ConfigMap', 'kafka-jmx-exporter');
      expect(rules.data['kafka.yaml']).toMatch(/kafka_connect_mirror_source_connector_\$4/);
      const ref = { type: 'jmxPrometheusExporter', valueFrom: { configMapKeyRef: { name: 'kafka-jmx-exporter', key: 'kafka.yaml' } } };
      expect(find(objects, 'Kafka').spec.kafka.metricsConfig).toEqual(ref);
      const mm = find(objects, 'KafkaMirrorMaker2');
      expect(mm.spec.metricsConfig).toEqual(ref);
      const selectors = objects.filter((o) => o.kind === 'PodMonitor').map((o) => o.spec.selector.matchLabels);
      expect(selectors).toContainEqual({ 'strimzi.io/cluster': find(objects, 'Kafka').metadata.name, 'strimzi.io/kind': 'Kafka' });
      expect(selectors).toContainEqual({ 'strimzi.io/cluster': mm.metadata.name, 'strimzi.io/kind': 'KafkaMirrorMaker2' });
      // Strict Strimzi 0.47.0 and Prometheus Operator CRDs accept them.
      expect(objects.flatMap(schemaErrors)).toEqual([]);
      expect(objects.filter((o) => o.kind === 'StatefulSet')).toEqual([]);
    }
  });
});

test('the CRD files record the releases contracts/versions.ts names', () => {
  expect(OPERATIONS_CRD_FILES.sort()).toEqual([
    'keda.sh_scaledobjects.yaml',
    'keda.sh_triggerauthentications.yaml',
    'monitoring.coreos.com_podmonitors.yaml',
    'monitoring.coreos.com_prometheusrules.yaml',
    'monitoring.coreos.com_servicemonitors.yaml',
  ]);
  for (const f of OPERATIONS_CRD_FILES) {
    const head = fs.readFileSync(path.join(OPERATIONS_CRD_DIR, f), 'utf8').split('\n')[0];
    const version = f.startsWith('keda') ? OPERATIONS.kedaVersion : OPERATIONS.prometheusOperatorVersion;
    expect(head).toContain(`at tag v${version} `);
  }
  const sources = fs.readFileSync(path.join(OPERATIONS_CRD_DIR, 'SOURCES.md'), 'utf8');
  for (const f of OPERATIONS_CRD_FILES) expect(sources).toContain(f);
});
