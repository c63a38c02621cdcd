/**
 * The trainer's checkpoint: model weights, optimizer state and the consumed offsets, committed together. The weights
 * go to a new `weights-<step>.bin` first; `checkpoint.json` (which names that file and holds the offsets) is then
 * replaced by a rename, the commit point: a trainer killed at any moment leaves either the old checkpoint or the new
 * one, never weights of one step with offsets of another.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';

const WeightSpec = z.object({ name: z.string(), shape: z.array(z.number().int().nonnegative()), dtype: z.enum(['float32', 'int32']) });
const Range = z.object({ partition: z.number().int().nonnegative(), start: z.number().int().nonnegative(), end: z.number().int().nonnegative() });

export const CheckpointMeta = z.object({
  formatVersion: z.literal(1),
  architecture: z.string().min(1),
  topic: z.string().min(1),
  /** 0-based epoch the offsets belong to */
  epoch: z.number().int().nonnegative(),
  /** optimizer steps taken so far, all epochs */
  step: z.number().int().nonnegative(),
  /** the epoch's offsets per partition, fixed when it began */
  ranges: z.array(Range).min(1),
  /** next offset to train on, by partition */
  next: z.record(z.string(), z.number().int().nonnegative()),
  weightsFile: z.string().regex(/^weights-\d+\.bin$/),
  /** model weights (by `<layer>/<weight>`), then optimizer weights (Adam's step count is int32), in the file's order; 4 bytes each */
  model: z.array(WeightSpec),
  optimizer: z.array(WeightSpec),
  /** one entry per finished epoch (loss, evaluation) */
  history: z.array(z.record(z.string(), z.unknown())),
  savedAt: z.string(),
});
export type CheckpointMeta = z.infer<typeof CheckpointMeta>;

export const CHECKPOINT_FILE = 'checkpoint.json';

/** What tfjs optimizers' getWeights/setWeights exchange. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  model: tf.NamedTensorMap;
  optimizer: NamedTensor[];
}

/** Writes a file so that a crash leaves the old one or the new one: tmp, fsync, rename. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function specsOf(encoded: tf.io.WeightsManifestEntry[]) {
  return encoded.map((s) => {
    if (s.dtype !== 'float32' && s.dtype !== 'int32') throw new Error(`checkpoint: weight ${s.name} is ${s.dtype}, only float32 and int32 are stored`);
    return { name: s.name, shape: [...s.shape], dtype: s.dtype };
  });
}

export async function writeCheckpoint(
  dir: string,
  meta: Omit<CheckpointMeta, 'weightsFile' | 'model' | 'optimizer' | 'formatVersion' | 'savedAt'>,
  model: tf.NamedTensorMap,
  optimizer: NamedTensor[],
): Promise<CheckpointMeta> {
  fs.mkdirSync(dir, { recursive: true });
  const m = await tf.io.encodeWeights(model);
  const o = await tf.io.encodeWeights(optimizer);
  const weightsFile = `weights-${meta.step}.bin`;
  writeFileAtomic(path.join(dir, weightsFile), Buffer.concat([Buffer.from(m.data), Buffer.from(o.data)]));
  const full: CheckpointMeta = { formatVersion: 1, ...meta, weightsFile, model: specsOf(m.specs), optimizer: specsOf(o.specs), savedAt: new Date().toISOString() };
  writeFileAtomic(path.join(dir, CHECKPOINT_FILE), JSON.stringify(full, null, 1));
  for (const f of fs.readdirSync(dir)) if (/^weights-\d+\.bin$/.test(f) && f !== weightsFile) fs.rmSync(path.join(dir, f), { force: true });
  return full;
}

/** The checkpoint in `dir`, or null when there is none; a checkpoint that does not parse is an error naming it. */
export function readCheckpoint(dir: string): Checkpoint | null {
  const file = path.join(dir, CHECKPOINT_FILE);
  if (!fs.existsSync(file)) return null;
  const parsed = CheckpointMeta.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const meta = parsed.data;
  const bin = fs.readFileSync(path.join(dir, meta.weightsFile));
  const bytes = (specs: { shape: number[] }[]) => specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  const modelBytes = bytes(meta.model);
  if (bin.length !== modelBytes + bytes(meta.optimizer)) {
    throw new Error(`${path.join(dir, meta.weightsFile)}: ${bin.length} bytes, ${CHECKPOINT_FILE} describes ${modelBytes + bytes(meta.optimizer)}`);
  }
  const buf = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) as ArrayBuffer;
  const model = tf.io.decodeWeights(buf.slice(0, modelBytes), meta.model);
  const opt = tf.io.decodeWeights(buf.slice(modelBytes), meta.optimizer);
  return { meta, model, optimizer: meta.optimizer.map((s) => ({ name: s.name, tensor: opt[s.name] })) };
}
