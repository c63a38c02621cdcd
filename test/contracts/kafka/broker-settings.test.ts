import {
  brokerProperties,
  listenerProperties,
  renderProperties,
  zookeeperProperties,
  type ListenerSpec,
} from '../../../contracts/kafka/broker-settings';

const listeners: ListenerSpec[] = [
  { name: 'INTERNAL', bind: { host: '127.0.0.1', port: 9092 } },
  { name: 'WAN', bind: { host: '127.0.0.1', port: 9093 }, advertised: { host: '127.0.0.1', port: 19093 } },
];

describe('listenerProperties', () => {
  test('binds every listener, advertises the WAN proxy address, and uses the first for inter-broker traffic', () => {
    const p = listenerProperties(listeners);
    expect(p.listeners).toBe('INTERNAL://127.0.0.1:9092,WAN://127.0.0.1:9093');
    expect(p['advertised.listeners']).toBe('INTERNAL://127.0.0.1:9092,WAN://127.0.0.1:19093');
    expect(p['listener.security.protocol.map']).toBe('INTERNAL:PLAINTEXT,WAN:PLAINTEXT');
    expect(p['inter.broker.listener.name']).toBe('INTERNAL');
  });

  test('never advertises the controller listener', () => {
    const p = listenerProperties(listeners, { name: 'CONTROLLER', bind: { host: '127.0.0.1', port: 9094 } });
    expect(p.listeners).toContain('CONTROLLER://127.0.0.1:9094');
    expect(p['advertised.listeners']).not.toContain('CONTROLLER');
    expect(p['controller.listener.names']).toBe('CONTROLLER');
  });

  test('writes per-listener security settings under listener.name.<name>', () => {
    const p = listenerProperties([
      { name: 'SECURE', bind: { host: '0.0.0.0', port: 9095 }, protocol: 'SASL_SSL', security: { 'sasl.enabled.mechanisms': 'SCRAM-SHA-512' } },
    ]);
    expect(p['listener.security.protocol.map']).toBe('SECURE:SASL_SSL');
    expect(p['listener.name.secure.sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512');
  });

  test('rejects duplicate and malformed listener names', () => {
    expect(() => listenerProperties([listeners[0], listeners[0]])).toThrow('"INTERNAL" is used twice');
    expect(() => listenerProperties([{ name: 'wan', bind: { host: 'h', port: 1 } }])).toThrow('upper-case');
    expect(() => listenerProperties([])).toThrow('at least one listener');
  });
});

describe('brokerProperties', () => {
  test('KRaft combined node: roles, node id, quorum voters and the controller listener', () => {
    const p = brokerProperties({
      nodeId: 2,
      coordination: 'kraft',
      clusterSize: 3,
      listeners,
      controllerListener: { name: 'CONTROLLER', bind: { host: '127.0.0.1', port: 9094 } },
      controllerQuorumVoters: ['1@h:1', '2@h:2', '3@h:3'],
      logDirs: '/data',
    });
    expect(p['process.roles']).toBe('broker,controller');
    expect(p['node.id']).toBe('2');
    expect(p['controller.quorum.voters']).toBe('1@h:1,2@h:2,3@h:3');
    expect(p['broker.id']).toBeUndefined();
    expect(p['zookeeper.connect']).toBeUndefined();
    expect(p['default.replication.factor']).toBe('3');
    expect(p['min.insync.replicas']).toBe('2');
    expect(p['offsets.topic.replication.factor']).toBe('3');
    expect(p['unclean.leader.election.enable']).toBe('false');
  });

  test('KRaft broker-only node still names the controller listener and its protocol', () => {
    const p = brokerProperties({
      nodeId: 4, coordination: 'kraft', clusterSize: 1, listeners, roles: ['broker'],
      controllerQuorumVoters: ['1@h:1'], logDirs: '/data',
    });
    expect(p['process.roles']).toBe('broker');
    expect(p['controller.listener.names']).toBe('CONTROLLER');
    expect(p['listener.security.protocol.map']).toContain('CONTROLLER:PLAINTEXT');
    expect(p.listeners).not.toContain('CONTROLLER');
  });

  test('ZooKeeper broker: broker.id and zookeeper.connect, replication capped by a 1-broker cluster', () => {
    const p = brokerProperties({ nodeId: 1, coordination: 'zookeeper', clusterSize: 1, listeners, zookeeperConnect: 'h:2181', logDirs: '/d' });
    expect(p['broker.id']).toBe('1');
    expect(p['zookeeper.connect']).toBe('h:2181');
    expect(p['process.roles']).toBeUndefined();
    expect(p['offsets.topic.replication.factor']).toBe('1');
    expect(p['min.insync.replicas']).toBe('1');
  });

  test('tuning and overrides take effect, overrides last', () => {
    const p = brokerProperties({
      nodeId: 1, coordination: 'zookeeper', clusterSize: 1, listeners, zookeeperConnect: 'h:1', logDirs: '/d',
      tuning: { numIoThreads: 8 }, overrides: { 'num.io.threads': '4', 'log.retention.ms': '1000' },
    });
    expect(p['num.io.threads']).toBe('4');
    expect(p['log.retention.ms']).toBe('1000');
    expect(p['group.initial.rebalance.delay.ms']).toBe('0');
  });

  test('invalid input fails with a message naming the field', () => {
    const base = { nodeId: 1, coordination: 'zookeeper' as const, clusterSize: 1, listeners, zookeeperConnect: 'h:1', logDirs: '/d' };
    expect(() => brokerProperties({ ...base, defaultReplicationFactor: 2 })).toThrow('defaultReplicationFactor (2) must be between 1 and clusterSize (1)');
    expect(() => brokerProperties({ ...base, clusterSize: 3, defaultReplicationFactor: 2, minInsyncReplicas: 3 })).toThrow('minInsyncReplicas (3)');
    expect(() => brokerProperties({ ...base, zookeeperConnect: undefined })).toThrow('zookeeperConnect');
    expect(() => brokerProperties({ ...base, coordination: 'kraft' })).toThrow('controllerQuorumVoters');
  });
});

test('zookeeperProperties and renderProperties produce a loadable zoo.cfg', () => {
  const text = renderProperties(zookeeperProperties({ dataDir: '/z', clientPort: 2181 }), 'hdr');
  expect(text.split('\n')).toEqual(expect.arrayContaining(['# hdr', 'clientPort=2181', 'dataDir=/z', 'admin.enableServer=false']));
  expect(renderProperties({ 'a=b': 'x\ny' })).toBe('a\\=b=x\\ny\n');
});
