/** The checkers must be able to fail: each one is fed a broken object here. */
import { isPinned, referenceProblems, schemaErrors, topicsCreated } from './manifest-checks';

const deployment = (patch: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'w' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'w' } },
    template: { metadata: { labels: { app: 'w' } }, spec: { containers: [{ name: 'w', image: 'x/w:1.0.0' }] } },
    ...patch,
  },
});

describe('manifest checks', () => {
  test('schemaErrors accepts a valid Deployment and rejects a wrong type', () => {
    expect(schemaErrors(deployment())).toEqual([]);
    expect(schemaErrors(deployment({ replicas: 'three' })).join()).toMatch(/replicas must be integer/);
  });

  test('schemaErrors knows no schema for an unknown kind', () => {
    expect(schemaErrors({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'x' } })).toEqual([
      'Widget/x: no schema for example.com/v1 Widget',
    ]);
  });

  test('CRD schemas reject misspelt fields', () => {
    const fd = {
      apiVersion: 'types.kubefed.io/v1beta1',
      kind: 'FederatedDeployment',
      metadata: { name: 'w', namespace: 'n' },
      spec: { template: { spec: deployment().spec }, placement: { clusters: [{ name: 'edge' }] }, overide: [] },
    };
    expect(schemaErrors(fd).join()).toMatch(/must NOT have additional properties/);
    const pp = { apiVersion: 'policy.karmada.io/v1alpha1', kind: 'PropagationPolicy', metadata: { name: 'w' }, spec: { resourceSelectors: [] } };
    expect(schemaErrors(pp).join()).toMatch(/must NOT have fewer than 1 items/);
  });

  test('referenceProblems finds missing ConfigMaps, undeclared Secrets, unpinned images and empty selectors', () => {
    const d = deployment();
    d.spec.template.spec = {
      containers: [
        {
          name: 'w',
          image: 'x/w:latest',
          env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'creds', key: 'p' } } }],
          volumeMounts: [{ name: 'cfg', mountPath: '/c' }],
        },
      ],
      volumes: [{ name: 'cfg', configMap: { name: 'missing' } }],
    } as never;
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { app: 'other' }, ports: [{ port: 1 }] } };
    const problems = referenceProblems([d, svc]).join('\n');
    expect(problems).toMatch(/missing ConfigMap missing/);
    expect(problems).toMatch(/undeclared Secret creds/);
    expect(problems).toMatch(/not pinned/);
    expect(problems).toMatch(/Service\/s: selector .* selects no pod template/);
    expect(referenceProblems([d], ['creds']).join()).not.toMatch(/creds/);
  });

  test('isPinned wants a tag other than latest, or a digest', () => {
    expect(isPinned('apache/kafka:3.9.1')).toBe(true);
    expect(isPinned('registry:5000/worker')).toBe(false);
    expect(isPinned('worker:latest')).toBe(false);
    expect(isPinned(`worker@sha256:${'a'.repeat(64)}`)).toBe(true);
  });

  test('topicsCreated reads the topics Job script', () => {
    const job = {
      kind: 'Job',
      spec: { template: { spec: { containers: [{ command: ['bash', '-c', 'kafka-topics.sh --create --topic a.b --partitions 4 --replication-factor 3'] }] } } },
    };
    expect([...topicsCreated([job])]).toEqual([['a.b', 4]]);
  });
});
