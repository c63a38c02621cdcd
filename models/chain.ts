/**
 * Loads a partitioned model (placement.json + one sub-model per layer) and runs its sub-models in a chain, the
 * way the continuum does but without early stopping: every layer sees every sample. Used by calibration and by
 * the tests that prove a chain equals the full model.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { PlacementManifest, SubModelManifest } from './manifest';
import { loadLayersModel } from './layers-files';

export interface LoadedLayer {
  manifest: SubModelManifest;
  model: tf.LayersModel;
}

export interface LoadedPartition {
  dir: string;
  placement: PlacementManifest;
  layers: LoadedLayer[];
}

function readJson(file: string): unknown {
  if (!fs.existsSync(file)) throw new Error(`not found: ${file}`);
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

export async function loadPartition(dir: string): Promise<LoadedPartition> {
  const placement = PlacementManifest.parse(readJson(path.join(dir, 'placement.json')));
  const layers: LoadedLayer[] = [];
  for (const name of placement.layers) {
    const manifest = SubModelManifest.parse(readJson(path.join(dir, name, 'manifest.json')));
    if (manifest.modelVersion !== placement.modelVersion) {
      throw new Error(`${dir}/${name}: modelVersion ${manifest.modelVersion} differs from placement's ${placement.modelVersion}`);
    }
    layers.push({ manifest, model: await loadLayersModel(path.join(dir, name), manifest.modelFile) });
  }
  return { dir, placement, layers };
}

export function disposePartition(p: LoadedPartition): void {
  for (const l of p.layers) l.model.dispose();
}

/** The first layer's input as the runtime prepares it: float32, times manifest.input.scale. */
export function prepareInput(manifest: SubModelManifest, images: Uint8Array | Float32Array, count: number): tf.Tensor {
  return tf.tidy(() => {
    const raw = tf.tensor(images, [count, ...manifest.input.shape], manifest.input.dtype === 'uint8' ? 'int32' : 'float32');
    return tf.mul(tf.cast(raw, 'float32'), manifest.input.scale);
  });
}

/**
 * What crossing a link does to a feature map (e.g. encode to the wire's float16/int8 and decode again); values are
 * one batch, row-major [count × …shape]. Identity when absent.
 */
export type FeatureLink = (values: Float32Array, count: number, shape: readonly number[]) => Float32Array;

/** Runs one batch through every layer; returns each exit's probabilities (row-major), by exit name. */
export function runChainBatch(p: LoadedPartition, images: Uint8Array, count: number, link?: FeatureLink): Map<string, Float32Array> {
  const exits = new Map<string, Float32Array>();
  let x = prepareInput(p.layers[0].manifest, images, count);
  for (const { manifest, model } of p.layers) {
    const raw = model.predict(x);
    const outs = Array.isArray(raw) ? raw : [raw];
    x.dispose();
    let next: tf.Tensor | null = null;
    manifest.outputs.forEach((o, i) => {
      if (o.role === 'exit') {
        exits.set(o.name, outs[i].dataSync() as Float32Array);
        outs[i].dispose();
      } else next = outs[i];
    });
    if (manifest.next === null) break;
    if (!next) throw new Error(`layer ${manifest.layer} has a next layer but no features output`);
    x = next;
    if (link) {
      const t = x as tf.Tensor;
      const crossed = link(t.dataSync() as Float32Array, count, t.shape.slice(1));
      x = tf.tensor(crossed, t.shape, 'float32');
      t.dispose();
    }
  }
  return exits;
}

/** Runs `count` NHWC uint8 images through the chain in batches; `onBatch` reports progress. */
export function runChain(
  p: LoadedPartition, images: Uint8Array, count: number, batchSize = 100, onBatch?: (done: number) => void, link?: FeatureLink,
): Map<string, Float32Array> {
  const per = images.length / count;
  const result = new Map<string, Float32Array>();
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const out = runChainBatch(p, images.subarray(start * per, (start + n) * per), n, link);
    for (const [name, probs] of out) {
      let all = result.get(name);
      if (!all) result.set(name, (all = new Float32Array(count * (probs.length / n))));
      all.set(probs, start * (probs.length / n));
    }
    onBatch?.(start + n);
  }
  return result;
}
