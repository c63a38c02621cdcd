/**
 * The contract between the model tooling (which writes per-layer sub-models) and the runtime (which loads them).
 * A partitioned model is a folder with `placement.json` and one sub-folder per continuum layer, each holding a
 * tfjs layers-format `model.json` (+ weight shards) and a `manifest.json` matching SubModelManifest.
 */
import { z } from 'zod';

export const TensorDtype = z.enum(['uint8', 'float16', 'float32']);
export type TensorDtype = z.infer<typeof TensorDtype>;

export const TensorSpec = z.object({
  shape: z.array(z.number().int().positive()).min(1).describe('shape of one sample, without the batch dimension'),
  dtype: TensorDtype,
});
export type TensorSpec = z.infer<typeof TensorSpec>;

/** One output of a sub-model, in the order the tfjs model returns them. */
export const SubModelOutput = z.discriminatedUnion('role', [
  z.object({ role: z.literal('exit'), name: z.string().min(1), classes: z.number().int().min(2) }),
  z.object({ role: z.literal('features'), name: z.string().min(1), shape: z.array(z.number().int().positive()).min(1) }),
]);
export type SubModelOutput = z.infer<typeof SubModelOutput>;

export const SubModelManifest = z.object({
  formatVersion: z.literal(1),
  model: z.string().min(1).describe('architecture name, e.g. compact-branchynet'),
  modelVersion: z.string().min(1).describe('content hash of the weights: travels in every message'),
  layer: z.string().min(1).describe('continuum layer this sub-model runs on: edge, fog, cloud, …'),
  index: z.number().int().nonnegative().describe('position in the chain, 0 = first'),
  /** The runtime casts the input to float32 and multiplies it by `scale` before predict (1/255 for raw images). */
  input: TensorSpec.extend({ scale: z.number().positive() }),
  outputs: z.array(SubModelOutput).min(1),
  next: z.string().min(1).nullable().describe('layer that receives the features output; null for the last layer'),
  modelFile: z.string().default('model.json'),
});
export type SubModelManifest = z.infer<typeof SubModelManifest>;

export const PlacementManifest = z.object({
  formatVersion: z.literal(1),
  model: z.string().min(1),
  modelVersion: z.string().min(1),
  classNames: z.array(z.string()).min(2),
  layers: z.array(z.string().min(1)).min(1).describe('layer names in chain order, each a sub-folder'),
});
export type PlacementManifest = z.infer<typeof PlacementManifest>;
