/**
 * One layer's sub-model: its manifest (models/manifest.ts) and a batched predict that applies the manifest's
 * input contract (cast to float32, multiply by `input.scale`) and splits the outputs by role.
 */
import * as tf from '@tensorflow/tfjs';
import { SubModelManifest } from '../../contracts/manifest';
import { joinLocation, loadTfModel, readJson } from './model-loader';

export interface SampleOutputs {
  exit?: Float32Array;
  features?: Float32Array;
}

export interface SubModel {
  readonly manifest: SubModelManifest;
  /** Runs one batch; `inputs[i]` is sample i's data in the manifest's input shape. */
  predict(inputs: ReadonlyArray<Uint8Array | Float32Array>): Promise<SampleOutputs[]>;
  dispose(): void;
}

/** `location`: the sub-model folder (manifest.json + model.json + weights), a path or an http(s) URL. */
export async function loadSubModel(location: string): Promise<SubModel> {
  const manifestLocation = joinLocation(location, 'manifest.json');
  const parsed = SubModelManifest.safeParse(await readJson(manifestLocation));
  if (!parsed.success) {
    throw new Error(`${manifestLocation}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const manifest = parsed.data;
  const model = await loadTfModel(joinLocation(location, manifest.modelFile));
  return fromModel(model, manifest);
}

export function fromModel(model: tf.LayersModel | tf.GraphModel, manifest: SubModelManifest): SubModel {
  const sampleSize = manifest.input.shape.reduce((a, b) => a * b, 1);
  const scale = manifest.input.scale;
  const sizes = manifest.outputs.map((o) => (o.role === 'exit' ? o.classes : o.shape.reduce((a, b) => a * b, 1)));

  return {
    manifest,
    async predict(inputs) {
      const n = inputs.length;
      const batch = new Float32Array(n * sampleSize);
      inputs.forEach((sample, i) => {
        if (sample.length !== sampleSize) throw new Error(`sample ${i} has ${sample.length} values, expected ${sampleSize}`);
        const base = i * sampleSize;
        if (scale === 1) batch.set(sample, base);
        else for (let j = 0; j < sampleSize; j++) batch[base + j] = sample[j] * scale;
      });
      const outputs = tf.tidy(() => {
        const x = tf.tensor(batch, [n, ...manifest.input.shape], 'float32');
        const y = model.predict(x) as tf.Tensor | tf.Tensor[];
        return Array.isArray(y) ? y : [y];
      });
      try {
        if (outputs.length !== manifest.outputs.length) {
          throw new Error(`model returned ${outputs.length} outputs, manifest lists ${manifest.outputs.length}`);
        }
        const data = await Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
        return Array.from({ length: n }, (_, i) => {
          const sample: SampleOutputs = {};
          manifest.outputs.forEach((o, k) => {
            const size = sizes[k];
            if (data[k].length !== n * size) throw new Error(`output ${o.name} has ${data[k].length / n} values per sample, expected ${size}`);
            sample[o.role === 'exit' ? 'exit' : 'features'] = data[k].subarray(i * size, (i + 1) * size);
          });
          return sample;
        });
      } finally {
        tf.dispose(outputs);
      }
    },
    dispose() {
      model.dispose();
    },
  };
}
