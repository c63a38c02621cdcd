import { Testing } from 'cdk8s';
import { KafkaAccess, type KafkaAccessProps } from '../../constructs/k8s/kafka-access';
import { KafkaCluster } from '../../constructs/k8s/kafka-cluster';
import { find } from './fixtures';
import { type Manifest, containersOf, referenceProblems, schemaErrors } from './manifest-checks';

const external = { type: 'NodePort' as const, host: '203.0.113.7' };

function synth(extra: Partial<KafkaAccessProps> = {}, secure = true) {
  const chart = Testing.chart();
  const cluster = new KafkaCluster(chart, 'kafka', { name: 'kafka', brokers: 3, external, wanSecurity: secure ? { tlsSecretName: 'kafka-tls' } : undefined });
  const access = new KafkaAccess(chart, 'access', {
    cluster,
    users: [
      { name: 'ddnn-worker', secretName: 'kafka-wan-users' },
      { name: 'device-0', secretName: 'kafka-device-credentials' },
      { name: 'device-1', secretName: 'kafka-device-credentials' },
    ],
    acls: [
      { user: 'ddnn-worker', resource: 'topic', name: 'ddnn.cloud.requests', operations: ['Write', 'Describe'] },
      ...['device-0', 'device-1'].flatMap((d) => [
        { user: d, resource: 'topic' as const, name: `ddnn.replies.${d}`, operations: ['Read' as const, 'Describe' as const] },
        { user: d, resource: 'group' as const, name: `ddnn-device.${d}.`, pattern: 'prefixed' as const, operations: ['Read' as const] },
      ]),
    ],
    ...extra,
  });
  const objects: Manifest[] = Testing.synth(chart);
  const job = find(objects, 'Job', access.jobName);
  return { access, objects, job, script: containersOf(job)[0].command[2] as string };
}

describe('KafkaAccess', () => {
  test('creates each SCRAM-SHA-512 user with the password read from its mounted Secret, never a literal', () => {
    const { script, job } = synth();
    expect(script).toContain('scram device-0 /etc/kafka/users/kafka-device-credentials/device-0');
    expect(script).toContain('scram ddnn-worker /etc/kafka/users/kafka-wan-users/ddnn-worker');
    expect(script).toContain('--entity-type users --entity-name "$1" --add-config "SCRAM-SHA-512=[password=$pw]"');
    expect(script).toContain('pw=$(cat "$2")');
    expect(script).not.toMatch(/password=[^$]/);
    const pod = job.spec.template.spec;
    expect(pod.volumes).toContainEqual({
      name: 'users-1',
      secret: { secretName: 'kafka-device-credentials', defaultMode: 0o440, items: [{ key: 'device-0', path: 'device-0' }, { key: 'device-1', path: 'device-1' }] },
    });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'users-1', mountPath: '/etc/kafka/users/kafka-device-credentials', readOnly: true });
    expect(pod.containers[0].env).toContainEqual({ name: 'BOOTSTRAP', value: expect.stringContaining(':9092') });
  });

  test('grants each device READ on its own reply topic only (literal, so device-1 never matches device-10)', () => {
    const { script } = synth();
    const lines = script.split('\n').filter((l) => l.startsWith('acl '));
    expect(lines).toContain('acl --allow-principal User:device-0 --operation Read --operation Describe --topic ddnn.replies.device-0 --resource-pattern-type literal');
    expect(lines).toContain('acl --allow-principal User:device-1 --operation Read --operation Describe --topic ddnn.replies.device-1 --resource-pattern-type literal');
    expect(lines).toContain('acl --allow-principal User:device-1 --operation Read --group ddnn-device.device-1. --resource-pattern-type prefixed');
    expect(lines.filter((l) => l.includes('User:device-0')).every((l) => !l.includes('device-1'))).toBe(true);
    expect(lines).toContain('acl --allow-principal User:ddnn-worker --operation Write --operation Describe --topic ddnn.cloud.requests --resource-pattern-type literal');
  });

  test('lists the Secrets (and keys) the operator must create; synthesizes none', () => {
    const { access, objects } = synth();
    expect(access.secrets).toEqual([
      { name: 'kafka-wan-users', keys: ['ddnn-worker'] },
      { name: 'kafka-device-credentials', keys: ['device-0', 'device-1'] },
    ]);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(referenceProblems(objects, ['kafka-tls', 'kafka-wan-users', 'kafka-device-credentials'])).toEqual([]);
  });

  test('a changed declaration is a new Job (Jobs are immutable)', () => {
    const a = synth().access.jobName;
    const b = synth({ acls: [] }).access.jobName;
    expect(a).toMatch(/^kafka-access-[0-9a-f]{8}$/);
    expect(b).not.toBe(a);
  });

  test.each([
    [{}, false, /cluster.wanSecurity must be set/],
    [{ users: [] }, true, /users must not be empty/],
    [{ users: [{ name: 'bad name', secretName: 's' }] }, true, /users\[0\]\.name \("bad name"\) must match/],
    [{ acls: [{ user: 'nobody', resource: 'topic' as const, name: 't', operations: ['Read' as const] }] }, true, /acls\[0\]\.user \("nobody"\) is not one of the users/],
    [{ acls: [{ user: 'device-0', resource: 'topic' as const, operations: ['Read' as const] }] }, true, /acls\[0\]\.name \(undefined\) must be a topic name or prefix/],
  ])('refuses invalid props %j (secure %s)', (bad, secure, message) => {
    expect(() => synth(bad as Partial<KafkaAccessProps>, secure)).toThrow(message);
  });

  test('every object is valid against the Kubernetes schema, and the Job matches the snapshot', () => {
    const { objects, job } = synth();
    expect(objects.flatMap(schemaErrors)).toEqual([]);
    expect(job).toMatchSnapshot();
  });
});
