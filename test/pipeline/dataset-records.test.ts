/** Dataset records (encode/decode, CIFAR-10 checks, partition shares, re-ingest plans) and exit/loss-weight checks. */
import { RECORD_BYTES } from '../../contracts/cifar10';
import { HEADER } from '../../contracts/wire';
import {
  checkCifar10Bytes, cifar10Record, decodeDatasetRecord, encodeDatasetRecord, planIngest, recordsOnPartition,
} from '../../models/pipeline/dataset-records';
import { parseLossWeightOverrides, resolveLossWeights } from '../../models/pipeline/loss-weights';
import { tinyArchitecture } from '../../models/testing/tiny-model';

function fakeBatch(n: number): Uint8Array {
  const b = new Uint8Array(n * RECORD_BYTES);
  for (let i = 0; i < n; i++) {
    b[i * RECORD_BYTES] = i % 10;
    for (let j = 1; j < RECORD_BYTES; j++) b[i * RECORD_BYTES + j] = (i + j) & 0xff;
  }
  return b;
}

describe('dataset records', () => {
  test('a record round-trips through the wire format with its label header and key', () => {
    const bytes = fakeBatch(3);
    const r = cifar10Record('data_batch_1.bin', bytes, 2);
    expect(r.key).toBe('data_batch_1.bin:2');
    expect(r.label).toBe(2);
    // planar CHW → NHWC: pixel 0's R, G, B are bytes 1, 1025, 2049 of the record
    expect([...r.image.subarray(0, 3)]).toEqual([bytes[2 * RECORD_BYTES + 1], bytes[2 * RECORD_BYTES + 1025], bytes[2 * RECORD_BYTES + 2049]]);
    const m = encodeDatasetRecord(r);
    expect(m.headers[HEADER.label]).toBe('2');
    const back = decodeDatasetRecord(m.key, m.value, m.headers, 't/0@5');
    expect(back.key).toBe(r.key);
    expect(back.label).toBe(2);
    expect(Buffer.from(back.image).equals(Buffer.from(r.image))).toBe(true);
  });

  test('a record without a label or with another tensor fails naming where it was', () => {
    const m = encodeDatasetRecord(cifar10Record('f', fakeBatch(1), 0));
    expect(() => decodeDatasetRecord(m.key, m.value, { [HEADER.version]: '1' }, 'train/1@7')).toThrow(`train/1@7: header ${HEADER.label} is missing`);
    expect(() => decodeDatasetRecord(m.key, m.value, { [HEADER.label]: 'cat' }, 'train/1@7')).toThrow('"cat", not a class index');
    expect(() => decodeDatasetRecord(m.key, Buffer.from('nope'), m.headers, 'train/1@8')).toThrow();
  });

  test('a truncated file or a bad label byte is named with its byte offset', () => {
    expect(checkCifar10Bytes('ok.bin', fakeBatch(4), 10)).toBe(4);
    const cut = fakeBatch(4).subarray(0, 3 * RECORD_BYTES + 10);
    expect(() => checkCifar10Bytes('cut.bin', cut, 10)).toThrow(`cut.bin: truncated or corrupt: ${cut.length} bytes is not a whole number of ${RECORD_BYTES}-byte records; record 3 starts at byte offset ${3 * RECORD_BYTES} and has only 10 bytes`);
    const bad = fakeBatch(4);
    bad[2 * RECORD_BYTES] = 11;
    expect(() => checkCifar10Bytes('bad.bin', bad, 10)).toThrow(`bad.bin: record 2 at byte offset ${2 * RECORD_BYTES} has label 11, expected 0..9`);
    expect(() => checkCifar10Bytes('empty.bin', new Uint8Array(0), 10)).toThrow('empty.bin: empty file');
  });

  test('record i goes to partition i mod P: shares add up', () => {
    expect([0, 1, 2].map((p) => recordsOnPartition(10, 3, p))).toEqual([4, 3, 3]);
    expect([0, 1, 2, 3].map((p) => recordsOnPartition(2, 4, p))).toEqual([1, 1, 0, 0]);
  });

  test('re-ingest plans: complete → nothing, cut short → the rest, other data → conflict', () => {
    expect(planIngest(10, [4, 3, 3])).toEqual({ kind: 'done', present: 10 });
    expect(planIngest(10, [0, 0, 0])).toEqual({ kind: 'produce', present: 0, skip: [0, 0, 0] });
    expect(planIngest(10, [2, 3, 0])).toEqual({ kind: 'produce', present: 5, skip: [2, 3, 0] });
    // a larger ingest extends a smaller one: the smaller one's records are a prefix of every partition
    expect(planIngest(30, [4, 3, 3])).toMatchObject({ kind: 'produce', present: 10 });
    expect(planIngest(6, [4, 3, 3])).toEqual({ kind: 'conflict', present: 10, reason: 'partition 0 holds 4 records, an ingest of 6 puts 2 there' });
  });
});

describe('exits and loss weights', () => {
  const spec = tinyArchitecture();

  test("the spec's weights by default; --exits zeroes the others; --loss-weight overrides one", () => {
    expect(resolveLossWeights(spec)).toEqual([1, 1, 1]);
    expect(resolveLossWeights(spec, ['edge_output', 'cloud_output'])).toEqual([1, 0, 1]);
    expect(resolveLossWeights(spec, undefined, parseLossWeightOverrides(['fog_output=0.5']))).toEqual([1, 0.5, 1]);
  });

  test('a name that is not an exit of the spec is an error naming it', () => {
    expect(() => resolveLossWeights(spec, ['edge_exitX'])).toThrow("--exits: exit 'edge_exitX' is not in tiny-branchynet (its exits: edge_output, fog_output, cloud_output)");
    expect(() => resolveLossWeights(spec, undefined, { edge_exitX: 1 })).toThrow("--loss-weight: exit 'edge_exitX' is not in tiny-branchynet");
    expect(() => resolveLossWeights(spec, ['edge_output'], { cloud_output: 1 })).toThrow("exit 'cloud_output' is not among --exits");
    expect(() => parseLossWeightOverrides(['edge_output'])).toThrow('--loss-weight "edge_output": expected <exit>=<non-negative number>');
    expect(() => resolveLossWeights(spec, undefined, { edge_output: 0, fog_output: 0, cloud_output: 0 })).toThrow('nothing to train');
  });
});
