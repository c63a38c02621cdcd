/**
 * The continuum's alerts for one layer cluster as a PrometheusRule (monitoring.coreos.com/v1): dead letters, a
 * growing consumer lag, no ready worker, MirrorMaker 2 replication latency and under-replicated partitions. The
 * expressions read the workers' own series (runtime/worker/metrics.ts), the JMX exporter's Kafka series
 * (broker-metrics.ts; PodMonitors add the `layer` label) and kube-state-metrics' Deployment status, which the
 * Prometheus Operator's usual installation (kube-prometheus-stack) ships.
 */
import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';

export interface AlertRulesProps {
  /** Continuum layer: selects the series by their `layer` label. */
  readonly layer: string;
  /** The worker Deployment (name) in this namespace. @default - no worker alerts (a Kafka-only layer) */
  readonly workerDeployment?: string;
  /** Namespace of the worker Deployment (kube-state-metrics labels series with it). @default - the chart's */
  readonly namespace?: string;
  /** The layer runs MirrorMaker 2 (its latency alert is added). @default false */
  readonly mirrorMaker?: boolean;
  /** MirrorMaker 2 replication latency (ms, the per-partition max) above which to alert. @default 5000 */
  readonly replicationLatencyMs?: number;
  /** Labels a Prometheus' ruleSelector matches. @default - none */
  readonly labels?: Record<string, string>;
}

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

export class AlertRules extends Construct {
  readonly rules: AlertRule[];
  readonly prometheusRule: ApiObject;

  constructor(scope: Construct, id: string, props: AlertRulesProps) {
    super(scope, id);
    const { layer } = props;
    const latency = props.replicationLatencyMs ?? 5000;
    if (!/^[a-z0-9-]+$/.test(layer)) throw new Error(`AlertRules: layer (${layer}) must be a DNS label`);
    if (!(latency > 0)) throw new Error(`AlertRules ${layer}: replicationLatencyMs (${latency}) must be > 0`);
    const namespace = props.namespace ?? Chart.of(this).namespace;
    if (props.workerDeployment && !namespace) throw new Error(`AlertRules ${layer}: namespace is needed for the worker alerts (give it, or a chart namespace)`);
    const sel = `layer="${layer}"`;
    const severity = (s: 'warning' | 'critical') => ({ severity: s, layer });
    const rules: AlertRule[] = [];

    if (props.workerDeployment) {
      const ksm = `namespace="${namespace}", deployment="${props.workerDeployment}"`;
      rules.push(
        {
          alert: 'DdnnDeadLetters',
          expr: `sum by (layer, reason) (increase(ddnn_dead_letters_total{${sel}}[5m])) > 0`,
          labels: severity('warning'),
          annotations: {
            summary: `${layer} workers sent records to the dead-letter topic`,
            description: '{{ $value }} records ({{ $labels.reason }}) in the last 5 minutes; read the dead-letter topic for their headers.',
          },
        },
        {
          alert: 'DdnnConsumerLagGrowing',
          expr: `sum by (layer) (ddnn_consumer_lag{${sel}}) > 0 and deriv(sum by (layer) (ddnn_consumer_lag{${sel}})[10m:1m]) > 0`,
          for: '10m',
          labels: severity('warning'),
          annotations: {
            summary: `${layer} workers fall behind their input topic`,
            description: 'The lag has grown for 10 minutes ({{ $value }} records/s): more replicas (up to the partitions), or a slower model than planned.',
          },
        },
        {
          alert: 'DdnnNoReadyWorker',
          expr: `max(kube_deployment_status_replicas_ready{${ksm}}) < 1 or absent(kube_deployment_status_replicas_ready{${ksm}})`,
          for: '2m',
          labels: severity('critical'),
          annotations: {
            summary: `no ${layer} worker replica is ready`,
            description: 'Requests wait in Kafka until a worker is ready again; check the pods (model download, Kafka reachability).',
          },
        },
      );
    }
    if (props.mirrorMaker)
      rules.push({
        alert: 'DdnnMirrorMakerReplicationLatency',
        expr: `max by (layer, topic) (kafka_connect_mirror_source_connector_replication_latency_ms_max{${sel}}) > ${latency}`,
        for: '5m',
        labels: severity('warning'),
        annotations: {
          summary: `MirrorMaker 2 into ${layer} lags more than ${latency} ms`,
          description: 'Topic {{ $labels.topic }}: {{ $value }} ms from the source record to its copy; check the WAN link.',
        },
      });
    rules.push({
      alert: 'DdnnUnderReplicatedPartitions',
      expr: `sum by (layer) (kafka_server_replicamanager_underreplicatedpartitions{${sel}}) > 0`,
      for: '5m',
      labels: severity('warning'),
      annotations: {
        summary: `${layer} Kafka has under-replicated partitions`,
        description: '{{ $value }} partitions below their replication factor: a broker is down or cannot keep up.',
      },
    });
    this.rules = rules;

    this.prometheusRule = new ApiObject(this, 'rule', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: `ddnn-${layer}-alerts`, labels: { 'ddnn.dev/layer': layer, ...props.labels } },
      spec: { groups: [{ name: `ddnn-${layer}`, rules: rules.map((r) => ({ ...r })) }] },
    });
  }
}
