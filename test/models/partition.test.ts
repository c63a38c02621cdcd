/**
 * Partitioning: a chain of sub-models must give the same outputs as the full model (max abs diff ≤ 1e-5) on real
 * images, for the tiny random model and for the shipped trained weights; and the tfjs model must reproduce the
 * Python trainer's predictions on its saved reference inputs.
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
import { LOSSLESS_TEST, TRAINED, useTestBackend } from './helpers';

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

describe('the shipped compact-branchynet', () => {
  const spec = loadArchitecture('compact-branchynet');
  let weights: ReturnType<typeof readTrainedWeights>;
  let full: Map<string, Float32Array>;

  beforeAll(() => {
    weights = readTrainedWeights(TRAINED);
    full = fullModelExits(spec, weights.tensors, images, IMAGES);
  });
  afterAll(() => tf.dispose(Object.values(weights.tensors)));

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

  it("reproduces the Python trainer's predictions on its saved reference images", () => {
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
