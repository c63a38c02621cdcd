/**
 * Trained weights as the Python trainer exports them: `weights.json` (a tfjs weights manifest plus metadata:
 * architecture, modelVersion, storage precision, training history, evaluation) and the binary shard(s) it names.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';

const WeightEntry = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.literal('float32'),
  quantization: z.object({ dtype: z.enum(['float16']) }).optional(),
});

export const TrainedWeightsMeta = z
  .object({
    formatVersion: z.literal(1),
    architecture: z.string().min(1),
    modelVersion: z.string().min(1),
    storage: z.enum(['float16', 'float32']),
    weightsManifest: z.array(z.object({ paths: z.array(z.string()).min(1), weights: z.array(WeightEntry) })).min(1),
  })
  .passthrough();
export type TrainedWeightsMeta = z.infer<typeof TrainedWeightsMeta>;

export interface TrainedWeights {
  meta: TrainedWeightsMeta;
  tensors: tf.NamedTensorMap;
}

/** Reads `<dir>/weights.json` and its shards into named tensors (float32, whatever the storage precision). */
export function readTrainedWeights(dir: string): TrainedWeights {
  const file = path.join(dir, 'weights.json');
  if (!fs.existsSync(file)) throw new Error(`trained weights not found: ${file} (train with \`npm run train\`)`);
  const parsed = TrainedWeightsMeta.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const meta = parsed.data;
  const tensors: tf.NamedTensorMap = {};
  for (const group of meta.weightsManifest) {
    const buffers = group.paths.map((p) => {
      const b = fs.readFileSync(path.join(dir, p));
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    });
    const data = tf.io.CompositeArrayBuffer.join(buffers);
    const expected = group.weights.reduce(
      (n, w) => n + w.shape.reduce((a, b) => a * b, 1) * (w.quantization ? 2 : 4), 0);
    if (data.byteLength !== expected) {
      throw new Error(`${file}: shards ${group.paths.join(', ')} hold ${data.byteLength} bytes, the manifest needs ${expected}`);
    }
    Object.assign(tensors, tf.io.decodeWeights(data, group.weights));
  }
  return { meta, tensors };
}

/**
 * Sets every weight of `model` from `tensors`, matched by `<layer>/<weight>` name. Fails naming the first
 * missing or mis-shaped weight; extra tensors (e.g. heads of exits the model does not contain) are ignored.
 */
export function assignWeights(model: tf.LayersModel, tensors: tf.NamedTensorMap): void {
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const values = layer.weights.map((w) => {
      const t = tensors[w.originalName];
      if (!t) throw new Error(`no trained weight '${w.originalName}' for layer '${layer.name}'`);
      if (t.shape.length !== w.shape.length || t.shape.some((d, i) => d !== w.shape[i])) {
        throw new Error(`weight '${w.originalName}' has shape [${t.shape}], layer '${layer.name}' needs [${w.shape}]`);
      }
      return t;
    });
    layer.setWeights(values);
  }
}

export function disposeWeights(w: TrainedWeights): void {
  tf.dispose(Object.values(w.tensors));
}
