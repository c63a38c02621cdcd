/**
 * Invalid launcher and security options fail before anything starts, with the field named (no broker, no data
 * dir left behind). Worker configs, environments, topics, MM2 flows and the WAN shape have their own such tests
 * next to their sources (test/runtime/worker/config.test.ts, test/environments, test/kafka).
 */
import { existsSync, readdirSync } from 'fs';
import * as path from 'path';
import { startCluster } from '../../runtime/kafka/cluster';
import { REPO } from './harness';

const kafkaDirs = () => (existsSync(path.join(REPO, '.kafka')) ? readdirSync(path.join(REPO, '.kafka')).filter((d) => d.startsWith('invalid-')) : []);

test.each([
  [{ name: 'invalid-a', brokers: 4 }, /brokers \(4\) must be 1, 2 or 3/],
  [{ name: 'Invalid Name' }, /name "Invalid Name" must match/],
  [{ name: 'invalid-b', coordination: 'zookeeper' as const, security: {} }, /security: needs coordination 'kraft' \(got 'zookeeper'\)/],
  [{ name: 'invalid-c', security: { users: { 'device 1': 'long-enough-pw' } } }, /security\.users: name "device 1"/],
  [{ name: 'invalid-d', security: { users: { 'device-1': 'short' } } }, /security\.users: password of "device-1"/],
  [{ name: 'invalid-e', security: { users: { admin: 'long-enough-pw' } } }, /"admin" is the broker's own user/],
])('%j is refused with the field named', async (options, message) => {
  await expect(startCluster({ fetch: false, ...options })).rejects.toThrow(message);
  expect(kafkaDirs()).toEqual([]);
});
