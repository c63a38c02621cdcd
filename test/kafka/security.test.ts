import { brokerProperties, LISTENER } from '../../contracts/kafka/broker-settings';
import { mirrorMakerProperties } from '../../contracts/kafka/mirror-maker-settings';
import {
  brokerSecurityProperties,
  checkUsers,
  formatScramArgs,
  javaClientSecurity,
  kafkajsSecurity,
  saslSslListenerSecurity,
} from '../../runtime/kafka/security';

const client = { caPem: '-----BEGIN CERTIFICATE-----\n…', caFile: '/tmp/ca.crt', username: 'device-0', password: 'pw-123456' };

describe('local Kafka security settings', () => {
  test('SASL_SSL listeners: keystore, SCRAM-SHA-512 and the broker login, prefixed per listener', () => {
    const props = brokerProperties({
      nodeId: 1,
      coordination: 'kraft',
      clusterSize: 1,
      controllerListener: { name: LISTENER.controller, bind: { host: '127.0.0.1', port: 3 } },
      controllerQuorumVoters: ['1@127.0.0.1:3'],
      logDirs: '/tmp/x',
      listeners: [
        { name: LISTENER.internal, bind: { host: '127.0.0.1', port: 1 }, protocol: 'SASL_SSL', security: saslSslListenerSecurity({ keystoreFile: '/k.p12', keystorePassword: 'ks' }, 'adminpw1') },
      ],
      overrides: brokerSecurityProperties('/ca.crt', true),
    });
    expect(props['listener.security.protocol.map']).toBe('INTERNAL:SASL_SSL,CONTROLLER:PLAINTEXT');
    expect(props['listener.name.internal.sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512');
    expect(props['listener.name.internal.scram-sha-512.sasl.jaas.config']).toContain('username="admin" password="adminpw1"');
    expect(props['listener.name.internal.ssl.keystore.location']).toBe('/k.p12');
    expect(props['sasl.mechanism.inter.broker.protocol']).toBe('SCRAM-SHA-512');
    expect(props['authorizer.class.name']).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(props['allow.everyone.if.no.acl.found']).toBe('false');
    expect(brokerSecurityProperties('/ca.crt', false)['authorizer.class.name']).toBeUndefined();
  });

  test('SCRAM users are added when the KRaft storage is formatted', () => {
    expect(formatScramArgs({ admin: 'a-password', 'device-0': 'd-password' })).toEqual([
      '--add-scram', 'SCRAM-SHA-512=[name=admin,password=a-password]',
      '--add-scram', 'SCRAM-SHA-512=[name=device-0,password=d-password]',
    ]);
  });

  test('user names and passwords that would break the JAAS line or the format argument are refused, naming the user', () => {
    expect(() => checkUsers({ 'device 0': 'long-enough' })).toThrow('security.users: name "device 0"');
    expect(() => checkUsers({ admin: 'long-enough' })).toThrow('"admin" is the broker\'s own user');
    expect(() => checkUsers({ d: 'short' })).toThrow('password of "d"');
    expect(() => checkUsers({ d: 'has"quote-inside' })).toThrow('password of "d"');
    expect(() => checkUsers({ d: 'fine-password' })).not.toThrow();
  });

  test('kafkajs and Java clients get TLS with the local CA and a SCRAM login', () => {
    expect(kafkajsSecurity(client)).toEqual({ ssl: { ca: [client.caPem] }, sasl: { mechanism: 'scram-sha-512', username: 'device-0', password: 'pw-123456' } });
    expect(javaClientSecurity(client)).toMatchObject({ 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'SCRAM-SHA-512', 'ssl.truststore.location': '/tmp/ca.crt' });
  });

  test('MirrorMaker 2 gets the client security of each secured cluster under its alias', () => {
    const props = mirrorMakerProperties({
      clusters: [
        { alias: 'edge', bootstrapServers: 'e:1', brokers: 1, security: javaClientSecurity(client) },
        { alias: 'cloud', bootstrapServers: 'c:1', brokers: 1 },
      ],
      flows: [{ source: 'edge', target: 'cloud', topics: ['t'] }],
    });
    expect(props['edge.security.protocol']).toBe('SASL_SSL');
    expect(props['edge.sasl.jaas.config']).toContain('username="device-0"');
    expect(props['cloud.security.protocol']).toBeUndefined();
  });
});
