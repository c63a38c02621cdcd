/**
 * The synthesized broker and MirrorMaker 2 properties are handed to Apache Kafka 3.9's own config classes
 * (KafkaConfig, MirrorMakerConfig + Connect's config-provider transform), with the Secret-backed env vars set:
 * Kafka must accept every file and resolve every `${env:…}` reference. Needs Java and the Kafka jars
 * (fetched on demand, as the Kafka tests do); starts no broker.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildContinuum } from '../../constructs/continuum';
import { parseEnvironment } from '../../environments';
import { paperHa } from '../../environments/paper-ha';
import { kafkaDistribution } from '../../runtime/kafka/distribution';
import type { Manifest } from './manifest-checks';

const CHECKER = path.join(__dirname, 'java', 'CheckKafkaConfig.java');
const SECRETS = { KAFKA_TLS_KEYSTORE_PASSWORD: 'ks-secret', MM2_EDGE_USERNAME: 'ddnn-mirror-maker', MM2_EDGE_PASSWORD: 'edge-secret', MM2_CLOUD_USERNAME: 'ddnn-mirror-maker', MM2_CLOUD_PASSWORD: 'cloud-secret' };

/** Writes every properties file of an environment and returns `java` arguments checking them. */
function writeConfigs(coordination: 'zookeeper' | 'kraft', dir: string): string[] {
  const env = parseEnvironment({ ...paperHa(2), coordination });
  const args: string[] = [];
  for (const layer of buildContinuum(env, dir).layers) {
    const objects: Manifest[] = layer.app.charts.flatMap((c) => c.toJson());
    for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
      for (const [key, text] of Object.entries<string>(cm.data ?? {})) {
        const file = path.join(dir, `${coordination}-${layer.layer}-${key}`);
        if (/^server-\d+\.properties$/.test(key)) {
          fs.writeFileSync(file, text);
          args.push(`broker=${file}`);
        } else if (key === 'mm2.properties') {
          fs.writeFileSync(file, text);
          const source = env.layers.find((l) => l.name !== layer.layer)!.name;
          args.push(`mm2=${file},${source},${layer.layer}`);
        }
      }
    }
  }
  return args;
}

describe('synthesized Kafka configuration, as Apache Kafka reads it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddnn-kafka-config-'));
  let parsed: Map<string, Record<string, string>>;

  beforeAll(() => {
    const dist = kafkaDistribution();
    const args = [...writeConfigs('zookeeper', dir), ...writeConfigs('kraft', dir)];
    const out = execFileSync(dist.java, ['-cp', dist.classpath, CHECKER, ...args], {
      env: { ...process.env, ...SECRETS },
      maxBuffer: 64 * 1024 * 1024,
    }).toString();
    parsed = new Map();
    for (const line of out.split('\n')) {
      const m = /^(\S+) ([^=]+)=(.*)$/.exec(line);
      if (!m) continue;
      if (!parsed.has(m[1])) parsed.set(m[1], {});
      parsed.get(m[1])![m[2]] = m[3];
    }
  }, 180_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const file = (name: string) => parsed.get(path.join(dir, name))!;

  test('KafkaConfig accepts every broker of both layers, in ZooKeeper and KRaft mode', () => {
    for (const coordination of ['zookeeper', 'kraft'])
      for (const layer of ['edge', 'cloud'])
        for (const i of [0, 1, 2]) expect(file(`${coordination}-${layer}-server-${i}.properties`)).toBeDefined();
    expect(file('zookeeper-cloud-server-2.properties')['broker.id']).toBe('2');
    expect(file('kraft-edge-server-1.properties')['node.id']).toBe('1');
    expect(file('kraft-edge-server-1.properties')['process.roles']).toMatch(/broker/);
  });

  test('the WAN listener is SASL_SSL with SCRAM-SHA-512; its keystore password resolves from the Secret-backed env var', () => {
    const broker = file('zookeeper-edge-server-0.properties');
    expect(broker['listener.security.protocol.map']).toContain('WAN:SASL_SSL');
    expect(broker['listener.name.wan.ssl.keystore.password']).toBe('ks-secret');
    expect(broker['listener.name.wan.sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512');
    expect(broker['listener.name.wan.scram-sha-512.sasl.jaas.config']).toBe('org.apache.kafka.common.security.scram.ScramLoginModule required;');
  });

  test('the authorizer fits the coordination mode, with the in-namespace PLAINTEXT principal as super user', () => {
    expect(file('zookeeper-edge-server-0.properties')['authorizer.class.name']).toBe('kafka.security.authorizer.AclAuthorizer');
    expect(file('kraft-cloud-server-2.properties')['authorizer.class.name']).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    for (const f of ['zookeeper-edge-server-0.properties', 'kraft-edge-server-0.properties']) {
      expect(file(f)['super.users']).toBe('User:ANONYMOUS');
      expect(file(f)['allow.everyone.if.no.acl.found']).toBe('false');
    }
  });

  test('MirrorMaker 2 reaches the remote cluster with resolved SASL credentials, identity names and its topics', () => {
    const intoCloud = file('zookeeper-cloud-mm2.properties');
    expect(intoCloud['source.cluster.alias']).toBe('edge');
    expect(intoCloud['source.cluster.security.protocol']).toBe('SASL_SSL');
    expect(intoCloud['source.cluster.sasl.mechanism']).toBe('SCRAM-SHA-512');
    expect(intoCloud['source.cluster.sasl.jaas.config']).toBe(
      'org.apache.kafka.common.security.scram.ScramLoginModule required username="ddnn-mirror-maker" password="edge-secret";',
    );
    expect(intoCloud['topics']).toBe('ddnn\\.cloud\\.requests');
    expect(intoCloud['replication.policy.class']).toBe('org.apache.kafka.connect.mirror.IdentityReplicationPolicy');
    const intoEdge = file('kraft-edge-mm2.properties');
    expect(intoEdge['source.cluster.sasl.jaas.config']).toContain('password="cloud-secret"');
    // paper-ha has 5 devices: one reply topic each.
    expect(intoEdge['topics']).toBe([0, 1, 2, 3, 4].map((i) => `ddnn\\.replies\\.device-${i}`).join(','));
  });
});
