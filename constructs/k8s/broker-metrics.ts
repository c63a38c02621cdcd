/**
 * Prometheus metrics of Kafka's JVMs (brokers, MirrorMaker 2) through the Prometheus JMX exporter java agent
 * (io.prometheus.jmx:jmx_prometheus_javaagent, OPERATIONS.jmxExporter): a ConfigMap with the exporter's rules, an
 * init container that fetches the pinned agent jar from Maven Central and checks its SHA-256, `KAFKA_OPTS
 * -javaagent:…` on the Kafka container (kafka-run-class.sh passes it to the JVM), and a PodMonitor per workload.
 *
 * The init container keeps the images stock (apache/kafka); a cluster without egress to Maven Central points
 * `agentUrl` at a mirror. The rules keep Kafka's standard series under their usual names (kafka_server_*,
 * kafka_network_requestmetrics_*, kafka_controller_*) and MirrorMaker 2's source-connector series
 * (kafka_connect_mirror_source_connector_*); the alert rules and the tests read the names from here.
 */
import { ApiObject, JsonPatch, Yaml } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IMAGE_USERS, OPERATIONS } from '../../contracts/versions';
import { RESTRICTED_CONTAINER } from './pod-defaults';

/** One exporter rule (jmx_exporter's `rules:` entry). */
export interface JmxRule {
  readonly pattern: string;
  readonly name: string;
  readonly type: 'GAUGE' | 'COUNTER';
  readonly labels?: Record<string, string>;
}

const pairs = (n: number, from: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`$${from + 2 * i}`, `$${from + 2 * i + 1}`]));

/** Per-second meters (…PerSec) as counters, percent gauges, plain gauges and histogram quantiles, with 0–2 key=value pairs. */
function genericRules(): JmxRule[] {
  const rules: JmxRule[] = [];
  const kv = (n: number) => Array.from({ length: n }, () => ', (.+)=(.+)').join('');
  for (const n of [2, 1, 0]) rules.push({ pattern: `kafka.(\\w+)<type=(.+), name=(.+)PerSec\\w*${kv(n)}><>Count`, name: 'kafka_$1_$2_$3_total', type: 'COUNTER', labels: pairs(n, 4) });
  for (const n of [1, 0]) rules.push({ pattern: `kafka.(\\w+)<type=(.+), name=(.+)Percent\\w*${kv(n)}><>(?:Value|MeanRate)`, name: 'kafka_$1_$2_$3_percent', type: 'GAUGE', labels: pairs(n, 4) });
  for (const n of [2, 1, 0]) rules.push({ pattern: `kafka.(\\w+)<type=(.+), name=(.+)${kv(n)}><>Value`, name: 'kafka_$1_$2_$3', type: 'GAUGE', labels: pairs(n, 4) });
  // Yammer histograms/timers (request times): count and the 50/75/95/98/99/999th percentiles as a summary.
  for (const n of [2, 1, 0]) {
    rules.push({ pattern: `kafka.(\\w+)<type=(.+), name=(.+)${kv(n)}><>Count`, name: 'kafka_$1_$2_$3_count', type: 'COUNTER', labels: pairs(n, 4) });
    const q = 4 + 2 * n;
    rules.push({
      pattern: `kafka.(\\w+)<type=(.+), name=(.+)${kv(n)}><>(\\d+)thPercentile`,
      name: 'kafka_$1_$2_$3',
      type: 'GAUGE',
      labels: { ...pairs(n, 4), quantile: `0.$${q}` },
    });
  }
  return rules.map((r) => (r.labels && Object.keys(r.labels).length === 0 ? { pattern: r.pattern, name: r.name, type: r.type } : r));
}

/**
 * The exporter's rules, first match wins. MirrorMaker 2 first (its per-partition gauges: replication-latency-ms,
 * record-age-ms, byte-rate, …, and the checkpoint connector's lag), then Kafka's standard broker series.
 */
export const JMX_EXPORTER_RULES: readonly JmxRule[] = [
  {
    pattern: 'kafka.connect.mirror<type=MirrorSourceConnector, target=(.+), topic=(.+), partition=([0-9]+)><>([a-z-]+)',
    name: 'kafka_connect_mirror_source_connector_$4',
    type: 'GAUGE',
    labels: { target: '$1', topic: '$2', partition: '$3' },
  },
  {
    pattern: 'kafka.connect.mirror<type=MirrorCheckpointConnector, source=(.+), target=(.+), group=(.+), topic=(.+), partition=([0-9]+)><>([a-z-]+)',
    name: 'kafka_connect_mirror_checkpoint_connector_$6',
    type: 'GAUGE',
    labels: { source: '$1', target: '$2', group: '$3', topic: '$4', partition: '$5' },
  },
  // Connect worker/task status (MM2 runs on Connect): running tasks, failures.
  { pattern: 'kafka.connect<type=connect-worker-metrics><>([a-z-]+)', name: 'kafka_connect_worker_$1', type: 'GAUGE' },
  {
    pattern: 'kafka.connect<type=connector-task-metrics, connector=(.+), task=(.+)><>status: ([a-z-]+)',
    name: 'kafka_connect_connector_task_status',
    type: 'GAUGE',
    labels: { connector: '$1', task: '$2', status: '$3' },
  },
  // Per-topic broker meters carry a topic label; the generic rules below name them kafka_server_brokertopicmetrics_*.
  ...genericRules(),
];

/** The exporter's YAML configuration (names and labels lowercased, as the standard Kafka dashboards expect). */
export function jmxExporterConfig(rules: readonly JmxRule[] = JMX_EXPORTER_RULES): string {
  return Yaml.stringify({ lowercaseOutputName: true, lowercaseOutputLabelNames: true, rules });
}

/** A Kafka JVM workload to instrument: a KafkaCluster's StatefulSet or a MirrorMaker2's Deployment. */
export interface JmxTarget {
  /** The StatefulSet/Deployment (its pod template is patched). */
  readonly workload: ApiObject;
  /** Name of the Kafka container in the pod template. */
  readonly container: string;
}

export interface BrokerMetricsProps {
  readonly targets: JmxTarget[];
  /** ConfigMap of the rules. @default - derived from the construct's path */
  readonly configMapName?: string;
  /** Where the init container fetches the agent. @default OPERATIONS.jmxExporter.url (Maven Central) */
  readonly agentUrl?: string;
  /** SHA-256 the fetched jar must have. @default OPERATIONS.jmxExporter.sha256 */
  readonly agentSha256?: string;
  /** Port the agent serves /metrics on. @default OPERATIONS.jmxExporter.port (9404) */
  readonly port?: number;
  /** Scrape interval. @default '30s' */
  readonly interval?: string;
  /** Labels a Prometheus' podMonitorSelector matches. @default - none */
  readonly monitorLabels?: Record<string, string>;
}

/** Name of the metrics port in the Kafka containers (PodMonitors scrape it by name). */
export const JMX_PORT_NAME = 'jmx-metrics';
const AGENT_DIR = '/opt/jmx-exporter';
const CONFIG_DIR = '/etc/jmx-exporter';

export class BrokerMetrics extends Construct {
  readonly configMap: k8s.KubeConfigMap;
  readonly podMonitors: ApiObject[] = [];
  readonly port: number;

  constructor(scope: Construct, id: string, props: BrokerMetricsProps) {
    super(scope, id);
    const port = (this.port = props.port ?? OPERATIONS.jmxExporter.port);
    const sha = props.agentSha256 ?? OPERATIONS.jmxExporter.sha256;
    const url = props.agentUrl ?? OPERATIONS.jmxExporter.url;
    if (!/^[a-f0-9]{64}$/.test(sha)) throw new Error(`BrokerMetrics: agentSha256 (${sha}) must be 64 lowercase hex digits`);
    if (!/^https?:\/\/\S+$/.test(url)) throw new Error(`BrokerMetrics: agentUrl (${url}) must be an http(s) URL`);
    if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new Error(`BrokerMetrics: port (${port}) must be an integer in 1024–65535`);
    if (props.targets.length === 0) throw new Error('BrokerMetrics: targets must name at least one Kafka workload');

    const first = props.targets[0].workload;
    const configMapName = props.configMapName ?? `${first.name}-jmx-exporter`;
    this.configMap = new k8s.KubeConfigMap(this, 'rules', {
      metadata: { name: configMapName, labels: first.metadata.toJson().labels },
      data: { 'kafka.yaml': jmxExporterConfig() },
    });

    for (const target of props.targets) {
      const json = target.workload.toJson();
      const pod = json.spec.template.spec;
      const index = pod.containers.findIndex((c: { name: string }) => c.name === target.container);
      if (index < 0) throw new Error(`BrokerMetrics: ${json.kind}/${json.metadata.name} has no container "${target.container}"`);
      const c = `/spec/template/spec/containers/${index}`;
      const fetch: k8s.Container = {
        name: 'fetch-jmx-exporter',
        image: OPERATIONS.fetchImage,
        imagePullPolicy: 'IfNotPresent',
        command: [
          'sh',
          '-c',
          `set -e; curl -fsSL --retry 5 -o ${AGENT_DIR}/agent.jar "$AGENT_URL"; echo "$AGENT_SHA256  ${AGENT_DIR}/agent.jar" | sha256sum -c -`,
        ],
        env: [
          { name: 'AGENT_URL', value: url },
          { name: 'AGENT_SHA256', value: sha },
        ],
        resources: { requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('32Mi') }, limits: { memory: k8s.Quantity.fromString('64Mi') } },
        securityContext: { ...RESTRICTED_CONTAINER, runAsUser: IMAGE_USERS.kafka },
        volumeMounts: [{ name: 'jmx-exporter', mountPath: AGENT_DIR }],
      };
      const javaAgent = `-javaagent:${AGENT_DIR}/agent.jar=${port}:${CONFIG_DIR}/kafka.yaml`;
      if (pod.containers[index].env?.some((e: { name: string }) => e.name === 'KAFKA_OPTS'))
        throw new Error(`BrokerMetrics: ${json.kind}/${json.metadata.name} already sets KAFKA_OPTS`);
      target.workload.addJsonPatch(
        pod.initContainers ? JsonPatch.add('/spec/template/spec/initContainers/-', fetch) : JsonPatch.add('/spec/template/spec/initContainers', [fetch]),
        JsonPatch.add('/spec/template/spec/volumes/-', { name: 'jmx-exporter', emptyDir: { sizeLimit: '16Mi' } }),
        JsonPatch.add('/spec/template/spec/volumes/-', { name: 'jmx-exporter-config', configMap: { name: configMapName } }),
        JsonPatch.add(`${c}/volumeMounts/-`, { name: 'jmx-exporter', mountPath: AGENT_DIR, readOnly: true }),
        JsonPatch.add(`${c}/volumeMounts/-`, { name: 'jmx-exporter-config', mountPath: CONFIG_DIR, readOnly: true }),
        JsonPatch.add(`${c}/env/-`, { name: 'KAFKA_OPTS', value: javaAgent }),
        pod.containers[index].ports
          ? JsonPatch.add(`${c}/ports/-`, { name: JMX_PORT_NAME, containerPort: port })
          : JsonPatch.add(`${c}/ports`, [{ name: JMX_PORT_NAME, containerPort: port }]),
      );

      const labels = json.metadata.labels ?? {};
      this.podMonitors.push(
        new ApiObject(this, `monitor-${json.metadata.name}`, {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'PodMonitor',
          metadata: { name: `${json.metadata.name}-jmx`, labels: { ...labels, ...props.monitorLabels } },
          spec: {
            selector: { matchLabels: json.spec.selector.matchLabels },
            podMetricsEndpoints: [
              {
                port: JMX_PORT_NAME,
                path: '/metrics',
                interval: props.interval ?? '30s',
                // JMX series carry no layer: take it from the pod's ddnn.dev/layer label, as the workers' series have it.
                relabelings: [
                  { sourceLabels: ['__meta_kubernetes_pod_label_ddnn_dev_layer'], targetLabel: 'layer', action: 'replace' },
                  { sourceLabels: ['__meta_kubernetes_pod_name'], targetLabel: 'pod', action: 'replace' },
                ],
              },
            ],
          },
        }),
      );
    }
  }
}
