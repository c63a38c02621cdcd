import { Testing } from 'cdk8s';
import { ContinuumFederation } from '../../constructs/k8s/continuum-federation';
import { find } from './fixtures';
import { type Manifest, schemaErrors } from './manifest-checks';

const deployment = (layer: string, replicas: number, threshold: string): Manifest => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'ddnn-worker', namespace: 'ddnn', labels: { app: 'ddnn-worker', 'ddnn.dev/layer': layer } },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'ddnn-worker' } },
    template: {
      metadata: { labels: { app: 'ddnn-worker', 'ddnn.dev/layer': layer } },
      spec: { containers: [{ name: 'worker', image: 'w:1.0.0', env: [{ name: 'DDNN_THRESHOLD', value: threshold }] }] },
    },
  },
});

function synth(engine: 'kubefed' | 'karmada', cloudWorkload = deployment('cloud', 2, '0.8')) {
  const chart = Testing.chart();
  const fed = new ContinuumFederation(chart, 'fed', {
    engine,
    namespace: 'ddnn',
    members: [
      { name: 'edge', apiEndpoint: 'https://192.0.2.11:6443', syncMode: engine === 'karmada' ? 'Pull' : 'Push' },
      { name: 'cloud', apiEndpoint: 'https://api.cloud.example:443' },
    ],
    workloads: [
      { cluster: 'edge', manifest: deployment('edge', 3, '0.8') },
      { cluster: 'cloud', manifest: cloudWorkload },
    ],
  });
  return { fed, objects: Testing.synth(chart) as Manifest[] };
}

describe('ContinuumFederation', () => {
  test('KubeFed: a KubeFedCluster per layer, the namespace federated to all, the workers placed with per-cluster overrides', () => {
    const { objects } = synth('kubefed');
    expect(objects.filter((o) => o.kind === 'KubeFedCluster').map((o) => [o.metadata.name, o.spec.apiEndpoint, o.spec.secretRef.name])).toEqual([
      ['edge', 'https://192.0.2.11:6443', 'edge-kubefed'],
      ['cloud', 'https://api.cloud.example:443', 'cloud-kubefed'],
    ]);
    expect(find(objects, 'FederatedNamespace').spec.placement.clusters).toEqual([{ name: 'edge' }, { name: 'cloud' }]);
    const fd = find(objects, 'FederatedDeployment');
    expect(fd.spec.template.spec.replicas).toBe(3);
    expect(fd.spec.placement.clusters).toEqual([{ name: 'edge' }, { name: 'cloud' }]);
    expect(fd.spec.overrides).toEqual([
      {
        clusterName: 'cloud',
        clusterOverrides: [
          { op: 'replace', path: '/metadata/labels', value: { app: 'ddnn-worker', 'ddnn.dev/layer': 'cloud' } },
          { op: 'replace', path: '/spec/replicas', value: 2 },
          { op: 'replace', path: '/spec/template/metadata/labels', value: { app: 'ddnn-worker', 'ddnn.dev/layer': 'cloud' } },
        ],
      },
    ]);
    expect(objects.filter((o) => o.kind === 'FederatedTypeConfig').map((o) => o.metadata.name)).toEqual(['namespaces', 'deployments.apps']);
    expect(objects.flatMap(schemaErrors)).toEqual([]);
  });

  test('Karmada: the plain Deployment, a PropagationPolicy and an OverridePolicy; the edge registers in pull mode', () => {
    const { objects } = synth('karmada', deployment('cloud', 3, '0.5'));
    expect(find(objects, 'Cluster', 'edge').spec).toEqual({ syncMode: 'Pull', apiEndpoint: 'https://192.0.2.11:6443' });
    expect(find(objects, 'Cluster', 'cloud').spec.secretRef).toEqual({ namespace: 'karmada-cluster', name: 'cloud' });
    expect(find(objects, 'Deployment', 'ddnn-worker').metadata.namespace).toBe('ddnn');
    const pp = find(objects, 'PropagationPolicy');
    expect(pp.spec.placement).toEqual({ clusterAffinity: { clusterNames: ['edge', 'cloud'] }, replicaScheduling: { replicaSchedulingType: 'Duplicated' } });
    const rule = find(objects, 'OverridePolicy').spec.overrideRules[0];
    expect(rule.targetCluster).toEqual({ clusterNames: ['cloud'] });
    expect(rule.overriders.plaintext).toContainEqual({
      path: '/spec/template/spec/containers/0/env',
      operator: 'replace',
      value: [{ name: 'DDNN_THRESHOLD', value: '0.5' }],
    });
    expect(objects.flatMap(schemaErrors)).toEqual([]);
  });

  test('refuses members that differ outside the overridable paths, pull mode on KubeFed, and unknown clusters', () => {
    const odd = deployment('cloud', 2, '0.8');
    odd.spec.template.spec.containers[0].image = 'w:2.0.0';
    expect(() => synth('kubefed', odd)).toThrow(/differs from the template outside/);
    const chart = Testing.chart();
    expect(
      () =>
        new ContinuumFederation(chart, 'f', {
          engine: 'kubefed',
          namespace: 'n',
          members: [{ name: 'edge', apiEndpoint: 'https://e', syncMode: 'Pull' }],
          workloads: [{ cluster: 'edge', manifest: deployment('edge', 1, '1') }],
        }),
    ).toThrow(/Pull, which KubeFed does not support/);
    expect(
      () =>
        new ContinuumFederation(Testing.chart(), 'f', {
          engine: 'karmada',
          namespace: 'n',
          members: [{ name: 'edge', apiEndpoint: 'https://e' }],
          workloads: [{ cluster: 'fog', manifest: deployment('fog', 1, '1') }],
        }),
    ).toThrow(/workload cluster "fog" is not a member/);
  });

  test('matches the snapshot', () => {
    expect(synth('kubefed').objects).toMatchSnapshot();
  });
});
