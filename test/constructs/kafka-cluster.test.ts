import { createHash } from 'crypto';
import { Testing } from 'cdk8s';
import { kraftClusterId } from '../../contracts/kafka/cluster-id';
import { KafkaCluster } from '../../constructs/k8s/kafka-cluster';
import { IMAGES } from '../../contracts/versions';
import { type Manifest, referenceProblems, schemaErrors, snapshotView } from './manifest-checks';

const nodePort = { type: 'NodePort' as const, host: '203.0.113.7' };

function synth(props: Partial<ConstructorParameters<typeof KafkaCluster>[2]> = {}) {
  const chart = Testing.chart();
  const cluster = new KafkaCluster(chart, 'kafka', { name: 'kafka', brokers: 3, external: nodePort, layer: 'edge', ...props });
  const objects: Manifest[] = Testing.synth(chart);
  const get = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  return { cluster, objects, get };
}

const props = (text: string) => Object.fromEntries(text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/=(.*)/s).slice(0, 2)));

describe('KafkaCluster', () => {
  test('brokers run as a StatefulSet behind a headless Service, with a volume claim per broker', () => {
    const { get } = synth();
    const sts = get('StatefulSet', 'kafka');
    expect(sts.spec).toMatchObject({ replicas: 3, serviceName: 'kafka-headless', podManagementPolicy: 'Parallel' });
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
    expect(get('Service', 'kafka-headless').spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(sts.spec.template.spec.containers[0].image).toBe(IMAGES.kafka);
  });

  test('derives node.id from the pod ordinal: one properties file per broker, picked by ${HOSTNAME##*-}', () => {
    const { get } = synth();
    const cm = get('ConfigMap', 'kafka-config');
    expect(Object.keys(cm.data)).toEqual(['server-0.properties', 'server-1.properties', 'server-2.properties']);
    expect([0, 1, 2].map((i) => props(cm.data[`server-${i}.properties`])['node.id'])).toEqual(['0', '1', '2']);
    const script = get('StatefulSet', 'kafka').spec.template.spec.containers[0].command[2];
    expect(script).toContain('id=${HOSTNAME##*-}');
    expect(script).toContain('kafka-server-start.sh "$conf"');
  });

  test('advertises a stable internal address and its own WAN endpoint per broker', () => {
    const { get, cluster } = synth();
    const p1 = props(get('ConfigMap', 'kafka-config').data['server-1.properties']);
    expect(p1['advertised.listeners']).toBe('INTERNAL://kafka-1.kafka-headless:9092,WAN://203.0.113.7:30095');
    expect(p1['inter.broker.listener.name']).toBe('INTERNAL');
    expect(cluster.externalBootstrapServers).toBe('203.0.113.7:30094,203.0.113.7:30095,203.0.113.7:30096');
    const ext = get('Service', 'kafka-1-external');
    expect(ext.spec).toMatchObject({ type: 'NodePort', selector: { 'statefulset.kubernetes.io/pod-name': 'kafka-1' } });
    expect(ext.spec.ports[0]).toMatchObject({ nodePort: 30095, targetPort: 9094 });
  });

  test('KRaft: the first `quorum` brokers are also controllers and the storage is formatted with a stable cluster id', () => {
    const { get, cluster } = synth({ coordination: 'kraft', quorum: 3, brokers: 5 });
    const cm = get('ConfigMap', 'kafka-config');
    expect(props(cm.data['server-0.properties'])['process.roles']).toBe('broker,controller');
    expect(props(cm.data['server-4.properties'])['process.roles']).toBe('broker');
    expect(props(cm.data['server-4.properties'])['controller.quorum.voters']).toBe(
      '0@kafka-0.kafka-headless:9093,1@kafka-1.kafka-headless:9093,2@kafka-2.kafka-headless:9093',
    );
    const container = get('StatefulSet', 'kafka').spec.template.spec.containers[0];
    expect(container.command[2]).toContain('kafka-storage.sh format --ignore-formatted --cluster-id "$CLUSTER_ID"');
    expect(container.env).toContainEqual({ name: 'CLUSTER_ID', value: cluster.clusterId });
    expect(cluster.clusterId).toBe(kraftClusterId('edge/kafka'));
    expect(cluster.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  test('ZooKeeper: an ensemble StatefulSet with myid from the ordinal, brokers connect under a chroot', () => {
    const { get, cluster } = synth({ coordination: 'zookeeper', quorum: 3 });
    const zk = get('StatefulSet', 'kafka-zookeeper');
    expect(zk.spec.replicas).toBe(3);
    expect(zk.spec.template.spec.containers[0].command[2]).toContain('ZOO_MY_ID=$(( ${HOSTNAME##*-} + 1 ))');
    const zoo = props(get('ConfigMap', 'kafka-zookeeper-config').data['zoo.cfg']);
    expect(zoo['server.3']).toBe('kafka-zookeeper-2.kafka-zookeeper-headless:2888:3888');
    expect(zoo.standaloneEnabled).toBe('false');
    const broker = props(get('ConfigMap', 'kafka-config').data['server-0.properties']);
    expect(broker['zookeeper.connect']).toBe(`${cluster.zookeeper!.connectString}/kafka`);
    expect(broker['broker.id']).toBe('0');
    expect(broker['process.roles']).toBeUndefined();
  });

  test('WAN listener is SASL_SSL with SCRAM-SHA-512; its keystore password comes from a Secret, never the manifest', () => {
    const { get, objects } = synth({ wanSecurity: { tlsSecretName: 'tls' } });
    const p = props(get('ConfigMap', 'kafka-config').data['server-0.properties']);
    expect(p['listener.security.protocol.map']).toBe('INTERNAL:PLAINTEXT,WAN:SASL_SSL,CONTROLLER:PLAINTEXT');
    expect(p['listener.name.wan.sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512');
    // SCRAM's server side needs a login context, but no credentials: users live in the cluster's metadata.
    expect(p['listener.name.wan.scram-sha-512.sasl.jaas.config']).toBe('org.apache.kafka.common.security.scram.ScramLoginModule required;');
    expect(Object.keys(p).filter((k) => /plain/i.test(k))).toEqual([]);
    expect(p['listener.name.wan.ssl.keystore.password']).toBe('${env:KAFKA_TLS_KEYSTORE_PASSWORD}');
    expect(p['config.providers']).toBe('env');
    const env = get('StatefulSet', 'kafka').spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'KAFKA_TLS_KEYSTORE_PASSWORD', valueFrom: { secretKeyRef: { name: 'tls', key: 'keystore-password' } } });
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(referenceProblems(objects, ['tls'])).toEqual([]);
  });

  test.each([
    ['kraft', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'],
    ['zookeeper', 'kafka.security.authorizer.AclAuthorizer'],
  ] as const)('a secured %s cluster denies what no ACL allows; the in-namespace PLAINTEXT principal is the super user', (coordination, authorizer) => {
    const { get } = synth({ coordination, wanSecurity: { tlsSecretName: 'tls' } });
    const p = props(get('ConfigMap', 'kafka-config').data['server-1.properties']);
    expect(p['authorizer.class.name']).toBe(authorizer);
    expect(p['super.users']).toBe('User:ANONYMOUS');
    expect(p['allow.everyone.if.no.acl.found']).toBe('false');
    expect(p['inter.broker.listener.name']).toBe('INTERNAL');
  });

  test('without wanSecurity there is no authorizer (PLAINTEXT test setups)', () => {
    const { get } = synth({});
    const p = props(get('ConfigMap', 'kafka-config').data['server-0.properties']);
    expect(p['listener.security.protocol.map']).toContain('WAN:PLAINTEXT');
    expect(p['authorizer.class.name']).toBeUndefined();
  });

  test('secure, probed and spread by default', () => {
    const { get } = synth({ antiAffinity: 'required' });
    const pod = get('StatefulSet', 'kafka').spec.template.spec;
    const c = pod.containers[0];
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.readinessProbe.tcpSocket.port).toBe(9092);
    expect(c.startupProbe.failureThreshold).toBeGreaterThan(10);
    expect(c.env).toContainEqual({ name: 'KAFKA_HEAP_OPTS', value: '-Xms1024m -Xmx1024m' });
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
    expect(get('PodDisruptionBudget', 'kafka').spec.maxUnavailable).toBe(1);
  });

  test('LoadBalancer access names the reserved static address and restricts sources', () => {
    const { get, cluster } = synth({
      external: { type: 'LoadBalancer', hostPattern: 'kafka-{ordinal}.example.net', staticAddressNames: ['a0', 'a1', 'a2'], sourceRanges: ['198.51.100.0/24'] },
    });
    expect(cluster.externalEndpoints[2]).toBe('kafka-2.example.net:9094');
    const svc = get('Service', 'kafka-2-external');
    expect(svc.metadata.annotations).toEqual({ 'networking.gke.io/load-balancer-ip-addresses': 'a2' });
    expect(svc.spec).toMatchObject({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', loadBalancerSourceRanges: ['198.51.100.0/24'] });
  });

  test.each([
    [{ brokers: 1, coordination: 'kraft' as const, quorum: 3 }, /quorum \(3\) must be ≤ brokers \(1\)/],
    [{ quorum: 2 }, /quorum \(2\) must be 1 or an odd number/],
    [{ brokers: 1, defaultReplicationFactor: 3 }, /defaultReplicationFactor \(3\) must be ≤ brokers \(1\)/],
    [{ minInSyncReplicas: 4 }, /minInSyncReplicas \(4\) must be ≤ defaultReplicationFactor \(3\)/],
    [{ brokers: 3, external: { type: 'NodePort' as const, host: 'h', basePort: 32766 } }, /node port range/],
  ])('refuses invalid props %j', (bad, message) => {
    expect(() => synth(bad)).toThrow(message);
  });

  test('ZooKeeper keeps its transaction log on the data volume claim, not on scratch space', () => {
    const { objects, cluster } = synth({ coordination: 'zookeeper', brokers: 1, quorum: 1 });
    const zk = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === cluster.zookeeper!.name)!;
    const cfg = props(objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `${cluster.zookeeper!.name}-config`)!.data['zoo.cfg']);
    const container = zk.spec.template.spec.containers[0];
    const claims = zk.spec.volumeClaimTemplates.map((c: Manifest) => c.metadata.name);
    // The deepest mount holding each directory decides where it lives.
    const volumeOf = (dir: string) =>
      container.volumeMounts
        .filter((m: Manifest) => dir === m.mountPath || dir.startsWith(`${m.mountPath}/`))
        .sort((a: Manifest, b: Manifest) => b.mountPath.length - a.mountPath.length)[0]?.name;
    for (const dir of [cfg.dataDir, cfg.dataLogDir]) expect(claims).toContain(volumeOf(dir));
    expect(cfg.dataLogDir).toBe(cluster.zookeeper!.dataLogDir);
    expect(container.env).toContainEqual({ name: 'ZOO_DATA_LOG_DIR', value: cfg.dataLogDir });
    expect(zk.spec.template.spec.volumes.filter((v: Manifest) => v.emptyDir).map((v: Manifest) => v.name)).not.toContain(volumeOf(cfg.dataLogDir));
    expect(cfg).toMatchObject({ 'autopurge.snapRetainCount': '3', 'autopurge.purgeInterval': '1' });
  });

  test("a KRaft cluster id never starts with '-', whatever the name hashes to", () => {
    const first = (seed: string) => createHash('sha256').update(`ddnn-kraft:${seed}`).digest().subarray(0, 16).toString('base64url');
    const name = Array.from({ length: 2000 }, (_, i) => `kafka-${i}`).find((n) => first(`edge/${n}`).startsWith('-'))!;
    const { get, cluster } = synth({ name });
    expect(cluster.clusterId).not.toMatch(/^-/);
    expect(get('StatefulSet', name).spec.template.spec.containers[0].env).toContainEqual({ name: 'CLUSTER_ID', value: cluster.clusterId });
  });

  test('every object is valid against the Kubernetes schema, and matches the snapshot', () => {
    const { objects } = synth({ coordination: 'zookeeper' });
    expect(objects.flatMap(schemaErrors)).toEqual([]);
    expect(snapshotView(objects)).toMatchSnapshot();
  });
});
