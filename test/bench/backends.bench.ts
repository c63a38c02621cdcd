/**
 * Native TensorFlow (tfjs-node) vs wasm vs cpu on the same model (models/architectures/<name>.json, built with
 * models/build.ts), in one process and one run:
 * inference img/s at batch 1 and batch 32 (uint8 → float → predict → read back, like the worker), and training
 * img/s (trainOnBatch, batch 32, all exits). Backends that cannot train report why instead of crashing (wasm has
 * no Conv2D backprop kernels). Optionally adds a Keras (TensorFlow Python) row for the same architecture, so
 * training in tfjs-node can be weighed against the Python trainer.
 *
 *   npm run bench:backends -- [--model compact-branchynet] [--seconds 3] [--train-steps 12] [--no-keras]
 *
 * Prints a table (ratios against wasm, the best backend without native TensorFlow) and writes
 * results/backends-<timestamp>.json with the machine, versions and config.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { ArchitectureSpec, loadArchitecture } from '../../models/architecture';
import { buildFullModel } from '../../models/build';
import { defaultCifar10Dir, IMAGE_BYTES, readCifar10File, TRAIN_FILES } from '../../models/cifar10';

const ROOT = path.resolve(__dirname, '..', '..');
type Backend = 'tensorflow' | 'wasm' | 'cpu';

interface Measure {
  imgPerSec: number | null;
  images: number;
  seconds: number;
  note?: string;
}
interface Row {
  backend: string;
  available: boolean;
  note?: string;
  inferB1?: Measure;
  inferB32?: Measure;
  train?: Measure;
}

// ---- model and data: the project's own builder and CIFAR-10 reader ----

/** The full multi-exit model (one softmax output per exit), compiled with the spec's loss weights. */
function buildModel(spec: ArchitectureSpec): tf.LayersModel {
  const { model } = buildFullModel(spec);
  // tfjs has no lossWeights in compile(); a weighted loss per output is the same objective.
  const loss = spec.exits.map((e) => (yTrue: tf.Tensor, yPred: tf.Tensor) =>
    tf.metrics.categoricalCrossentropy(yTrue, yPred).mul(e.lossWeight));
  model.compile({ optimizer: tf.train.adam(1e-3), loss });
  return model;
}

/** The first `n` images of data_batch_1, or synthetic pixels where the data set is absent (throughput only). */
function loadImages(dataDir: string, n: number): { images: Uint8Array; labels: Uint8Array; source: string } {
  const file = path.join(dataDir, TRAIN_FILES[0]);
  if (fs.existsSync(file)) return { ...readCifar10File(file, { limit: n }), source: file };
  const images = new Uint8Array(n * IMAGE_BYTES).map((_, i) => (i * 2654435761) >>> 24);
  return { images, labels: new Uint8Array(n).map((_, i) => i % 10), source: `synthetic (no ${file})` };
}

// ---- measurements ----

const now = () => Number(process.hrtime.bigint()) / 1e9;

/** How much work one measurement may take: the pure-JS cpu backend needs tens of seconds per batch of 32. */
interface Budget {
  seconds: number;
  warmupSteps: number;
  minSteps: number;
  trainSteps: number;
}

async function inference(model: tf.LayersModel, images: tf.Tensor4D, scale: number, batch: number, budget: Budget): Promise<Measure> {
  const step = async (i: number) => {
    const start = (i * batch) % (images.shape[0] - batch + 1);
    const out = tf.tidy(() => {
      const x = images.slice([start, 0, 0, 0], [batch, -1, -1, -1]).toFloat().mul(scale);
      return model.predict(x) as tf.Tensor[];
    });
    await Promise.all(out.map((t) => t.data()));
    tf.dispose(out);
  };
  for (let i = 0; i < budget.warmupSteps; i++) await step(i); // kernel selection, first allocations
  let n = 0;
  const t0 = now();
  while (now() - t0 < budget.seconds || n < budget.minSteps) await step(n++);
  const dt = now() - t0;
  return { imgPerSec: (n * batch) / dt, images: n * batch, seconds: dt };
}

async function training(model: tf.LayersModel, images: tf.Tensor4D, labels: tf.Tensor2D, scale: number,
  exits: number, budget: Budget): Promise<Measure> {
  const batch = 32;
  const step = async (i: number) => {
    const start = (i * batch) % (images.shape[0] - batch + 1);
    const x = tf.tidy(() => images.slice([start, 0, 0, 0], [batch, -1, -1, -1]).toFloat().mul(scale));
    const y = labels.slice([start, 0], [batch, -1]);
    await model.trainOnBatch(x, Array.from({ length: exits }, () => y));
    tf.dispose([x, y]);
  };
  // The first step is where a backend without gradient kernels throws; it is timed only without a warm-up.
  let t0 = now();
  try {
    await step(0);
  } catch (e) {
    return { imgPerSec: null, images: 0, seconds: 0, note: `unsupported: ${(e as Error).message.split('\n')[0]}` };
  }
  const timedFirst = budget.warmupSteps === 0;
  if (!timedFirst) t0 = now();
  const steps = budget.trainSteps;
  for (let i = 1; i < steps + (timedFirst ? 0 : 1); i++) await step(i);
  const dt = now() - t0;
  return { imgPerSec: (steps * batch) / dt, images: steps * batch, seconds: dt, note: timedFirst ? 'includes the first step' : undefined };
}

// ---- backends ----

function registerBackends(): Record<Backend, string | null> {
  const status: Record<Backend, string | null> = { tensorflow: null, wasm: null, cpu: null };
  try {
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    // Optional: present after `npm run native:install` (or a normal install where libtensorflow downloads).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
  } catch (e) {
    status.tensorflow = `unavailable: ${(e as Error).message.split('\n')[0]}`;
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
  } catch (e) {
    status.wasm = `unavailable: ${(e as Error).message.split('\n')[0]}`;
  }
  return status;
}

async function backendDetail(name: Backend): Promise<string> {
  if (name === 'tensorflow') {
    const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
    return `libtensorflow ${binding?.TF_Version ?? '?'}`;
  }
  if (name === 'wasm') {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const threads = (require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
    return `simd=${simd} threads=${threads}`;
  }
  return 'pure JS';
}

// ---- Keras row: the same architecture in TensorFlow Python (the project's trainer), when its venv exists ----

const KERAS_SCRIPT = String.raw`
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(sys.argv[1], "models", "train"))
import numpy as np, tensorflow as tf, keras
from spec import load_spec, build
spec, seconds, steps = load_spec(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
model = build(spec)
exits = spec["exits"]
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=["categorical_crossentropy"] * len(exits),
              loss_weights=[e.get("lossWeight", 1.0) for e in exits])
rng = np.random.default_rng(0)
x = rng.random((256, 32, 32, 3), dtype=np.float32)
y = keras.utils.to_categorical(rng.integers(0, 10, 256), 10)
def infer(batch):
    call = tf.function(lambda t: model(t, training=False))
    f = lambda i: [o.numpy() for o in call(x[(i*batch) % 224:(i*batch) % 224 + batch])]
    f(0); f(1); n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds or n < 3: f(n); n += 1
    dt = time.perf_counter() - t0; return {"imgPerSec": n*batch/dt, "images": n*batch, "seconds": dt}
def train():
    b = lambda i: (x[(i*32) % 224:(i*32) % 224 + 32], [y[(i*32) % 224:(i*32) % 224 + 32]] * len(exits))
    model.train_on_batch(*b(0)); model.train_on_batch(*b(1)); t0 = time.perf_counter()
    for i in range(steps): model.train_on_batch(*b(i + 2))
    dt = time.perf_counter() - t0; return {"imgPerSec": steps*32/dt, "images": steps*32, "seconds": dt}
print(json.dumps({"tensorflow": tf.__version__, "keras": keras.__version__, "threads": [tf.config.threading.get_intra_op_parallelism_threads(), tf.config.threading.get_inter_op_parallelism_threads()],
                  "inferB1": infer(1), "inferB32": infer(32), "train": train()}))
`;

function kerasRow(model: string, seconds: number, steps: number): Row & { versions?: Record<string, string> } {
  const python = path.join(ROOT, '.venv', 'bin', 'python');
  if (!fs.existsSync(python)) return { backend: 'keras (python)', available: false, note: `no ${python} (models/train/train.sh creates it)` };
  try {
    const out = execFileSync(python, ['-c', KERAS_SCRIPT, ROOT, model, String(seconds), String(steps)], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000,
    });
    const r = JSON.parse(out.trim().split('\n').pop() as string);
    return { backend: 'keras (python)', available: true, note: `tensorflow ${r.tensorflow}, keras ${r.keras}, graph mode (tf.function)`,
      inferB1: r.inferB1, inferB32: r.inferB32, train: r.train, versions: { tensorflow: r.tensorflow, keras: r.keras } };
  } catch (e) {
    return { backend: 'keras (python)', available: false, note: `failed: ${(e as Error).message.split('\n')[0]}` };
  }
}

// ---- report ----

function fmt(m: Measure | undefined, base: Measure | undefined): string {
  if (!m) return '-';
  if (m.imgPerSec === null) return m.note?.split(/[ :]/)[0] ?? 'n/a';
  const ratio = base?.imgPerSec ? ` (${(m.imgPerSec / base.imgPerSec).toFixed(1)}x)` : '';
  return `${m.imgPerSec.toFixed(1)}${ratio}`;
}

function printTable(rows: Row[]): void {
  const base = rows.find((r) => r.backend === 'wasm' && r.available);
  const head = ['backend', 'infer b=1 img/s', 'infer b=32 img/s', 'train b=32 img/s', 'note'];
  const lines = rows.map((r) => [r.backend, fmt(r.inferB1, base?.inferB1), fmt(r.inferB32, base?.inferB32),
    fmt(r.train, base?.train), r.note ?? '']);
  const width = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i])).join('  ');
  console.log(line(head));
  console.log(width.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(line(l));
  console.log('(ratios in brackets are against wasm in this same run)');
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--model <name>', 'architecture in models/architectures/', 'compact-branchynet')
    .option('--backends <list>', 'comma-separated, run in this order: tensorflow,wasm,cpu', 'tensorflow,wasm,cpu')
    .option('--seconds <s>', 'time per inference measurement', '3')
    .option('--train-steps <n>', 'timed training steps (batch 32) on native TensorFlow and in Keras', '12')
    .option('--cpu-train-steps <n>', 'training steps on the pure-JS cpu backend (minutes each on 2 busy cores; 0 skips)', '1')
    .option('--data <dir>', 'CIFAR-10 binary folder', defaultCifar10Dir(ROOT))
    .option('--no-keras', 'skip the Keras (TensorFlow Python) row')
    .option('--out <dir>', 'where the JSON goes', path.join(ROOT, 'results'))
    .parse()
    .opts<{ model: string; backends: string; seconds: string; trainSteps: string; cpuTrainSteps: string; data: string; keras: boolean; out: string }>();

  const spec = loadArchitecture(opts.model);
  const seconds = Number(opts.seconds);
  const steps = Number(opts.trainSteps);
  const loadStart = os.loadavg();
  const data = loadImages(opts.data, 256);
  const status = registerBackends();

  // One set of initial weights for every backend, so all run the identical model.
  await tf.setBackend('cpu');
  const reference = buildModel(spec);
  const weights = reference.getWeights().map((w) => ({ shape: w.shape, values: w.dataSync().slice() }));
  const params = reference.countParams();
  reference.dispose();

  const rows: Row[] = [];
  const started = new Date().toISOString();
  const file = path.join(opts.out, `backends-${started.replace(/[:.]/g, '-')}.json`);
  let versions: Record<string, string> = { ...(tf.version as unknown as Record<string, string>), node: process.version };
  // Rewritten after every row, so a long run (the cpu backend) that is stopped still leaves its figures.
  const save = () => {
    const record = {
      bench: 'backends', date: started, model: spec.name, parameters: params, data: data.source,
      config: { seconds, trainSteps: steps, cpuTrainSteps: Number(opts.cpuTrainSteps), trainBatch: 32 },
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
        loadavgStart: loadStart, loadavgNow: os.loadavg(), platform: `${os.platform()} ${os.arch()} ${os.release()}` },
      versions, rows,
    };
    fs.mkdirSync(opts.out, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(record, null, 2));
  };
  const done = (row: Row) => {
    rows.push(row);
    save();
    process.stderr.write(`[bench] ${row.backend}: b1 ${fmt(row.inferB1, undefined)}, b32 ${fmt(row.inferB32, undefined)}, ` +
      `train ${fmt(row.train, undefined)} img/s\n`);
  };

  // Keras first: it runs in its own process, and the pure-JS cpu backend (last) can take minutes.
  if (opts.keras) {
    process.stderr.write('[bench] keras (python) ...\n');
    const k = kerasRow(opts.model, seconds, steps);
    if (k.versions) versions = { ...versions, 'keras-tensorflow': k.versions.tensorflow, keras: k.versions.keras };
    delete k.versions;
    done(k);
  }

  const order = opts.backends.split(',').map((s) => s.trim()) as Backend[];
  for (const name of order) {
    if (status[name]) { done({ backend: name, available: false, note: status[name] as string }); continue; }
    if (!(await tf.setBackend(name).catch(() => false))) { done({ backend: name, available: false, note: 'tf.setBackend failed' }); continue; }
    await tf.ready();
    const note = await backendDetail(name);
    if (name === 'tensorflow') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      versions = { ...versions, 'tfjs-node': require('@tensorflow/tfjs-node/package.json').version, libtensorflow: note.split(' ')[1] };
    }
    process.stderr.write(`[bench] ${name} (${note}) ...\n`);
    const model = buildModel(spec);
    model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape)));
    const images = tf.tensor4d(data.images, [256, 32, 32, 3], 'int32');
    const labels = tf.oneHot(tf.tensor1d(Int32Array.from(data.labels), 'int32'), spec.classNames.length) as tf.Tensor2D;
    const row: Row = { backend: name, available: true, note };
    const budget: Budget = name === 'cpu'
      ? { seconds, warmupSteps: 0, minSteps: 1, trainSteps: Number(opts.cpuTrainSteps) }
      : { seconds, warmupSteps: 2, minSteps: 3, trainSteps: steps };
    const progress = (what: string, m: Measure) => process.stderr.write(`[bench]   ${name} ${what}: ${fmt(m, undefined)} img/s\n`);
    row.inferB1 = await inference(model, images, spec.input.scale, 1, { ...budget, warmupSteps: Math.max(1, budget.warmupSteps) });
    progress('inference b=1', row.inferB1);
    row.inferB32 = await inference(model, images, spec.input.scale, 32, budget);
    progress('inference b=32', row.inferB32);
    row.train = budget.trainSteps > 0
      ? await training(model, images, labels, spec.input.scale, spec.exits.length, budget)
      : { imgPerSec: null, images: 0, seconds: 0, note: 'skipped (--cpu-train-steps 0)' };
    if (row.train.note) row.note = `${note}; training ${row.train.note}`;
    done(row);
    model.dispose();
    tf.dispose([images, labels]);
  }

  console.log(`\n${spec.name} (${params} parameters, all ${spec.exits.length} exits), data: ${data.source}`);
  printTable(rows);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
