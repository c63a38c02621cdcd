/**
 * The Kafka-ML pipeline end to end on a real broker (issue 12): a few hundred CIFAR-10 images are ingested, a tiny
 * model trains a few steps from the topic, is registered (a second register is a no-op that says so), and rolled out
 * with the CLI to running edge and cloud workers that served another version; devices then get answers from the
 * new version. A rollout to a version the registry lacks fails naming it and leaves the workers as they were.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kafka } from 'kafkajs';
import { CONTROL_TOPIC, CONTROL_TOPIC_CONFIGS } from '../../contracts/control';
import { registryReference, ROLLOUT_TOPIC, ROLLOUT_TOPIC_CONFIGS } from '../../contracts/registry';
import { defaultCifar10Dir } from '../../models/cifar10';
import { ingestDataset } from '../../models/pipeline/ingest';
import { registerPartition } from '../../models/pipeline/register';
import { tinyArchitecture, writeTinyPartition } from '../../models/testing/tiny-model';
import { clientConfig } from '../../runtime/kafka/client-settings';
import { startCluster, type KafkaCluster } from '../../runtime/kafka/cluster';
import { runDevices } from '../../runtime/devices/simulator';
import { startWorker, type WorkerHandle } from '../../runtime/worker/worker';

const ROOT = path.resolve(__dirname, '../..');
jest.setTimeout(240_000);

/** Runs the CLI as a process, without blocking this one (the workers under test run here). */
function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'models/cli/pipeline.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out: out.replace(/\n*=+\nHi, looks like you are running TensorFlow\.js[^=]*=+\n*/g, '\n') });
    });
  });
}

describe('pipeline: ingest → train → register → rollout', () => {
  let cluster: KafkaCluster;
  let brokers: string[];
  let kafka: Kafka;
  let dir: string;
  const workers: WorkerHandle[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddnn-pipeline-e2e-'));
    cluster = await startCluster({ name: 'pipeline-e2e' });
    brokers = cluster.bootstrapServers.split(',');
    kafka = new Kafka(clientConfig('pipeline-e2e', brokers));
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a model trained from the topic is registered and rolled out to running workers, which answer with it', async () => {
    await ingestDataset({ brokers, data: defaultCifar10Dir(ROOT), limit: 300, evalLimit: 64, partitions: 3 });
    const arch = path.join(dir, 'tiny-branchynet.json');
    fs.writeFileSync(arch, JSON.stringify(tinyArchitecture()));
    const trained = path.join(dir, 'trained');
    // the CLI, as an operator runs it (tfjs-node's typed arrays do not survive jest's sandbox in-process)
    const train = await cli(['train', '--brokers', brokers.join(','), '--arch', arch, '--checkpoint-dir', path.join(dir, 'ckpt'), '--out', trained, '--max-steps', '4', '--log-every', '2']);
    expect(train.code).toBe(0);
    expect(fs.existsSync(path.join(trained, 'weights.json'))).toBe(true);

    // the continuum runs another version of the same architecture, loaded from the registry
    await cluster.createTopics([
      { name: 'edge-in', partitions: 2 },
      { name: 'cloud-in', partitions: 2 },
      { name: 'edge-in.dlq' },
      { name: 'cloud-in.dlq' },
      { name: CONTROL_TOPIC, configs: CONTROL_TOPIC_CONFIGS },
      { name: ROLLOUT_TOPIC, configs: ROLLOUT_TOPIC_CONFIGS },
    ]);
    const oldDir = path.join(dir, 'old');
    await writeTinyPartition('edge-cloud', oldDir, 3);
    const { version: old } = await registerPartition(oldDir, [kafka]);
    const common = { brokers: cluster.bootstrapServers, threshold: 0.5, httpPort: -1, logLevel: 'warn' as const };
    workers.push(await startWorker({ ...common, model: registryReference(old, 'cloud'), inputTopic: 'cloud-in', clientId: 'cloud-0' }, { processMetrics: false }));
    workers.push(await startWorker({ ...common, model: registryReference(old, 'edge'), inputTopic: 'edge-in', nextTopic: 'cloud-in', clientId: 'edge-0' }, { processMetrics: false }));
    await Promise.all(workers.map((w) => w.joined));

    const first = await cli(['register', '--brokers', brokers.join(','), '--model-dir', trained, '--arch', arch, '--placement', 'edge-cloud']);
    expect(first.code).toBe(0);
    const reg = { version: /^version ([0-9a-f]{16}): tiny-branchynet on edge → cloud$/m.exec(first.out)?.[1] ?? `(none in: ${first.out})` };
    expect(first.out).toContain(`published version ${reg.version}`);
    expect(reg.version).not.toBe(old);

    // the CLI: the same content again is a no-op; a version the registry lacks is refused; then the rollout
    const again = await cli(['register', '--brokers', brokers.join(','), '--model-dir', trained, '--arch', arch, '--placement', 'edge-cloud']);
    expect(again.out).toContain(`version ${reg.version} is already registered; nothing written`);
    expect(again.code).toBe(0);
    const missing = await cli(['rollout', 'feedfacefeedface', '--brokers', brokers.join(',')]);
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('model version feedfacefeedface is not in the registry of the cluster');
    const active = async () => Promise.all(workers.map(async (w) => (await w.metrics.registry.getSingleMetric('ddnn_model_active')!.get()).values.map((v) => v.labels.version)));
    expect(await active()).toEqual([[old], [old]]); // untouched
    const rolled = await cli(['rollout', reg.version, '--brokers', brokers.join(','), '--drain-timeout', '60']);
    console.log(`$ train\n${train.out}\n$ register\n${first.out}\n$ register (again)\n${again.out}\n$ rollout feedfacefeedface\n${missing.out}\n$ rollout ${reg.version}\n${rolled.out}`);
    expect(rolled.code).toBe(0);
    expect(rolled.out).toMatch(new RegExp(`done: edge → cloud serve ${reg.version}`));
    expect(await active()).toEqual([[reg.version], [reg.version]]);

    const run = await runDevices({ brokers, requestTopic: 'edge-in', replyTopicPrefix: 'e2e.replies', devices: 3, images: syntheticBatch(30), timeoutMs: 30_000 });
    expect(run.records.filter((r) => r.answeredAt === null)).toEqual([]);
    expect(new Set(run.records.map((r) => r.modelVersion))).toEqual(new Set([reg.version]));
  });
});

function syntheticBatch(n: number): { id: number; label: number; pixels: Uint8Array }[] {
  return Array.from({ length: n }, (_, id) => ({ id, label: id % 10, pixels: Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => (i * 7 + id * 13) & 0xff) }));
}
