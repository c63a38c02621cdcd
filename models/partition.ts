/**
 * Partitioning: writes one sub-model per continuum layer (tfjs layers format) plus the manifests of
 * models/manifest.ts, from an architecture spec and its trained weights.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ArchitectureSpec } from './architecture';
import { buildSegment } from './build';
import { PlacementManifest, SubModelManifest } from './manifest';
import { PlacementSpec, planPlacement } from './placement';
import { assignWeights } from './weights';
import { saveLayersModel } from './layers-files';

export interface PartitionOptions {
  /** Store sub-model weights as float16. @default true when the trained weights were stored as float16 */
  float16?: boolean;
  /**
   * Write each sub-model as a view of the trained weights file instead of a copy of its weights: its model.json
   * references `file` (relative path) with the file's whole manifest `weights` and names the weights it uses
   * (runtime/tf/weights-view.ts). The weights are then stored once for all placements.
   */
  sharedWeights?: { file: string; weights: tf.io.WeightsManifestEntry[] };
}

export interface WrittenLayer {
  layer: string;
  dir: string;
  manifest: SubModelManifest;
  weightBytes: number;
}

/** Writes `<outDir>/placement.json` and `<outDir>/<layer>/{model.json,weights.bin,manifest.json}` (no weights.bin for a view). */
export async function writePartition(
  spec: ArchitectureSpec,
  weights: { tensors: tf.NamedTensorMap; modelVersion: string },
  placement: PlacementSpec,
  outDir: string,
  opts: PartitionOptions = {},
): Promise<WrittenLayer[]> {
  const plans = planPlacement(spec, placement);
  // Replace an earlier partition, but never delete a folder that is something else.
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0) {
    if (!fs.existsSync(path.join(outDir, 'placement.json'))) {
      throw new Error(`${outDir} is not empty and holds no placement.json: refusing to overwrite it`);
    }
    fs.rmSync(outDir, { recursive: true, force: true });
  }
  fs.mkdirSync(outDir, { recursive: true });
  const written: WrittenLayer[] = [];
  for (const plan of plans) {
    const built = buildSegment(spec, {
      fromBlock: plan.fromBlock, toBlock: plan.toBlock, exits: plan.exit ? [plan.exit] : [],
      features: plan.next !== null, name: `${spec.name}-${plan.layer}`,
    });
    try {
      assignWeights(built.model, weights.tensors);
      const dir = path.join(outDir, plan.layer);
      const view = opts.sharedWeights && {
        paths: [path.relative(dir, opts.sharedWeights.file).split(path.sep).join('/')],
        weights: opts.sharedWeights.weights,
      };
      const weightBytes = await saveLayersModel(built.model, dir, { float16: opts.float16 ?? false, view });
      const manifest = SubModelManifest.parse({
        formatVersion: 1,
        model: spec.name,
        modelVersion: weights.modelVersion,
        layer: plan.layer,
        index: plan.index,
        input: plan.index === 0
          ? { shape: spec.input.shape, dtype: spec.input.dtype, scale: spec.input.scale }
          : { shape: built.inputShape, dtype: 'float32', scale: 1 },
        outputs: built.outputs,
        next: plan.next,
        modelFile: 'model.json',
      });
      fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
      written.push({ layer: plan.layer, dir, manifest, weightBytes });
    } finally {
      built.model.dispose();
    }
  }
  const placementManifest = PlacementManifest.parse({
    formatVersion: 1,
    model: spec.name,
    modelVersion: weights.modelVersion,
    classNames: spec.classNames,
    layers: plans.map((p) => p.layer),
  });
  fs.writeFileSync(path.join(outDir, 'placement.json'), JSON.stringify(placementManifest, null, 2) + '\n');
  return written;
}
