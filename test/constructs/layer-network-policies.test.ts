import { Testing } from 'cdk8s';
import { KafkaCluster } from '../../constructs/k8s/kafka-cluster';
import { LayerNetworkPolicies } from '../../constructs/k8s/layer-network-policies';
import { find } from './fixtures';
import { type Manifest, schemaErrors } from './manifest-checks';

function synth(coordination: 'kraft' | 'zookeeper') {
  const chart = Testing.chart();
  const kafka = new KafkaCluster(chart, 'kafka', { name: 'kafka', brokers: 3, coordination, external: { type: 'NodePort', host: 'h' } });
  new LayerNetworkPolicies(chart, 'np', { defaultDenyName: 'default-deny-ingress', kafka, wanSources: ['192.0.2.0/24'], workerSelectors: [{ 'app.kubernetes.io/name': 'ddnn-worker' }] });
  return (Testing.synth(chart) as Manifest[]).filter((o) => o.kind === 'NetworkPolicy');
}

describe('LayerNetworkPolicies', () => {
  test('denies all ingress unless a policy admits it', () => {
    expect(find(synth('kraft'), 'NetworkPolicy', 'default-deny-ingress').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
  });

  test('brokers: internal listener from the namespace, WAN listener only from the other layers\' ranges', () => {
    const [internal, wan] = find(synth('kraft'), 'NetworkPolicy', 'kafka-ingress').spec.ingress;
    expect(internal).toEqual({ from: [{ podSelector: {} }], ports: [{ protocol: 'TCP', port: 9092 }, { protocol: 'TCP', port: 9093 }] });
    expect(wan).toEqual({ from: [{ ipBlock: { cidr: '192.0.2.0/24' } }], ports: [{ protocol: 'TCP', port: 9094 }] });
  });

  test('ZooKeeper talks to its brokers and peers only; workers expose only their HTTP port', () => {
    const policies = synth('zookeeper');
    const zk = find(policies, 'NetworkPolicy', 'kafka-zookeeper-ingress').spec.ingress;
    expect(zk[0].from).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'kafka', 'app.kubernetes.io/component': 'kafka-broker' } } },
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'kafka-zookeeper', 'app.kubernetes.io/component': 'zookeeper' } } },
    ]);
    expect(find(policies, 'NetworkPolicy', 'ddnn-worker-ingress').spec.ingress).toEqual([{ from: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: 8080 }] }]);
    expect(synth('kraft').some((p) => p.metadata.name === 'kafka-zookeeper-ingress')).toBe(false);
    expect(policies.flatMap(schemaErrors)).toEqual([]);
  });
});
