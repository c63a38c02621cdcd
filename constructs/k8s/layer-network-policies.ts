/**
 * Ingress NetworkPolicies for one layer's namespace: everything is denied unless listed. Brokers take the
 * internal listener from this namespace only and the WAN listener from the other layers' address ranges;
 * ZooKeeper talks only to its brokers and peers; workers expose only their HTTP port (probes, metrics).
 */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { KAFKA_PORTS, ZOOKEEPER_PORTS } from '../../contracts/kafka/ports';
import { WORKER_HTTP } from '../../contracts/worker-env';
import type { KafkaCluster } from './kafka-cluster';
import { physicalName } from './names';

export interface LayerNetworkPoliciesProps {
  /** Name of the namespace-wide default-deny policy. @default - `<derived from the construct's path>-default-deny-ingress` */
  readonly defaultDenyName?: string;
  /** Its brokers and ZooKeeper get ingress policies. @default - none (e.g. Strimzi writes its own per listener) */
  readonly kafka?: KafkaCluster;
  /** Address ranges allowed on the brokers' WAN listener (other layers' egress, devices). */
  readonly wanSources: string[];
  /** Label selectors of the worker pods in this namespace. @default - none */
  readonly workerSelectors?: Record<string, string>[];
  /**
   * Namespace whose pods may read the brokers' internal listener too: KEDA's operator reads consumer-group lag
   * (LagAutoscaler). @default - none
   */
  readonly lagReaderNamespace?: string;
  /** Pods serving Prometheus metrics on a port (the JMX exporter on brokers and MirrorMaker 2), open to scrapers. @default - none */
  readonly metricsEndpoints?: { readonly selector: Record<string, string>; readonly port: number }[];
}

const tcp = (port: number): k8s.NetworkPolicyPort => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });

export class LayerNetworkPolicies extends Construct {
  /** Escape hatch: every policy as synthesized (default-deny first). */
  readonly policies: k8s.KubeNetworkPolicy[] = [];

  constructor(scope: Construct, id: string, props: LayerNetworkPoliciesProps) {
    super(scope, id);
    const { kafka } = props;
    if (props.wanSources.length === 0) throw new Error('LayerNetworkPolicies: wanSources must list at least one CIDR');
    const defaultDeny = props.defaultDenyName ?? `${physicalName(this, undefined, 'LayerNetworkPolicies', 40)}-default-deny-ingress`;
    const policy = (pid: string, p: k8s.KubeNetworkPolicyProps) => this.policies.push(new k8s.KubeNetworkPolicy(this, pid, p));

    policy('default-deny', {
      metadata: { name: defaultDeny },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    });

    const sameNamespace: k8s.NetworkPolicyPeer = { podSelector: {} };
    if (kafka) policy('kafka', {
      metadata: { name: `${kafka.name}-ingress` },
      spec: {
        podSelector: { matchLabels: kafka.selector },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [sameNamespace], ports: [tcp(KAFKA_PORTS.internal), tcp(KAFKA_PORTS.controller)] },
          ...(props.lagReaderNamespace
            ? [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.lagReaderNamespace } } }], ports: [tcp(KAFKA_PORTS.internal)] }]
            : []),
          { from: props.wanSources.map((cidr) => ({ ipBlock: { cidr } })), ports: [tcp(KAFKA_PORTS.wan)] },
        ],
      },
    });

    if (kafka?.zookeeper) {
      const zk = kafka.zookeeper;
      policy('zookeeper', {
        metadata: { name: `${zk.name}-ingress` },
        spec: {
          podSelector: { matchLabels: zk.selector },
          policyTypes: ['Ingress'],
          ingress: [
            { from: [{ podSelector: { matchLabels: kafka.selector } }, { podSelector: { matchLabels: zk.selector } }], ports: [tcp(ZOOKEEPER_PORTS.client)] },
            { from: [{ podSelector: { matchLabels: zk.selector } }], ports: [tcp(ZOOKEEPER_PORTS.peer), tcp(ZOOKEEPER_PORTS.election)] },
          ],
        },
      });
    }

    (props.metricsEndpoints ?? []).forEach(({ selector, port }, i) => {
      policy(`metrics-${i}`, {
        metadata: { name: `${selector['app.kubernetes.io/name'] ?? `metrics-${i}`}-metrics-ingress` },
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ['Ingress'],
          // Scrapers run in their own namespace; the exporter's port serves only metrics.
          ingress: [{ from: [{ namespaceSelector: {} }], ports: [tcp(port)] }],
        },
      });
    });

    (props.workerSelectors ?? []).forEach((selector, i) => {
      policy(`workers-${i}`, {
        metadata: { name: `${selector['app.kubernetes.io/name'] ?? `workers-${i}`}-ingress` },
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ['Ingress'],
          // Metrics scrapers run in their own namespace; the port serves nothing but health and metrics.
          ingress: [{ from: [{ namespaceSelector: {} }], ports: [tcp(WORKER_HTTP.port)] }],
        },
      });
    });
  }
}
