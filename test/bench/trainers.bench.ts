/**
 * The pipeline's trainer (tfjs, `trainFromTopic`) against the Python alternative (Keras + confluent-kafka,
 * `models/train/kafka_steps.py`) on the same architecture, batch size and training topic, in one run: a local
 * 1-broker cluster, `ingest` of the first N CIFAR-10 training images, then each trainer for the same number of steps,
 * fed from the topic. Both report their training-loop rate the same way: steps after the first (graph set-up) ÷ the
 * time between the first and the last step (reading the topic included; evaluation, export excluded).
 *
 *   npm run bench:trainers -- [--steps 200] [--images 7000] [--arch compact-branchynet] [--python <venv python>]
 *
 * Keras runs only where its venv exists (`.cache/pipeline-tf-venv`, see models/train/requirements-kafka.txt);
 * otherwise the row says why. Prints a table with the ratio Keras ÷ tfjs and writes results/trainers-<ts>.json with
 * the machine, load averages, backend and config. Run it on a quiet machine: it measures CPU.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { startCluster } from '../../runtime/kafka/cluster';
import { defaultCifar10Dir } from '../../models/cifar10';
import { ingestDataset } from '../../models/pipeline/ingest';
import { trainFromTopic } from '../../models/pipeline/train';

const ROOT = path.resolve(__dirname, '..', '..');

interface Row {
  trainer: string;
  stepsPerSecond: number | null;
  imagesPerSecond: number | null;
  loadBefore: number[];
  loadAfter: number[];
  detail: Record<string, unknown>;
  note?: string;
}

async function main(): Promise<void> {
  const o = new Command('bench:trainers')
    .option('--steps <n>', 'training steps per trainer', '200')
    .option('--images <n>', 'training images ingested (≥ steps × batch size + one batch)', '7000')
    .option('--batch-size <n>', 'batch size', '32')
    .option('--arch <name>', 'architecture in models/architectures/', 'compact-branchynet')
    .option('--data <dir>', 'CIFAR-10 directory', defaultCifar10Dir())
    .option('--python <path>', 'Python with TensorFlow, Keras and confluent-kafka', path.join(ROOT, '.cache/pipeline-tf-venv/bin/python'))
    .parse()
    .opts<{ steps: string; images: string; batchSize: string; arch: string; data: string; python: string }>();
  const steps = Number(o.steps);
  const batchSize = Number(o.batchSize);
  const images = Math.max(Number(o.images), (steps + 2) * batchSize);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ddnn-bench-trainers-'));
  const cluster = await startCluster({ name: 'bench-trainers', brokers: 1 });
  const rows: Row[] = [];
  try {
    const brokers = cluster.bootstrapServers.split(',');
    const ingest = await ingestDataset({ data: o.data, brokers, limit: images, evalLimit: batchSize });
    process.stdout.write(`ingested ${ingest.train.records} training images in ${(ingest.ms / 1000).toFixed(1)} s\n`);

    // tfjs: the pipeline's trainer, in this process (as `npm run pipeline -- train` runs it)
    let loadBefore = os.loadavg();
    const t = await trainFromTopic({
      brokers,
      arch: o.arch,
      batchSize,
      epochs: 1,
      maxSteps: steps,
      checkpointDir: path.join(work, 'tfjs'),
      checkpointEvery: steps + 1, // kafka_steps.py writes no checkpoints either
      out: path.join(work, 'tfjs', 'trained'),
      logEvery: 50,
      log: (l) => process.stdout.write(`  tfjs: ${l}\n`),
    });
    rows.push({
      trainer: `tfjs (${t.backend} backend)`,
      stepsPerSecond: t.stepRate,
      imagesPerSecond: t.stepRate === null ? null : t.stepRate * batchSize,
      loadBefore,
      loadAfter: os.loadavg(),
      detail: { steps: t.stepsThisRun, overallStepsPerSecond: t.stepsPerSecond, backend: t.backend },
    });

    // Keras: models/train/kafka_steps.py in its venv
    loadBefore = os.loadavg();
    if (!fs.existsSync(o.python)) {
      rows.push({ trainer: 'Keras (TensorFlow CPU)', stepsPerSecond: null, imagesPerSecond: null, loadBefore, loadAfter: loadBefore, detail: {}, note: `no ${o.python}` });
    } else {
      const out = execFileSync(o.python, [path.join(ROOT, 'models/train/kafka_steps.py'), '--brokers', cluster.bootstrapServers, '--steps', String(steps), '--batch-size', String(batchSize), '--arch', o.arch], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
      });
      const k = JSON.parse(out.trim().split('\n').pop()!) as { stepsPerSecond: number; recordsPerSecond: number; tensorflow: string; seconds: number };
      rows.push({ trainer: `Keras (TensorFlow ${k.tensorflow} CPU)`, stepsPerSecond: k.stepsPerSecond, imagesPerSecond: k.recordsPerSecond, loadBefore, loadAfter: os.loadavg(), detail: k });
    }
  } finally {
    await cluster.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }

  const base = rows[0].stepsPerSecond;
  const fmt = (n: number | null, d = 2) => (n === null ? '—' : n.toFixed(d));
  const lines = [
    `${o.arch}, batch ${batchSize}, ${steps} steps from the topic · ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    `trainer                                   steps/s  images/s  vs tfjs  load before → after`,
    ...rows.map(
      (r) =>
        `${r.trainer.padEnd(40)} ${fmt(r.stepsPerSecond).padStart(8)} ${fmt(r.imagesPerSecond, 1).padStart(9)} ${(base && r.stepsPerSecond ? `${(r.stepsPerSecond / base).toFixed(2)}×` : '—').padStart(8)}  ` +
        `${r.loadBefore[0].toFixed(2)} → ${r.loadAfter[0].toFixed(2)}${r.note ? `  (${r.note})` : ''}`,
    ),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
  const file = path.join(ROOT, 'results', `trainers-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    JSON.stringify({ at: new Date().toISOString(), config: { arch: o.arch, steps, batchSize, images }, machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: os.totalmem() / 2 ** 30, node: process.version, host: os.hostname() }, rows }, null, 2),
  );
  process.stdout.write(`wrote ${path.relative(ROOT, file)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
