/**
 * A tiny randomly initialised multi-exit model for tests that need a real partitioned model without trained
 * weights: 32×32×3 uint8 input (like CIFAR-10), three small blocks, edge/fog/cloud exits. Fast on the cpu backend.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ArchitectureSpec, parseArchitecture } from '../architecture';
import { buildFullModel } from '../build';
import { PlacementSpec, resolvePlacement } from '../placement';
import { WrittenLayer, writePartition } from '../partition';

const CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export function tinyArchitecture(): ArchitectureSpec {
  const block = (n: number, filters: number) => ({
    name: `block${n}`,
    layers: [
      { type: 'conv2d', name: `block${n}_conv1`, filters, kernelSize: 3, padding: 'same', useBias: false },
      { type: 'batchNormalization', name: `block${n}_bn1` },
      { type: 'activation', name: `block${n}_relu1`, activation: 'relu' },
      { type: 'maxPooling2d', name: `block${n}_pool`, poolSize: 2 },
    ],
  });
  const head = (prefix: string) => [
    { type: 'flatten', name: `${prefix}_flatten` },
    { type: 'dense', name: `${prefix}_dense1`, units: 8, activation: 'relu' },
    { type: 'dense', name: `${prefix}_output`, units: 10, activation: 'softmax' },
  ];
  return parseArchitecture({
    formatVersion: 1,
    name: 'tiny-branchynet',
    description: 'randomly initialised test model',
    input: { shape: [32, 32, 3], dtype: 'uint8', scale: 1 / 255 },
    classNames: CLASSES,
    blocks: [block(1, 4), block(2, 8), block(3, 8)],
    exits: [
      { name: 'edge_output', after: 'block1', head: head('edge') },
      { name: 'fog_output', after: 'block2', head: head('fog') },
      { name: 'cloud_output', after: 'block3', head: head('cloud') },
    ],
  });
}

/** Deterministic random weights for every weight of the tiny model (BN statistics included), by name. */
export function tinyWeights(spec: ArchitectureSpec, seed = 7): tf.NamedTensorMap {
  const { model } = buildFullModel(spec);
  const out: tf.NamedTensorMap = {};
  let s = seed;
  for (const w of model.weights) {
    const n = w.originalName;
    const shape = w.shape as number[];
    s += 1;
    if (n.endsWith('/moving_variance')) out[n] = tf.randomUniform(shape, 0.5, 1.5, 'float32', s);
    else if (n.endsWith('/gamma')) out[n] = tf.randomUniform(shape, 0.8, 1.2, 'float32', s);
    else out[n] = tf.randomNormal(shape, 0, n.endsWith('/kernel') ? 0.3 : 0.05, 'float32', s);
  }
  model.dispose();
  return out;
}

export interface TinyPartition {
  dir: string;
  spec: ArchitectureSpec;
  placement: PlacementSpec;
  layers: WrittenLayer[];
  modelVersion: string;
}

/**
 * Writes the tiny model partitioned for `placement` ('cloud-only', 'edge-cloud', 'edge-fog-cloud' or a spec) into
 * `dir` (default: a new temp dir). The caller removes the dir.
 */
export async function writeTinyPartition(
  placement: string | PlacementSpec = 'edge-cloud',
  dir?: string,
  seed = 7,
): Promise<TinyPartition> {
  const spec = tinyArchitecture();
  const p = typeof placement === 'string' ? resolvePlacement(spec, placement) : placement;
  const out = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tiny-partition-'));
  const tensors = tinyWeights(spec, seed);
  const modelVersion = `tiny-${seed}`;
  try {
    const layers = await writePartition(spec, { tensors, modelVersion }, p, out);
    return { dir: out, spec, placement: p, layers, modelVersion };
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
