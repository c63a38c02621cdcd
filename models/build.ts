/**
 * Builds tfjs models from an architecture spec: the full multi-exit model, or a segment of it (a run of blocks
 * plus the exit after the last of them), which is what a continuum layer runs.
 */
import * as tf from '@tensorflow/tfjs';
import { ArchitectureSpec, LayerSpec, blockIndex, exitByName } from './architecture';

/** Output shape (without batch) of one layer, computed from the spec alone (no weights are created). */
export function layerOutputShape(s: LayerSpec, input: number[]): number[] {
  switch (s.type) {
    case 'conv2d': {
      const [h, w] = input;
      const st = s.strides ?? 1;
      const out = (n: number) => ((s.padding ?? 'valid') === 'same' ? Math.ceil(n / st) : Math.floor((n - s.kernelSize) / st) + 1);
      return [out(h), out(w), s.filters];
    }
    case 'maxPooling2d': {
      const st = s.strides ?? s.poolSize;
      return [Math.floor((input[0] - s.poolSize) / st) + 1, Math.floor((input[1] - s.poolSize) / st) + 1, input[2]];
    }
    case 'globalAveragePooling2d':
      return [input[input.length - 1]];
    case 'flatten':
      return [input.reduce((a, b) => a * b, 1)];
    case 'dense':
      return [...input.slice(0, -1), s.units];
    default:
      return input;
  }
}

/** Shape of the feature map after each block, by block name. */
export function blockOutputShapes(spec: ArchitectureSpec): Map<string, number[]> {
  const out = new Map<string, number[]>();
  let shape = spec.input.shape;
  for (const b of spec.blocks) {
    for (const l of b.layers) shape = layerOutputShape(l, shape);
    if (shape.some((d) => !(d >= 1))) throw new Error(`${spec.name}: block '${b.name}' produces an empty shape [${shape}]`);
    out.set(b.name, shape);
  }
  return out;
}

export function makeLayer(s: LayerSpec): tf.layers.Layer {
  switch (s.type) {
    case 'conv2d':
      return tf.layers.conv2d({
        name: s.name, filters: s.filters, kernelSize: s.kernelSize, strides: s.strides ?? 1,
        padding: s.padding ?? 'valid', activation: s.activation ?? 'linear', useBias: s.useBias ?? true,
      });
    case 'batchNormalization':
      return tf.layers.batchNormalization({ name: s.name, momentum: s.momentum ?? 0.99, epsilon: s.epsilon ?? 1e-3 });
    case 'activation':
      return tf.layers.activation({ name: s.name, activation: s.activation });
    case 'maxPooling2d':
      return tf.layers.maxPooling2d({ name: s.name, poolSize: s.poolSize, strides: s.strides ?? s.poolSize });
    case 'globalAveragePooling2d':
      return tf.layers.globalAveragePooling2d({ name: s.name });
    case 'flatten':
      return tf.layers.flatten({ name: s.name });
    case 'dense':
      return tf.layers.dense({ name: s.name, units: s.units, activation: s.activation ?? 'linear', useBias: s.useBias ?? true });
    case 'dropout':
      return tf.layers.dropout({ name: s.name, rate: s.rate });
  }
}

function apply(layers: LayerSpec[], x: tf.SymbolicTensor): tf.SymbolicTensor {
  for (const s of layers) x = makeLayer(s).apply(x) as tf.SymbolicTensor;
  return x;
}

export interface SegmentSpec {
  /** First block the segment runs (inclusive). */
  fromBlock: string;
  /** Last block the segment runs (inclusive). */
  toBlock: string;
  /** Exits computed by this segment; each must start after a block in [fromBlock, toBlock]. */
  exits: string[];
  /** Also output the feature map after `toBlock` (for the next layer). */
  features: boolean;
  name?: string;
}

/** One output of a built model, in the order the model returns them. */
export type BuiltOutput =
  | { role: 'features'; name: string; shape: number[] }
  | { role: 'exit'; name: string; classes: number };

export interface BuiltModel {
  model: tf.LayersModel;
  inputShape: number[];
  outputs: BuiltOutput[];
}

/** Builds a segment of the architecture: input → blocks fromBlock..toBlock → [features?, ...exits]. */
export function buildSegment(spec: ArchitectureSpec, seg: SegmentSpec): BuiltModel {
  const first = blockIndex(spec, seg.fromBlock);
  const last = blockIndex(spec, seg.toBlock);
  if (last < first) throw new Error(`segment: toBlock '${seg.toBlock}' comes before fromBlock '${seg.fromBlock}'`);
  const shapes = blockOutputShapes(spec);
  const inputShape = first === 0 ? spec.input.shape : shapes.get(spec.blocks[first - 1].name)!;
  const input = tf.input({ shape: inputShape, name: `${seg.name ?? 'segment'}_input`.replace(/-/g, '_') });
  const after = new Map<string, tf.SymbolicTensor>();
  let x = input;
  for (let i = first; i <= last; i++) {
    x = apply(spec.blocks[i].layers, x);
    after.set(spec.blocks[i].name, x);
  }
  const outputs: tf.SymbolicTensor[] = [];
  const described: BuiltOutput[] = [];
  if (seg.features) {
    outputs.push(x);
    described.push({ role: 'features', name: spec.blocks[last].layers[spec.blocks[last].layers.length - 1].name, shape: shapes.get(seg.toBlock)! });
  }
  for (const exitName of seg.exits) {
    const e = exitByName(spec, exitName);
    const from = after.get(e.after);
    if (!from) throw new Error(`segment ${seg.fromBlock}..${seg.toBlock} cannot compute exit '${e.name}' (it starts after '${e.after}')`);
    outputs.push(apply(e.head, from));
    described.push({ role: 'exit', name: e.name, classes: spec.classNames.length });
  }
  if (outputs.length === 0) throw new Error('segment has no outputs: give it an exit or features');
  const model = tf.model({ inputs: input, outputs, name: (seg.name ?? spec.name).replace(/-/g, '_') });
  return { model, inputShape, outputs: described };
}

/** The full model: input → all blocks → one softmax output per exit, in spec order (as the trainer builds it). */
export function buildFullModel(spec: ArchitectureSpec): BuiltModel {
  return buildSegment(spec, {
    fromBlock: spec.blocks[0].name,
    toBlock: spec.blocks[spec.blocks.length - 1].name,
    exits: spec.exits.map((e) => e.name),
    features: false,
    name: spec.name,
  });
}
