import { Testing } from 'cdk8s';
import { MirrorMaker2 } from '../../constructs/k8s/mirror-maker2';
import { clusterWithTopics, find } from './fixtures';
import { type Manifest, referenceProblems, schemaErrors, snapshotView } from './manifest-checks';

/** Reads a .properties file as Java does for the escapes renderProperties writes (`\\`, `\=`, `\:`). */
const unescape = (s: string) => s.replace(/\\(.)/g, '$1');
const props = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const eq = l.search(/(?<!\\)=/);
        return [unescape(l.slice(0, eq)), unescape(l.slice(eq + 1))];
      }),
  );

function synth(security = true, topics = ['ddnn.cloud.requests']) {
  const { chart, cluster, topics: declared } = clusterWithTopics([{ name: 'ddnn.cloud.requests', partitions: 3 }, { name: 'ddnn.replies', partitions: 3 }]);
  const mm2 = new MirrorMaker2(chart, 'mm2', {
    name: 'mirror-maker2-edge-to-cloud',
    targetAlias: 'cloud',
    target: cluster,
    targetTopics: declared,
    sources: [
      {
        alias: 'edge',
        bootstrapServers: '192.0.2.11:30094,192.0.2.11:30095',
        brokers: 3,
        topics,
        security: security ? { credentialsSecretName: 'kafka-edge-client', caSecretName: 'kafka-edge-ca' } : undefined,
      },
    ],
  });
  const objects: Manifest[] = Testing.synth(chart);
  return { mm2, objects, p: props(find(objects, 'ConfigMap', 'mirror-maker2-edge-to-cloud-config').data['mm2.properties']) };
}

describe('MirrorMaker2', () => {
  test('one flow per direction into the cluster it runs next to, topic names kept', () => {
    const { p, objects } = synth();
    expect(p['edge->cloud.enabled']).toBe('true');
    expect(p['cloud->edge.enabled']).toBe('false');
    expect(p['edge->cloud.topics']).toBe('ddnn\\.cloud\\.requests');
    expect(p['replication.policy.class']).toBe('org.apache.kafka.connect.mirror.IdentityReplicationPolicy');
    expect(p['edge.bootstrap.servers']).toBe('192.0.2.11:30094,192.0.2.11:30095');
    expect(p['cloud.bootstrap.servers']).toContain('kafka-0.kafka-headless:9092');
    const c = find(objects, 'Deployment', 'mirror-maker2-edge-to-cloud').spec.template.spec.containers[0];
    expect(c.command).toEqual(['/opt/kafka/bin/connect-mirror-maker.sh', '/etc/mm2/mm2.properties', '--clusters', 'cloud']);
  });

  test('low-latency settings from the shared MM2 settings, one task per partition, fast topic discovery', () => {
    const { p } = synth();
    expect(p['tasks.max']).toBe('3');
    expect(p['refresh.topics.interval.seconds']).toBe('5');
    expect(p['edge.consumer.fetch.max.wait.ms']).toBe('500');
    expect(p['cloud.producer.linger.ms']).toBe('0');
  });

  test('SASL_SSL to the remote cluster with credentials from Secrets through the env config provider', () => {
    const { p, objects } = synth();
    expect(p['edge.security.protocol']).toBe('SASL_SSL');
    expect(p['edge.sasl.mechanism']).toBe('SCRAM-SHA-512');
    expect(p['edge.sasl.jaas.config']).toBe(
      'org.apache.kafka.common.security.scram.ScramLoginModule required username="${env:MM2_EDGE_USERNAME}" password="${env:MM2_EDGE_PASSWORD}";',
    );
    expect(p['edge.ssl.truststore.location']).toBe('/etc/mm2/ca/edge/ca.crt');
    expect(p['cloud.security.protocol']).toBeUndefined();
    expect(referenceProblems(objects, ['kafka-edge-client', 'kafka-edge-ca'])).toEqual([]);
    for (const value of Object.values(p)) if (/password=/.test(value)) expect(value).toMatch(/password="\$\{env:[A-Z0-9_]+\}"/);
  });

  test('refuses a topic the target cluster does not declare', () => {
    expect(() => synth(true, ['ddnn.nope'])).toThrow(/topic "ddnn.nope" is not declared in kafka/);
  });

  test('every object is valid against the Kubernetes schema, and matches the snapshot', () => {
    const { objects } = synth(false);
    expect(objects.flatMap(schemaErrors)).toEqual([]);
    expect(snapshotView(objects.filter((o) => o.metadata.name.startsWith('mirror-maker2')))).toMatchSnapshot();
  });
});
