/**
 * Loads tfjs models from a file path or an http(s) URL without @tensorflow/tfjs-node (whose `file://` handler
 * is the only built-in one for Node). Weight shards are resolved relative to model.json, as tfjs does; a model.json
 * with `weightNames` is a view of a shared weights file and gets only those weights (runtime/tf/weights-view.ts).
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { selectWeights } from './weights-view';

export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** `relative` resolved against the folder (or URL folder) of `base`. */
export function resolveBeside(base: string, relative: string): string {
  if (isUrl(base)) return new URL(relative, base).toString();
  return path.join(path.dirname(base), relative);
}

/** `name` inside the folder `dir` (a path or a URL, with or without a trailing slash). */
export function joinLocation(dir: string, name: string): string {
  if (isUrl(dir)) return new URL(name, dir.endsWith('/') ? dir : `${dir}/`).toString();
  return path.join(dir, name);
}

export async function readBytes(location: string): Promise<Uint8Array> {
  if (!isUrl(location)) return new Uint8Array(await fs.readFile(location.replace(/^file:\/\//, '')));
  const res = await fetch(location);
  if (!res.ok) throw new Error(`GET ${location}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export async function readJson(location: string): Promise<unknown> {
  const text = Buffer.from(await readBytes(location)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${location} is not JSON: ${(e as Error).message}`);
  }
}

/** A tfjs IOHandler reading model.json and its weight shards from disk or over http(s). */
export function locationHandler(modelJson: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = (await readJson(modelJson)) as tf.io.ModelJSON & { weightNames?: string[] };
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        if (json.weightNames) {
          // a view of a shared weights file (runtime/tf/weights-view.ts): keep this model's weights only
          const groups = [];
          for (const group of manifest) {
            const shards = await Promise.all(group.paths.map((p) => readBytes(resolveBeside(modelJson, p))));
            groups.push({ entries: group.weights, data: shards.length === 1 ? shards[0] : Buffer.concat(shards) });
          }
          const view = selectWeights(groups, json.weightNames);
          return [view.entries, view.data.buffer as ArrayBuffer];
        }
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: Uint8Array[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) buffers.push(await readBytes(resolveBeside(modelJson, p)));
        }
        const all = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
        let offset = 0;
        for (const b of buffers) {
          all.set(b, offset);
          offset += b.byteLength;
        }
        return [specs, all.buffer];
      });
    },
  };
}

/** Loads a layers-model or graph-model from a path or URL of its model.json. */
export async function loadTfModel(modelJson: string): Promise<tf.LayersModel | tf.GraphModel> {
  const json = (await readJson(modelJson)) as { format?: string };
  const handler = locationHandler(modelJson);
  return json.format === 'graph-model' ? tf.loadGraphModel(handler) : tf.loadLayersModel(handler);
}
