/**
 * Broker and MirrorMaker 2 metrics when Strimzi runs Kafka: Strimzi's images already carry the Prometheus JMX
 * exporter agent, so instead of BrokerMetrics' init container this sets `metricsConfig` (type
 * jmxPrometheusExporter) on the Kafka and KafkaMirrorMaker2 resources, pointing at a ConfigMap with the same rules
 * (broker-metrics.ts), and adds PodMonitors on the port Strimzi opens for it (`tcp-prometheus`, 9404). The series
 * are therefore named as with the StatefulSet engine, and the alerts and dashboard work on either.
 */
import { ApiObject, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { jmxExporterConfig } from '../broker-metrics';
import type { StrimziKafkaCluster } from './strimzi-kafka-cluster';
import type { StrimziMirrorMaker2 } from './strimzi-mirror-maker2';

export interface StrimziMetricsProps {
  readonly cluster: StrimziKafkaCluster;
  /** @default - none */
  readonly mirrorMakers?: StrimziMirrorMaker2[];
  /** Continuum layer, set as the `layer` label of the scraped series. */
  readonly layer: string;
  /** @default `<cluster>-jmx-exporter` */
  readonly configMapName?: string;
  /** @default '30s' */
  readonly interval?: string;
  /** Labels a Prometheus' podMonitorSelector matches. @default - none */
  readonly monitorLabels?: Record<string, string>;
}

/** The metrics port name Strimzi gives Kafka and Connect pods when metricsConfig is set. */
export const STRIMZI_METRICS_PORT_NAME = 'tcp-prometheus';
/** …and its number. */
export const STRIMZI_METRICS_PORT = 9404;

export class StrimziMetrics extends Construct {
  readonly configMap: k8s.KubeConfigMap;
  readonly podMonitors: ApiObject[] = [];
  /** Pod labels the PodMonitors select (for NetworkPolicies). */
  readonly podSelectors: Record<string, string>[] = [];

  constructor(scope: Construct, id: string, props: StrimziMetricsProps) {
    super(scope, id);
    const { cluster, layer } = props;
    if (!/^[a-z0-9-]+$/.test(layer)) throw new Error(`StrimziMetrics: layer (${layer}) must be a DNS label`);
    const configMapName = props.configMapName ?? `${cluster.name}-jmx-exporter`;
    this.configMap = new k8s.KubeConfigMap(this, 'rules', {
      metadata: { name: configMapName, labels: { 'ddnn.dev/layer': layer } },
      data: { 'kafka.yaml': jmxExporterConfig() },
    });
    const metricsConfig = { type: 'jmxPrometheusExporter', valueFrom: { configMapKeyRef: { name: configMapName, key: 'kafka.yaml' } } };
    cluster.kafka.addJsonPatch(JsonPatch.add('/spec/kafka/metricsConfig', metricsConfig));

    const monitor = (name: string, selector: Record<string, string>) => {
      this.podSelectors.push(selector);
      this.podMonitors.push(
        new ApiObject(this, `monitor-${name}`, {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'PodMonitor',
          metadata: { name: `${name}-jmx`, labels: { 'ddnn.dev/layer': layer, ...props.monitorLabels } },
          spec: {
            selector: { matchLabels: selector },
            podMetricsEndpoints: [
              {
                port: STRIMZI_METRICS_PORT_NAME,
                path: '/metrics',
                interval: props.interval ?? '30s',
                relabelings: [
                  { targetLabel: 'layer', replacement: layer, action: 'replace' },
                  { sourceLabels: ['__meta_kubernetes_pod_name'], targetLabel: 'pod', action: 'replace' },
                ],
              },
            ],
          },
        }),
      );
    };
    // Strimzi's own pod labels: strimzi.io/cluster is the custom resource's name, strimzi.io/kind its kind.
    monitor(cluster.name, { 'strimzi.io/cluster': cluster.name, 'strimzi.io/kind': 'Kafka' });
    for (const mm of props.mirrorMakers ?? []) {
      mm.resource.addJsonPatch(JsonPatch.add('/spec/metricsConfig', metricsConfig));
      monitor(mm.name, { 'strimzi.io/cluster': mm.name, 'strimzi.io/kind': 'KafkaMirrorMaker2' });
    }
  }
}
