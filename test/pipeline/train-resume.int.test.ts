/**
 * The pipeline's ingest and train steps on a real broker (issue 12, part A): a few hundred CIFAR-10 images go into
 * the dataset topics (idempotently), a trainer started as a real process is SIGKILLed mid-epoch and restarted, and
 * finishes; every training record of the epoch was read at least once and the count it logs of records read twice
 * is the one its reads log shows. Bad input (a corrupt dataset file, an exit the spec does not have) fails naming it.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startCluster, type KafkaCluster } from '../../runtime/kafka/cluster';
import { defaultCifar10Dir } from '../../models/cifar10';
import { RECORD_BYTES } from '../../contracts/cifar10';
import { tinyArchitecture } from '../../models/testing/tiny-model';
import { ingestDataset } from '../../models/pipeline/ingest';
import { trainFromTopic, READS_LOG } from '../../models/pipeline/train';
import { CHECKPOINT_FILE } from '../../models/pipeline/checkpoint';
import { parseReadsLog, readCounts, remaining, rereadAfterResume, type PartitionRange } from '../../models/pipeline/epoch-offsets';
import { readTrainedWeights, disposeWeights } from '../../models/weights';

const ROOT = path.resolve(__dirname, '../..');
const DATA = defaultCifar10Dir(ROOT);
const TRAIN_IMAGES = 300;
jest.setTimeout(120_000);

describe('pipeline ingest + train on a real broker', () => {
  let cluster: KafkaCluster;
  let brokers: string[];
  let dir: string;
  let arch: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddnn-pipeline-it-'));
    arch = path.join(dir, 'tiny-branchynet.json');
    fs.writeFileSync(arch, JSON.stringify(tinyArchitecture()));
    cluster = await startCluster({ name: 'pipeline-it' });
    brokers = cluster.bootstrapServers.split(',');
    const first = await ingestDataset({ brokers, data: DATA, limit: TRAIN_IMAGES, evalLimit: 100, partitions: 3 });
    expect(first.train).toMatchObject({ records: TRAIN_IMAGES, produced: TRAIN_IMAGES, partitions: 3 });
    expect(first.eval).toMatchObject({ records: 100, produced: 100 });
  });

  afterAll(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('re-ingesting the same images produces nothing and says so', async () => {
    const lines: string[] = [];
    const again = await ingestDataset({ brokers, data: DATA, limit: TRAIN_IMAGES, evalLimit: 100, log: (l) => lines.push(l) });
    expect(again.train.produced).toBe(0);
    expect(again.eval.produced).toBe(0);
    expect(lines).toContain(`ddnn.dataset.train: already ingested ${TRAIN_IMAGES} records, nothing to do`);
    // a different count on the same topic is refused, not mixed in
    await expect(ingestDataset({ brokers, data: DATA, limit: 30, evalLimit: 100 })).rejects.toThrow(/ddnn\.dataset\.train holds other data .*--force/);
  });

  test('a corrupt dataset file fails naming the file and byte offset, before anything is produced', async () => {
    const bad = path.join(dir, 'corrupt');
    fs.mkdirSync(bad);
    const head = fs.readFileSync(path.join(DATA, 'data_batch_1.bin')).subarray(0, 20 * RECORD_BYTES + 100);
    fs.writeFileSync(path.join(bad, 'data_batch_1.bin'), head);
    fs.copyFileSync(path.join(DATA, 'test_batch.bin'), path.join(bad, 'test_batch.bin'));
    const topics = { trainTopic: 'corrupt-train', evalTopic: 'corrupt-eval' };
    await expect(ingestDataset({ brokers, data: bad, ...topics })).rejects.toThrow(
      `${path.join(bad, 'data_batch_1.bin')}: truncated or corrupt: ${head.length} bytes is not a whole number of ${RECORD_BYTES}-byte records; ` +
        `record 20 starts at byte offset ${20 * RECORD_BYTES}`,
    );
    const labelled = Buffer.from(head.subarray(0, 20 * RECORD_BYTES));
    labelled[7 * RECORD_BYTES] = 200;
    fs.writeFileSync(path.join(bad, 'data_batch_1.bin'), labelled);
    await expect(ingestDataset({ brokers, data: bad, limit: 20, ...topics })).rejects.toThrow(`record 7 at byte offset ${7 * RECORD_BYTES} has label 200`);
    const existing = await cluster.withAdmin((a) => a.listTopics());
    expect(existing).not.toContain('corrupt-train');
  });

  test('an exit the spec does not have fails naming it, before training', async () => {
    const base = { brokers, arch, checkpointDir: path.join(dir, 'never'), out: path.join(dir, 'never-out') };
    await expect(trainFromTopic({ ...base, exits: ['edge_exitX'] })).rejects.toThrow(
      "--exits: exit 'edge_exitX' is not in tiny-branchynet (its exits: edge_output, fog_output, cloud_output)",
    );
    await expect(trainFromTopic({ ...base, lossWeights: { cloud_exit: 0.5 } })).rejects.toThrow("--loss-weight: exit 'cloud_exit' is not in tiny-branchynet");
    expect(fs.existsSync(base.checkpointDir)).toBe(false);
  });

  test('a trainer SIGKILLed mid-epoch resumes from its checkpoint, reads every record, and counts what it read twice', async () => {
    const ckpt = path.join(dir, 'ckpt');
    const out = path.join(dir, 'trained');
    const args = [
      '--import', 'tsx', 'models/cli/pipeline.ts', 'train', '--brokers', brokers.join(','), '--arch', arch,
      '--checkpoint-dir', ckpt, '--out', out, '--batch-size', '8', '--checkpoint-every', '5', '--json',
    ];
    const run = (extra: string[]) => spawn(process.execPath, [...args, ...extra], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (child: ReturnType<typeof run>) => {
      let text = '';
      child.stdout!.on('data', (d) => (text += d));
      child.stderr!.on('data', (d) => (text += d));
      return { text: () => text, exit: new Promise<number | null>((r) => child.on('exit', (code) => r(code))) };
    };

    // Slow steps so the kill lands mid-epoch: after a checkpoint, with reads past it.
    const first = run(['--step-delay-ms', '100']);
    const firstOut = collect(first);
    const deadline = Date.now() + 60_000;
    let killedAt: { step: number; next: Record<string, number>; ranges: PartitionRange[] } | undefined;
    while (!killedAt && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      const file = path.join(ckpt, CHECKPOINT_FILE);
      if (!fs.existsSync(file)) continue;
      const meta = JSON.parse(fs.readFileSync(file, 'utf8')) as { step: number; next: Record<string, number>; ranges: PartitionRange[] };
      const reads = parseReadsLog(fs.readFileSync(path.join(ckpt, READS_LOG), 'utf8'));
      if (meta.step >= 10 && rereadAfterResume(reads, 0, meta.next) > 0) {
        first.kill('SIGKILL');
        killedAt = meta;
      }
    }
    await firstOut.exit;
    expect(killedAt).toBeDefined();
    expect(firstOut.text()).not.toContain('trained tiny-branchynet');
    const atKill = JSON.parse(fs.readFileSync(path.join(ckpt, CHECKPOINT_FILE), 'utf8')) as { next: Record<string, number>; ranges: PartitionRange[] };
    expect(remaining(atKill.ranges, atKill.next)).toBeGreaterThan(0); // mid-epoch

    const second = run([]);
    const secondOut = collect(second);
    expect(await secondOut.exit).toBe(0);
    const lines = secondOut.text().trim().split('\n');
    const summary = JSON.parse(lines[lines.length - 1]) as { resumed: boolean; rereadAfterResume: number; epochs: number; recordsRead: number; modelVersion: string };
    expect(summary).toMatchObject({ resumed: true, epochs: 1 });

    // Every record of the epoch read at least once; the ones read twice are what the resumed trainer reported.
    const reads = parseReadsLog(fs.readFileSync(path.join(ckpt, READS_LOG), 'utf8'));
    const counts = [...readCounts(reads, 0, atKill.ranges).values()].flat();
    expect(counts).toHaveLength(TRAIN_IMAGES);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
    const readTwice = counts.filter((c) => c === 2).length;
    expect(Math.max(...counts)).toBeLessThanOrEqual(2);
    expect(summary.rereadAfterResume).toBe(readTwice);
    expect(secondOut.text()).toContain(`reading ${readTwice} records of this epoch a second time`);
    expect(summary.recordsRead).toBe(remaining(atKill.ranges, atKill.next));

    // The result is a trained-model directory partition/register can take.
    const trained = readTrainedWeights(out);
    expect(trained.meta).toMatchObject({ architecture: 'tiny-branchynet', modelVersion: summary.modelVersion, storage: 'float32' });
    disposeWeights(trained);
  });
});
