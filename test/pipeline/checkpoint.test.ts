/** The trainer's offset bookkeeping and checkpoint format (weights + optimizer + offsets, one commit). */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { CHECKPOINT_FILE, readCheckpoint, writeCheckpoint } from '../../models/pipeline/checkpoint';
import {
  epochDone, epochRecords, epochStart, formatReadRange, parseReadsLog, readCounts, remaining, rereadAfterResume, wanted,
  type PartitionRange,
} from '../../models/pipeline/epoch-offsets';

const ranges: PartitionRange[] = [
  { partition: 0, start: 0, end: 10 },
  { partition: 1, start: 5, end: 12 },
];

describe('epoch offsets', () => {
  test('an epoch is each partition from its start to its end when it began', () => {
    expect(epochRecords(ranges)).toBe(17);
    const next = epochStart(ranges);
    expect(next).toEqual({ 0: 0, 1: 5 });
    expect(remaining(ranges, next)).toBe(17);
    expect(remaining(ranges, { 0: 10, 1: 9 })).toBe(3);
    expect(epochDone(ranges, { 0: 10, 1: 12 })).toBe(true);
  });

  test('only records of what is left of the epoch are wanted', () => {
    const next = { 0: 4, 1: 5 };
    expect(wanted(ranges, next, 0, 3)).toBe(false); // trained before the checkpoint
    expect(wanted(ranges, next, 0, 4)).toBe(true);
    expect(wanted(ranges, next, 0, 10)).toBe(false); // ingested after the epoch began
    expect(wanted(ranges, next, 2, 0)).toBe(false); // not a partition of the epoch
  });

  test('the reads log says how many records a resume reads twice; a torn last line is skipped', () => {
    const log = [
      { epoch: 0, partition: 0, from: 0, to: 4 },
      { epoch: 0, partition: 0, from: 4, to: 8 },
      { epoch: 0, partition: 1, from: 5, to: 9 },
    ].map(formatReadRange).join('') + '{"epoch":0,"partit';
    const reads = parseReadsLog(log);
    expect(reads).toHaveLength(3);
    // checkpoint at {0: 4, 1: 7}: offsets 4..7 of p0 and 7..8 of p1 come again
    expect(rereadAfterResume(reads, 0, { 0: 4, 1: 7 })).toBe(6);
    expect(rereadAfterResume(reads, 1, { 0: 4, 1: 7 })).toBe(0);
    const resumed = [...reads, { epoch: 0, partition: 0, from: 4, to: 10 }, { epoch: 0, partition: 1, from: 7, to: 12 }];
    const counts = readCounts(resumed, 0, ranges);
    expect(counts.get(0)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 1, 1]);
    expect(counts.get(1)).toEqual([1, 1, 2, 2, 1, 1, 1]);
  });
});

describe('checkpoint', () => {
  let dir: string;
  beforeAll(() => tf.setBackend('cpu'));
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddnn-ckpt-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const meta = (step: number) => ({ architecture: 'tiny', topic: 'train', epoch: 0, step, ranges, next: { 0: step, 1: 5 }, history: [] });

  test('weights, optimizer state and offsets come back together; older weight files are removed', async () => {
    expect(readCheckpoint(dir)).toBeNull();
    const w = { 'dense/kernel': tf.tensor2d([[1, 2], [3, 4]]), 'dense/bias': tf.tensor1d([0.5, -0.5]) };
    const opt = [{ name: 'iter', tensor: tf.scalar(7, 'int32') }, { name: 'dense/kernel/m', tensor: tf.ones([2, 2]) }];
    await writeCheckpoint(dir, meta(3), w, opt);
    await writeCheckpoint(dir, meta(6), w, opt);
    expect(fs.readdirSync(dir).sort()).toEqual([CHECKPOINT_FILE, 'weights-6.bin']);
    const c = readCheckpoint(dir)!;
    expect(c.meta).toMatchObject({ step: 6, next: { 0: 6, 1: 5 }, weightsFile: 'weights-6.bin' });
    expect(await c.model['dense/kernel'].array()).toEqual([[1, 2], [3, 4]]);
    expect(await c.model['dense/bias'].array()).toEqual([0.5, -0.5]);
    expect(c.optimizer.map((o) => o.name)).toEqual(['iter', 'dense/kernel/m']);
    expect(c.optimizer[0].tensor.dtype).toBe('int32');
    expect(await c.optimizer[0].tensor.array()).toBe(7);
  });

  test('a weights file that does not match checkpoint.json is an error naming it', async () => {
    await writeCheckpoint(dir, meta(2), { 'a/kernel': tf.ones([3]) }, []);
    fs.writeFileSync(path.join(dir, 'weights-2.bin'), Buffer.alloc(5));
    expect(() => readCheckpoint(dir)).toThrow(`${path.join(dir, 'weights-2.bin')}: 5 bytes, ${CHECKPOINT_FILE} describes 12`);
    fs.writeFileSync(path.join(dir, CHECKPOINT_FILE), JSON.stringify({ formatVersion: 1 }));
    expect(() => readCheckpoint(dir)).toThrow(/checkpoint\.json: architecture: Required/);
  });
});
