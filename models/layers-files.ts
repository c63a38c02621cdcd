/**
 * Saving and loading tfjs layers-format models (model.json + weights.bin) on the local file system, without
 * @tensorflow/tfjs-node (whose file:// handlers need the native library).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { encodeFloat16 } from '../contracts/wire/float16';
import { selectWeights } from '../runtime/tf/weights-view';

/** A shared weights file the model's weights are read from instead of a file of its own. */
export interface WeightsView {
  /** Shard path(s) relative to the model.json, e.g. `../../../weights.bin`. */
  paths: string[];
  /** The shared file's whole manifest, in order; must hold every weight of the model with the same shape. */
  weights: tf.io.WeightsManifestEntry[];
}

export interface SaveOptions {
  /** Store weights as float16 (half the bytes; tfjs decodes them to float32 on load). @default false */
  float16?: boolean;
  /** @default 'model.json' */
  modelFile?: string;
  /** @default 'weights.bin' */
  weightsFile?: string;
  /** Write no weights: model.json points at this shared weights file and names the weights it uses. */
  view?: WeightsView;
}

/** Writes `model` to `dir` as model.json + one weights shard (or, with `view`, model.json alone). Returns the bytes of weights written. */
export async function saveLayersModel(model: tf.LayersModel, dir: string, opts: SaveOptions = {}): Promise<number> {
  const modelFile = opts.modelFile ?? 'model.json';
  const weightsFile = opts.weightsFile ?? 'weights.bin';
  let written = 0;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      let specs = artifacts.weightSpecs ?? [];
      let data = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
      if (opts.view) {
        const shared = new Map(opts.view.weights.map((w) => [w.name, w]));
        for (const s of specs) {
          const w = shared.get(s.name);
          if (!w) throw new Error(`weights view: the shared weights lack '${s.name}'`);
          if (w.shape.length !== s.shape.length || w.shape.some((d, i) => d !== s.shape[i])) {
            throw new Error(`weights view: '${s.name}' is [${w.shape}] in the shared weights, the model needs [${s.shape}]`);
          }
        }
        fs.mkdirSync(dir, { recursive: true });
        const json = {
          format: 'layers-model',
          generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
          convertedBy: 'continuum-ddnn models/layers-files.ts (weights view)',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: opts.view.paths, weights: opts.view.weights }],
          weightNames: specs.map((s) => s.name),
        };
        fs.writeFileSync(path.join(dir, modelFile), JSON.stringify(json));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: 0 } };
      }
      if (opts.float16) {
        if (specs.some((s) => s.dtype !== 'float32')) throw new Error('float16 storage needs float32 weights only');
        data = encodeFloat16(new Float32Array(data)).buffer as ArrayBuffer;
        specs = specs.map((s) => ({ ...s, quantization: { dtype: 'float16' as const } }));
      }
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, weightsFile), Buffer.from(data));
      const json = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: 'continuum-ddnn models/layers-files.ts',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [weightsFile], weights: specs }],
      };
      fs.writeFileSync(path.join(dir, modelFile), JSON.stringify(json));
      written = data.byteLength;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: written } };
    }),
  );
  return written;
}

/** Loads a layers-format model from `<dir>/<modelFile>` and the shards its weights manifest names (a view: only its weights). */
export async function loadLayersModel(dir: string, modelFile = 'model.json'): Promise<tf.LayersModel> {
  const file = path.join(dir, modelFile);
  if (!fs.existsSync(file)) throw new Error(`model not found: ${file}`);
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as tf.io.ModelJSON & { weightNames?: string[] };
  if (json.weightNames) {
    const groups = (json.weightsManifest ?? []).map((g) => ({
      entries: g.weights,
      data: new Uint8Array(Buffer.concat(g.paths.map((p) => fs.readFileSync(path.join(dir, p))))),
    }));
    const view = selectWeights(groups, json.weightNames);
    return tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: view.entries, weightData: view.data.buffer as ArrayBuffer }),
    );
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest ?? []) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const b = fs.readFileSync(path.join(dir, p));
      buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
    }
  }
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: tf.io.CompositeArrayBuffer.join(buffers) }),
  );
}
