/**
 * Loads a sub-model from the registry into memory (no file system): manifest.json + model.json + weight shards, as
 * the registry holds them, through a tfjs IOHandler over the bytes (what tf.io.fromMemory does, with the shards
 * resolved by name as the file loader resolves them).
 */
import * as tf from '@tensorflow/tfjs';
import type { Kafka } from 'kafkajs';
import { SubModelManifest } from '../../contracts/manifest';
import { RegistryError } from '../../contracts/registry';
import { fromModel, type SubModel } from '../tf/sub-model';
import { readLayerFiles } from './store';

function json(files: ReadonlyMap<string, Buffer>, name: string, where: string): unknown {
  const f = files.get(name);
  if (!f) throw new RegistryError(`${where}: no ${name}`);
  try {
    return JSON.parse(f.toString('utf8'));
  } catch (e) {
    throw new RegistryError(`${where}: ${name} is not JSON: ${(e as Error).message}`);
  }
}

/** A sub-model from its files' bytes; `where` names it in errors (version and layer). */
export async function subModelFromFiles(files: ReadonlyMap<string, Buffer>, where: string): Promise<SubModel> {
  const parsed = SubModelManifest.safeParse(json(files, 'manifest.json', where));
  if (!parsed.success) throw new RegistryError(`${where}: manifest.json: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const manifest = parsed.data;
  const modelJson = json(files, manifest.modelFile, where) as tf.io.ModelJSON & { weightNames?: string[] };
  if (modelJson.weightNames) throw new RegistryError(`${where}: ${manifest.modelFile} is a view of a shared weights file; the registry holds self-contained sub-models`);
  const handler: tf.io.IOHandler = {
    load: () =>
      tf.io.getModelArtifactsForJSON(modelJson, async (groups) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const parts: Buffer[] = [];
        for (const g of groups) {
          specs.push(...g.weights);
          for (const p of g.paths) {
            const shard = files.get(p.replace(/^\.\//, ''));
            if (!shard) throw new RegistryError(`${where}: weight shard ${p} named by ${manifest.modelFile} is not in the registry entry`);
            parts.push(shard);
          }
        }
        const all = Buffer.concat(parts);
        return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer];
      }),
  };
  const model = modelJson.format === 'graph-model' ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
  return fromModel(model, manifest);
}

/** Loads `layer` of `version` from the registry topic of the cluster `kafka` reaches. */
export async function loadFromRegistry(kafka: Kafka, topic: string, version: string, layer: string): Promise<SubModel> {
  const { files } = await readLayerFiles(kafka, topic, version, layer);
  const model = await subModelFromFiles(files, `model version ${version}, layer ${layer}`);
  if (model.manifest.modelVersion !== version || model.manifest.layer !== layer) {
    model.dispose();
    throw new RegistryError(`model version ${version}, layer ${layer}: its manifest.json says ${model.manifest.layer}@${model.manifest.modelVersion}`);
  }
  return model;
}
