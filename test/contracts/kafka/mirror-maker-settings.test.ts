import { mirrorMakerProperties } from '../../../contracts/kafka/mirror-maker-settings';

const clusters = [
  { alias: 'edge', bootstrapServers: 'e:1', brokers: 1 },
  { alias: 'cloud', bootstrapServers: 'c:1', brokers: 3 },
];

test('mirrors each direction\'s own topics under their own names', () => {
  const p = mirrorMakerProperties({
    clusters,
    flows: [
      { source: 'edge', target: 'cloud', topics: ['edge.cloud', 'x'] },
      { source: 'cloud', target: 'edge', topics: ['cloud.edge'] },
    ],
  });
  expect(p.clusters).toBe('edge,cloud');
  expect(p['replication.policy.class']).toBe('org.apache.kafka.connect.mirror.IdentityReplicationPolicy');
  expect(p['edge->cloud.enabled']).toBe('true');
  expect(p['edge->cloud.topics']).toBe('edge\\.cloud,x');
  expect(p['cloud->edge.topics']).toBe('cloud\\.edge');
  expect(p['edge.bootstrap.servers']).toBe('e:1');
  expect(p['emit.heartbeats.enabled']).toBe('false');
  // Replication capped by the smallest cluster.
  expect(p['replication.factor']).toBe('1');
  expect(p['config.storage.replication.factor']).toBe('1');
  expect(p['cloud.producer.linger.ms']).toBe('0');
  expect(p['refresh.topics.interval.seconds']).toBe('5');
});

test('disables directions without a flow', () => {
  const p = mirrorMakerProperties({ clusters, flows: [{ source: 'edge', target: 'cloud', topics: ['a'] }] });
  expect(p['cloud->edge.enabled']).toBe('false');
});

test('refuses a topic mirrored both ways (an identity-name cycle)', () => {
  expect(() =>
    mirrorMakerProperties({
      clusters,
      flows: [
        { source: 'edge', target: 'cloud', topics: ['a'] },
        { source: 'cloud', target: 'edge', topics: ['a'] },
      ],
    }),
  ).toThrow('topic "a" is mirrored by both edge->cloud and cloud->edge');
});

test('rejects unknown clusters, empty flows and an oversized replication factor', () => {
  expect(() => mirrorMakerProperties({ clusters, flows: [{ source: 'fog', target: 'cloud', topics: ['a'] }] })).toThrow('"fog" is not in clusters');
  expect(() => mirrorMakerProperties({ clusters, flows: [] })).toThrow('at least one flow');
  expect(() => mirrorMakerProperties({ clusters, flows: [{ source: 'edge', target: 'cloud', topics: ['a'] }], replicationFactor: 2 })).toThrow(
    'replicationFactor (2)',
  );
});
