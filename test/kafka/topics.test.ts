import { resolveTopic } from '../../runtime/kafka/topics';

test('fills defaults from the cluster size and sets min.insync.replicas as a topic config', () => {
  expect(resolveTopic({ name: 'a' }, 3)).toEqual({ name: 'a', partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
  expect(resolveTopic({ name: 'a', partitions: 4 }, 1)).toEqual({ name: 'a', partitions: 4, replicationFactor: 1, configs: { 'min.insync.replicas': '1' } });
});

test('errors name the field and the allowed range', () => {
  expect(() => resolveTopic({ name: 'a', replicationFactor: 3 }, 1)).toThrow('topic a: replicationFactor (3) must be between 1 and brokers (1)');
  expect(() => resolveTopic({ name: 'a', replicationFactor: 2, minInsyncReplicas: 3 }, 3)).toThrow('minInsyncReplicas (3)');
  expect(() => resolveTopic({ name: 'a', partitions: 0 }, 1)).toThrow('partitions (0)');
  expect(() => resolveTopic({ name: 'a b' }, 1)).toThrow('topic name "a b"');
});
