/**
 * Per-layer cost of the shipped partitioned model: for every placement and layer, inference img/s at batch 1 and
 * batch 32 (uint8 images or float features → predict → read back, as the worker does), sub-model weight bytes and
 * the bytes it forwards per image; ratios against the cloud-only sub-model measured in the same process.
 *
 *   npm run bench:partitions -- [--model-dir models/trained/compact-branchynet] [--seconds 2] [--backend auto]
 *
 * Writes results/partitions-<timestamp>.json with the machine, backend and load average.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { BackendPreference, backendFeatures, selectBackend } from '../../runtime/tf/backend';
import { LoadedLayer, disposePartition, loadPartition, prepareInput } from '../../models/chain';
import { defaultCifar10Dir, readCifar10File } from '../../models/cifar10';

const ROOT = path.resolve(__dirname, '..', '..');

/** img/s of one sub-model at one batch size, on its real input (images for the first layer, features after). */
function measure(layer: LoadedLayer, input: () => tf.Tensor, batch: number, seconds: number): number {
  const run = () => {
    const x = input();
    const out = layer.model.predict(x);
    for (const t of Array.isArray(out) ? out : [out]) {
      t.dataSync();
      t.dispose();
    }
    x.dispose();
  };
  run(); // warm-up: kernel setup and weight upload
  let images = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    run();
    images += batch;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  return images / elapsed;
}

async function main(): Promise<void> {
  const o = new Command()
    .option('--model-dir <dir>', 'trained model dir with partitions/', path.join(ROOT, 'models', 'trained', 'compact-branchynet'))
    .option('--placements <names...>', 'placements to measure', ['cloud-only', 'edge-cloud', 'edge-fog-cloud'])
    .option('--seconds <s>', 'seconds per measurement', parseFloat, 2)
    .option('--backend <name>', 'auto, tensorflow, wasm or cpu', 'auto')
    .option('--data <dir>', 'CIFAR-10 dir (test_batch.bin)', defaultCifar10Dir(ROOT))
    .parse()
    .opts<{ modelDir: string; placements: string[]; seconds: number; backend: BackendPreference; data: string }>();
  const backend = await selectBackend(o.backend);
  const images = readCifar10File(path.join(o.data, 'test_batch.bin'), { limit: 32 }).images;
  const rows: Record<string, unknown>[] = [];
  for (const name of o.placements) {
    const p = await loadPartition(path.join(o.modelDir, 'partitions', name));
    // each layer's real input: the previous layer's features for the same 32 images
    let feed: tf.Tensor = prepareInput(p.layers[0].manifest, images, 32);
    for (const layer of p.layers) {
      const current = feed;
      const slice = (b: number) => () => tf.slice(current, 0, b);
      const b1 = measure(layer, slice(1), 1, o.seconds);
      const b32 = measure(layer, slice(32), 32, o.seconds);
      const own = path.join(p.dir, layer.manifest.layer, 'weights.bin');
      // a weights view (models/partition.ts) has no file of its own: the float16 bytes of the weights it uses
      const weightBytes = fs.existsSync(own) ? fs.statSync(own).size : layer.model.countParams() * 2;
      const feat = layer.manifest.outputs.find((x) => x.role === 'features');
      const forwardBytes = feat && feat.role === 'features' ? feat.shape.reduce((a, b) => a * b, 4) : 0;
      rows.push({ placement: name, layer: layer.manifest.layer, imgPerSecB1: b1, imgPerSecB32: b32, weightBytes, forwardBytesFloat32: forwardBytes });
      if (layer.manifest.next !== null) {
        const out = layer.model.predict(current) as tf.Tensor[];
        const fi = layer.manifest.outputs.findIndex((x) => x.role === 'features');
        out.forEach((t, i) => i !== fi && t.dispose());
        feed = out[fi];
      }
      current.dispose();
    }
    disposePartition(p);
  }
  const base = rows.find((r) => r.placement === 'cloud-only') as { imgPerSecB1: number; imgPerSecB32: number } | undefined;
  console.log(`backend ${backend.name}; ${os.cpus().length}× ${os.cpus()[0]?.model}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('placement       layer   img/s b1  img/s b32  ×cloud-only b1  ×cloud-only b32  weight bytes  forwards B/img');
  for (const r of rows as { placement: string; layer: string; imgPerSecB1: number; imgPerSecB32: number; weightBytes: number; forwardBytesFloat32: number }[]) {
    console.log(
      `${r.placement.padEnd(15)} ${r.layer.padEnd(6)} ${r.imgPerSecB1.toFixed(1).padStart(9)} ${r.imgPerSecB32.toFixed(1).padStart(10)} ` +
        `${base ? (r.imgPerSecB1 / base.imgPerSecB1).toFixed(2).padStart(15) : '-'} ${base ? (r.imgPerSecB32 / base.imgPerSecB32).toFixed(2).padStart(16) : '-'} ` +
        `${String(r.weightBytes).padStart(13)} ${String(r.forwardBytesFloat32).padStart(15)}`,
    );
  }
  const out = path.join(ROOT, 'results', `partitions-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({
    modelDir: o.modelDir, seconds: o.seconds, backend: await backendFeatures(), notes: backend.notes,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg(), node: process.version }, rows,
  }, null, 1) + '\n');
  console.log(`wrote ${out}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
