/**
 * Partitioning: a chain of sub-models must give the same outputs as the full model (max abs diff ≤ 1e-5) on real
 * images, for the tiny random model and for every shipped trained model; and the tfjs model must reproduce the
 * trainer's (Keras or PyTorch) predictions on its saved reference inputs. Large models' partitions are views of the
 * one trained weights file (runtime/tf/weights-view.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ArchitectureSpec, loadArchitecture } from '../../models/architecture';
import { buildFullModel } from '../../models/build';
import { LoadedPartition, disposePartition, loadPartition, prepareInput, runChain } from '../../models/chain';
import { readCifar10File } from '../../models/cifar10';
import { PlacementManifest, SubModelManifest } from '../../models/manifest';
import { standardPlacements } from '../../models/placement';
import { writePartition } from '../../models/partition';
import { tinyArchitecture, tinyWeights, writeTinyPartition } from '../../models/testing/tiny-model';
import { assignWeights, readTrainedWeights } from '../../models/weights';
import { encodeFloat16 } from '../../contracts/wire/float16';
import { loadSubModel } from '../../runtime/tf/sub-model';
import { selectWeights } from '../../runtime/tf/weights-view';
import { LOSSLESS_TEST, SHIPPED_MODELS, trainedDir, useTestBackend } from './helpers';

const IMAGES = 16;
let images: Uint8Array;

beforeAll(async () => {
  await useTestBackend();
  images = readCifar10File(LOSSLESS_TEST, { limit: IMAGES }).images;
});

/** Every exit of the full model for `images`, by exit name. */
function fullModelExits(spec: ArchitectureSpec, tensors: tf.NamedTensorMap, imgs: Uint8Array, n: number): Map<string, Float32Array> {
  const { model, outputs } = buildFullModel(spec);
  try {
    assignWeights(model, tensors);
    const x = tf.tidy(() => tf.mul(tf.cast(tf.tensor4d(imgs, [n, 32, 32, 3], 'int32'), 'float32'), spec.input.scale));
    const ys = model.predict(x) as tf.Tensor[];
    const out = new Map(outputs.map((o, i) => [o.name, ys[i].dataSync() as Float32Array]));
    tf.dispose([x, ...ys]);
    return out;
  } finally {
    model.dispose();
  }
}

function maxAbsDiff(a: Float32Array, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function expectChainEqualsFull(p: LoadedPartition, full: Map<string, Float32Array>): Promise<void> {
  const chain = runChain(p, images, IMAGES, 8);
  const exits = p.layers.flatMap((l) => l.manifest.outputs.filter((o) => o.role === 'exit').map((o) => o.name));
  expect([...chain.keys()]).toEqual(exits);
  for (const name of exits) expect(maxAbsDiff(chain.get(name)!, full.get(name)!)).toBeLessThanOrEqual(1e-5);
}

describe('partitioning the tiny random model', () => {
  const spec = tinyArchitecture();

  it.each(['cloud-only', 'edge-cloud', 'edge-fog-cloud'])('%s: the chain gives the full model outputs on real images', async (placement) => {
    const tiny = await writeTinyPartition(placement);
    try {
      const w = tinyWeights(spec);
      const full = fullModelExits(spec, w, images, IMAGES);
      tf.dispose(Object.values(w));
      const p = await loadPartition(tiny.dir);
      try {
        await expectChainEqualsFull(p, full);
      } finally {
        disposePartition(p);
      }
    } finally {
      fs.rmSync(tiny.dir, { recursive: true, force: true });
    }
  });

  it('writes manifests that name input, outputs and the next layer', async () => {
    const tiny = await writeTinyPartition('edge-fog-cloud');
    try {
      const placement = PlacementManifest.parse(JSON.parse(fs.readFileSync(path.join(tiny.dir, 'placement.json'), 'utf8')));
      expect(placement).toMatchObject({ model: 'tiny-branchynet', modelVersion: tiny.modelVersion, layers: ['edge', 'fog', 'cloud'] });
      const m = (l: string) => SubModelManifest.parse(JSON.parse(fs.readFileSync(path.join(tiny.dir, l, 'manifest.json'), 'utf8')));
      expect(m('edge')).toMatchObject({
        index: 0, next: 'fog', input: { shape: [32, 32, 3], dtype: 'uint8', scale: 1 / 255 },
        outputs: [{ role: 'features', name: 'block1_pool', shape: [16, 16, 4] }, { role: 'exit', name: 'edge_output', classes: 10 }],
      });
      expect(m('fog')).toMatchObject({ index: 1, next: 'cloud', input: { shape: [16, 16, 4], dtype: 'float32', scale: 1 } });
      expect(m('cloud')).toMatchObject({ index: 2, next: null, outputs: [{ role: 'exit', name: 'cloud_output', classes: 10 }] });
      for (const l of ['edge', 'fog', 'cloud']) {
        expect(fs.existsSync(path.join(tiny.dir, l, 'model.json'))).toBe(true);
        expect(fs.existsSync(path.join(tiny.dir, l, 'weights.bin'))).toBe(true);
      }
    } finally {
      fs.rmSync(tiny.dir, { recursive: true, force: true });
    }
  });

  it('replaces an earlier partition but refuses to overwrite an unrelated folder', async () => {
    const tiny = await writeTinyPartition('edge-cloud');
    try {
      await writeTinyPartition('cloud-only', tiny.dir);
      expect(fs.readdirSync(tiny.dir).sort()).toEqual(['cloud', 'placement.json']);
      fs.rmSync(path.join(tiny.dir, 'placement.json'));
      await expect(writeTinyPartition('cloud-only', tiny.dir)).rejects.toThrow(/is not empty and holds no placement\.json: refusing to overwrite it/);
      expect(fs.existsSync(path.join(tiny.dir, 'cloud', 'model.json'))).toBe(true);
    } finally {
      fs.rmSync(tiny.dir, { recursive: true, force: true });
    }
  });

  it('fails naming the weight when the trained weights lack one', async () => {
    const w = tinyWeights(spec);
    delete w['block2_conv1/kernel'];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'part-'));
    try {
      await expect(writePartition(spec, { tensors: w, modelVersion: 'x' }, standardPlacements(spec)[1], dir)).rejects.toThrow(
        "no trained weight 'block2_conv1/kernel' for layer 'block2_conv1'",
      );
    } finally {
      tf.dispose(Object.values(w));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('partitions as views of one trained weights file', () => {
  const spec = tinyArchitecture();
  let dir: string;
  let shared: { file: string; weights: tf.io.WeightsManifestEntry[] };
  let tensors: tf.NamedTensorMap;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'view-'));
    tensors = tinyWeights(spec);
    // the trained weights file as the trainers write it: one float16 shard, all weights in model order
    const { model } = buildFullModel(spec);
    const names = model.weights.map((w) => w.originalName);
    model.dispose();
    const encoded = await tf.io.encodeWeights(Object.fromEntries(names.map((n) => [n, tensors[n]])));
    const half = encodeFloat16(new Float32Array(encoded.data as ArrayBuffer));
    shared = { file: path.join(dir, 'weights.bin'), weights: encoded.specs.map((w) => ({ ...w, quantization: { dtype: 'float16' as const } })) };
    fs.writeFileSync(shared.file, half);
    // the full model sees the weights as stored (float16)
    tf.dispose(Object.values(tensors));
    tensors = tf.io.decodeWeights(half.buffer as ArrayBuffer, shared.weights);
  });
  afterAll(() => {
    tf.dispose(Object.values(tensors));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(['cloud-only', 'edge-cloud', 'edge-fog-cloud'])('%s: no weight files of its own, and the chain gives the full model outputs', async (name) => {
    const out = path.join(dir, 'partitions', name);
    const placement = standardPlacements(spec).find((p) => p.name === name)!;
    const layers = await writePartition(spec, { tensors, modelVersion: 'v' }, placement, out, { sharedWeights: shared });
    for (const l of layers) {
      expect(fs.readdirSync(l.dir).sort()).toEqual(['manifest.json', 'model.json']);
      const json = JSON.parse(fs.readFileSync(path.join(l.dir, 'model.json'), 'utf8'));
      expect(json.weightsManifest[0].paths).toEqual(['../../../weights.bin']);
    }
    const full = fullModelExits(spec, tensors, images, IMAGES);
    const p = await loadPartition(out);
    try {
      await expectChainEqualsFull(p, full);
    } finally {
      disposePartition(p);
    }
  });

  it('the runtime loader reads a view too, and a strict plain tfjs load refuses it instead of loading wrong weights', async () => {
    const out = path.join(dir, 'partitions', 'edge-cloud');
    await writePartition(spec, { tensors, modelVersion: 'v' }, standardPlacements(spec)[1], out, { sharedWeights: shared });
    const edgeDir = path.join(out, 'edge');
    const sub = await loadSubModel(edgeDir);
    const viaChain = await loadPartition(out);
    try {
      const [a] = await sub.predict([images.subarray(0, 3072)]);
      const x = prepareInput(viaChain.layers[0].manifest, images.subarray(0, 3072), 1);
      const [, exit] = viaChain.layers[0].model.predict(x) as tf.Tensor[];
      expect(maxAbsDiff(a.exit!, exit.dataSync() as Float32Array)).toBeLessThanOrEqual(1e-6);
      tf.dispose([x, exit]);
    } finally {
      sub.dispose();
      disposePartition(viaChain);
    }
    const json = JSON.parse(fs.readFileSync(path.join(edgeDir, 'model.json'), 'utf8'));
    const data = new Uint8Array(fs.readFileSync(shared.file)).buffer;
    await expect(
      tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: data })),
    ).rejects.toThrow(/no target variable/);
  });

  it('fails naming the weight the shared file lacks, or a shard whose size does not match its manifest', async () => {
    const short = { ...shared, weights: shared.weights.filter((w) => w.name !== 'block2_conv1/kernel') };
    await expect(
      writePartition(spec, { tensors, modelVersion: 'v' }, standardPlacements(spec)[0], path.join(dir, 'bad'), { sharedWeights: short }),
    ).rejects.toThrow("weights view: the shared weights lack 'block2_conv1/kernel'");
    const entries = shared.weights;
    expect(() => selectWeights([{ entries, data: new Uint8Array(10) }], ['block1_conv1/kernel'])).toThrow(/holds 10 bytes, its manifest needs \d+/);
    const data = new Uint8Array(fs.readFileSync(shared.file));
    expect(() => selectWeights([{ entries, data }], ['nope/kernel'])).toThrow('weights view: the shared weights lack nope/kernel');
    const picked = selectWeights([{ entries, data }], [entries[1].name]);
    expect(picked.entries.map((e) => e.name)).toEqual([entries[1].name]);
    expect(picked.data.byteLength).toBe(entries[1].shape.reduce((a, b) => a * b, 1) * 2);
  });
});

describe.each(SHIPPED_MODELS)('the shipped %s', (name) => {
  const spec = loadArchitecture(name);
  const TRAINED = trainedDir(name);
  let weights: ReturnType<typeof readTrainedWeights>;
  let full: Map<string, Float32Array>;

  beforeAll(() => {
    weights = readTrainedWeights(TRAINED);
    full = fullModelExits(spec, weights.tensors, images, IMAGES);
  });
  afterAll(() => tf.dispose(Object.values(weights.tensors)));

  it('holds a weight for every layer of the spec, named and shaped as the model builds them', () => {
    const { model } = buildFullModel(spec);
    try {
      const shipped = new Map(weights.meta.weightsManifest.flatMap((g) => g.weights.map((w) => [w.name, w.shape] as const)));
      expect(model.weights.map((w) => w.originalName).sort()).toEqual([...shipped.keys()].sort());
      for (const w of model.weights) expect([w.originalName, shipped.get(w.originalName)]).toEqual([w.originalName, w.shape]);
    } finally {
      model.dispose();
    }
  });

  it.each(['cloud-only', 'edge-cloud', 'edge-fog-cloud'])('%s partition: the chain gives the full model outputs on real images', async (placement) => {
    const p = await loadPartition(path.join(TRAINED, 'partitions', placement));
    try {
      expect(p.placement.modelVersion).toBe(weights.meta.modelVersion);
      expect(p.placement.classNames).toEqual(spec.classNames);
      await expectChainEqualsFull(p, full);
    } finally {
      disposePartition(p);
    }
  });

  it("reproduces the trainer's predictions on its saved reference images", () => {
    const ref = JSON.parse(fs.readFileSync(path.join(TRAINED, 'reference-predictions.json'), 'utf8')) as {
      count: number; labels: number[]; modelVersion: string; exits: Record<string, number[][]>;
    };
    expect(ref.modelVersion).toBe(weights.meta.modelVersion);
    const b = readCifar10File(LOSSLESS_TEST, { limit: ref.count });
    expect(Array.from(b.labels)).toEqual(ref.labels);
    const ours = fullModelExits(spec, weights.tensors, b.images, ref.count);
    expect([...ours.keys()]).toEqual(Object.keys(ref.exits));
    for (const [name, probs] of ours) {
      expect(maxAbsDiff(probs, ref.exits[name].flat())).toBeLessThanOrEqual(1e-4);
    }
  });

  it('the edge sub-model takes raw uint8 images the way the runtime prepares them', async () => {
    const p = await loadPartition(path.join(TRAINED, 'partitions', 'edge-cloud'));
    try {
      const edge = p.layers[0];
      const x = prepareInput(edge.manifest, images.subarray(0, 3072), 1);
      expect(x.shape).toEqual([1, 32, 32, 3]);
      expect(x.max().dataSync()[0]).toBeLessThanOrEqual(1);
      const [features, exit] = edge.model.predict(x) as tf.Tensor[];
      const f = edge.manifest.outputs[0];
      expect(f.role === 'features' && features.shape.slice(1)).toEqual(f.role === 'features' ? f.shape : null);
      expect(exit.shape).toEqual([1, 10]);
      tf.dispose([x, features, exit]);
    } finally {
      disposePartition(p);
    }
  });
});

describe('the shipped vgg16-branchynet stores its weights once', () => {
  const TRAINED = trainedDir('vgg16-branchynet');

  it('every placement is a view of the one weights.bin: no weight file of its own', () => {
    const trained = fs.readFileSync(path.join(TRAINED, 'weights.json'), 'utf8');
    const manifest = JSON.parse(trained).weightsManifest[0].weights;
    for (const placement of ['cloud-only', 'edge-cloud', 'edge-fog-cloud']) {
      const dir = path.join(TRAINED, 'partitions', placement);
      for (const layer of PlacementManifest.parse(JSON.parse(fs.readFileSync(path.join(dir, 'placement.json'), 'utf8'))).layers) {
        const files = fs.readdirSync(path.join(dir, layer)).sort();
        expect(files).toEqual(['manifest.json', 'model.json']);
        const json = JSON.parse(fs.readFileSync(path.join(dir, layer, 'model.json'), 'utf8'));
        expect(json.weightsManifest).toEqual([{ paths: ['../../../weights.bin'], weights: manifest }]);
        expect(json.weightNames.length).toBeGreaterThan(0);
      }
    }
    const bins = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? bins(path.join(d, e.name)) : e.name.endsWith('.bin') ? [path.join(d, e.name)] : []);
    expect(bins(TRAINED).map((f) => path.relative(TRAINED, f))).toEqual(['weights.bin']);
  });
});
