/**
 * TLS + SASL/SCRAM end to end with real brokers: an edge cluster (StandardAuthorizer, per-device ACLs) and a cloud
 * cluster behind a WAN link, both with every client listener on SASL_SSL; MirrorMaker 2, the workers and the
 * devices each log in with their own SCRAM user over TLS.
 *
 * - a client without credentials (plain TCP, TLS without SASL, a wrong password) is refused; the right user works;
 * - devices get every answer through workers and MM2 over TLS;
 * - a device may read only its own reply topic (and write only the request topic): per-device reply topics plus
 *   literal ACLs for each device's SCRAM user.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, ResourcePatternTypes } from 'kafkajs';
import { clientConfig, LOW_LATENCY_CONSUMER } from '../../runtime/kafka/client-settings';
import { startCluster, type KafkaCluster } from '../../runtime/kafka/cluster';
import { startMirrorMaker2, type MirrorMaker2 } from '../../runtime/kafka/mirror-maker';
import { asUser, randomPassword } from '../../runtime/kafka/security';
import { replyTopicFor, runDevices } from '../../runtime/devices/simulator';
import { startWorker, type WorkerHandle } from '../../runtime/worker/worker';
import { prepareTinyModel, report, tally, type TinyContinuumModel } from './harness';

jest.setTimeout(240_000);

const DEVICES = ['device-0', 'device-1'];
const passwords: Record<string, string> = Object.fromEntries([...DEVICES, 'edge-worker', 'cloud-worker'].map((u) => [u, randomPassword()]));
const replyTopics = DEVICES.map((d) => replyTopicFor('replies', d));

let dir: string;
let edge: KafkaCluster;
let cloud: KafkaCluster;
let mm2: MirrorMaker2;
let model: TinyContinuumModel;
const workers: WorkerHandle[] = [];

function acl(principal: string, resourceType: AclResourceTypes, resourceName: string, operation: AclOperationTypes, prefixed = false) {
  return {
    resourceType,
    resourceName,
    resourcePatternType: prefixed ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    principal: `User:${principal}`,
    host: '*',
    operation,
    permissionType: AclPermissionTypes.ALLOW,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ddnn-security-'));
  model = await prepareTinyModel(dir, 16);
  [edge, cloud] = await Promise.all([
    startCluster({ name: 'sec-edge', security: { users: { 'device-0': passwords['device-0'], 'device-1': passwords['device-1'], 'edge-worker': passwords['edge-worker'] }, authorizer: true } }),
    startCluster({ name: 'sec-cloud', wan: { latencyMs: 2 }, security: { users: { 'cloud-worker': passwords['cloud-worker'] } } }),
  ]);
  await edge.createTopics([{ name: 'edge-in', partitions: 2 }, { name: 'edge-in.dlq' }, { name: 'cloud-in' }, ...replyTopics.map((name) => ({ name }))]);
  await cloud.createTopics([{ name: 'cloud-in' }, { name: 'cloud-in.dlq' }, ...replyTopics.map((name) => ({ name }))]);
  const T = AclResourceTypes.TOPIC;
  const G = AclResourceTypes.GROUP;
  const O = AclOperationTypes;
  await edge.withAdmin((a) =>
    a.createAcls({
      acl: [
        acl('edge-worker', T, 'edge-in', O.READ),
        acl('edge-worker', G, 'ddnn-worker.', O.READ, true),
        acl('edge-worker', T, 'cloud-in', O.WRITE),
        acl('edge-worker', T, 'edge-in.dlq', O.WRITE),
        acl('edge-worker', T, 'replies.', O.WRITE, true),
        ...DEVICES.flatMap((d) => [
          acl(d, T, 'edge-in', O.WRITE),
          acl(d, T, replyTopicFor('replies', d), O.READ),
          acl(d, G, `ddnn-device.${d}.`, O.READ, true),
        ]),
      ],
    }),
  );
  mm2 = await startMirrorMaker2({
    clusters: { edge, cloud },
    flows: [
      { source: 'edge', target: 'cloud', topics: ['cloud-in'] },
      { source: 'cloud', target: 'edge', topics: replyTopics },
    ],
    dir: path.join(dir, 'mm2'),
  });
  const common = { threshold: model.threshold, batchMaxWaitMs: 2, httpPort: -1, logLevel: 'warn' as const, kafkaSecurityScope: 'all' as const, kafkaSaslMechanism: 'scram-sha-512' as const };
  workers.push(
    await startWorker(
      { ...common, brokers: cloud.bootstrapServers, model: model.cloud, inputTopic: 'cloud-in', kafkaSaslUsername: 'cloud-worker', kafkaSaslPassword: passwords['cloud-worker'], kafkaTlsCaFile: cloud.security!.caFile },
      { processMetrics: false },
    ),
    await startWorker(
      { ...common, brokers: edge.bootstrapServers, model: model.edge, inputTopic: 'edge-in', nextTopic: 'cloud-in', kafkaSaslUsername: 'edge-worker', kafkaSaslPassword: passwords['edge-worker'], kafkaTlsCaFile: edge.security!.caFile },
      { processMetrics: false },
    ),
  );
  await Promise.all(workers.map((w) => w.joined));
}, 300_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await mm2?.stop();
  await Promise.all([edge?.stop(), cloud?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Connects an admin with `config` and lists topics; resolves to the topics or the error message. */
async function tryList(config: ConstructorParameters<typeof Kafka>[0]): Promise<string[] | string> {
  const admin = new Kafka({ ...config, connectionTimeout: 2_000, retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 200 } }).admin();
  try {
    await admin.connect();
    return await admin.listTopics();
  } catch (e) {
    return (e as Error).message;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

test('a client without credentials is refused; the right SCRAM user over TLS gets in', async () => {
  const brokers = edge.bootstrapServers.split(',');
  const s = edge.security!;
  const plain = await tryList({ clientId: 'no-tls', brokers, logLevel: 0 });
  const tlsOnly = await tryList({ clientId: 'tls-no-sasl', brokers, ssl: { ca: [s.caPem] }, logLevel: 0 });
  const wrong = await tryList(clientConfig('wrong-password', brokers, asUser(s, 'device-0', 'not-the-password')));
  const untrusted = await tryList({ ...clientConfig('untrusted-ca', brokers, asUser(s, 'device-0', passwords['device-0'])), ssl: true });
  const right = await tryList(clientConfig('device-0', brokers, asUser(s, 'device-0', passwords['device-0'])));
  const admin = await tryList(clientConfig('admin', brokers, s));
  process.stdout.write(`\n── security: refused/allowed ──\n${JSON.stringify({ plain, tlsOnly, wrong, untrusted, right, admin }, null, 2)}\n`);
  for (const refused of [plain, tlsOnly, wrong, untrusted]) expect(typeof refused).toBe('string');
  expect(wrong).toMatch(/SASL SCRAM SHA512 authentication failed/i);
  // device-0 sees only the topics its ACLs name; the admin sees everything.
  expect(right).toEqual(expect.arrayContaining(['edge-in', 'replies.device-0']));
  expect(right).not.toContain('replies.device-1');
  expect(admin).toEqual(expect.arrayContaining(['edge-in', 'cloud-in', ...replyTopics]));
});

test('devices get every answer through workers and MirrorMaker 2, all over TLS + SCRAM', async () => {
  const result = await runDevices({
    brokers: edge.bootstrapServers.split(','),
    requestTopic: 'edge-in',
    replyTopicPrefix: 'replies',
    devices: DEVICES.length,
    images: model.images,
    createReplyTopics: false,
    mode: { kind: 'closed-loop', window: 2 },
    timeoutMs: 60_000,
    security: (id) => asUser(edge.security!, id, passwords[id]),
  });
  const t = tally('TLS + SCRAM end to end (ACLs on)', DEVICES.length, result, model);
  report('security.json', [t]);
  expect({ answered: t.answered, lost: t.lost, misrouted: t.misrouted }).toEqual({ answered: t.sent, lost: 0, misrouted: 0 });
  expect(t.byLayer.cloud).toBeGreaterThan(0);
});

test("a device cannot read another device's answers nor write another layer's topic", async () => {
  const kafka = new Kafka(clientConfig('device-1-snooping', edge.bootstrapServers.split(','), asUser(edge.security!, 'device-1', passwords['device-1'])));
  const consumer = kafka.consumer({ ...LOW_LATENCY_CONSUMER, groupId: 'ddnn-device.device-1.snoop' });
  await consumer.connect();
  const snoop = await consumer
    .subscribe({ topic: 'replies.device-0', fromBeginning: true })
    .then(() => 'subscribed', (e: Error) => e.message);
  await consumer.disconnect();
  expect(snoop).toMatch(/not authorized/i);

  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  const forged = await producer
    .send({ topic: 'cloud-in', messages: [{ value: 'x' }] })
    .then(() => 'sent', (e: Error) => e.message);
  await producer.disconnect();
  expect(forged).toMatch(/not authorized/i);
});
