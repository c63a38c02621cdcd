import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { IMAGE_BYTES, RECORD_BYTES, loadCifar10, parseCifar10, readCifar10File } from '../../models/cifar10';
import { LOSSLESS_TEST } from './helpers';

/** n records whose label is i % 10 and whose pixels encode (record, channel, position). */
function generated(n: number, first = 0): Uint8Array {
  const b = new Uint8Array(n * RECORD_BYTES);
  for (let i = 0; i < n; i++) {
    b[i * RECORD_BYTES] = (first + i) % 10;
    for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) b[i * RECORD_BYTES + 1 + c * 1024 + p] = (first + i + c * 50 + p) % 256;
  }
  return b;
}

describe('CIFAR-10 loader', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cifar-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the lossless test slice: 1000 images, original labels, planar pixels turned into NHWC', () => {
    const b = readCifar10File(LOSSLESS_TEST);
    expect(b.count).toBe(1000);
    expect(b.images.length).toBe(1000 * IMAGE_BYTES);
    // the official test batch starts cat, ship, ship, airplane, frog
    expect(Array.from(b.labels.slice(0, 5))).toEqual([3, 8, 8, 0, 6]);
    const raw = fs.readFileSync(LOSSLESS_TEST);
    const r = 2 * RECORD_BYTES + 1; // record 2, pixel (row 5, col 7)
    const p = 5 * 32 + 7;
    const px = 2 * IMAGE_BYTES + p * 3;
    expect([b.images[px], b.images[px + 1], b.images[px + 2]]).toEqual([raw[r + p], raw[r + 1024 + p], raw[r + 2048 + p]]);
  });

  it('honours offset and limit', () => {
    const all = parseCifar10(generated(6));
    const part = parseCifar10(generated(6), 'mem', 2, 3);
    expect(part.count).toBe(3);
    expect(Array.from(part.labels)).toEqual([2, 3, 4]);
    expect(part.images).toEqual(all.images.slice(2 * IMAGE_BYTES, 5 * IMAGE_BYTES));
  });

  it('loads a split from any directory in the standard layout, across files', () => {
    for (let i = 1; i <= 5; i++) fs.writeFileSync(path.join(dir, `data_batch_${i}.bin`), generated(3, (i - 1) * 3));
    fs.writeFileSync(path.join(dir, 'test_batch.bin'), generated(4));
    const train = loadCifar10(dir, 'train');
    expect(train.count).toBe(15);
    expect(Array.from(train.labels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4]);
    expect(loadCifar10(dir, 'train', 7).count).toBe(7);
    expect(loadCifar10(dir, 'test').count).toBe(4);
  });

  it('rejects a file whose size is not a whole number of records, naming the file and the record size', () => {
    const f = path.join(dir, 'bad.bin');
    fs.writeFileSync(f, new Uint8Array(RECORD_BYTES + 100));
    expect(() => readCifar10File(f)).toThrow(/bad\.bin: 3173 bytes is not a positive multiple of the CIFAR-10 record size 3073/);
    fs.writeFileSync(f, new Uint8Array(0));
    expect(() => readCifar10File(f)).toThrow(/not a positive multiple/);
  });

  it('rejects labels outside 0..9', () => {
    const b = generated(2);
    b[RECORD_BYTES] = 12;
    expect(() => parseCifar10(b, 'x.bin')).toThrow('x.bin: record 1 has label 12, expected 0..9');
  });

  it('says which files are missing and which directory does not exist', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'cifar-empty-'));
    try {
      expect(() => loadCifar10(empty, 'test')).toThrow(/lacks test_batch\.bin: expected the CIFAR-10 binary layout/);
      expect(() => loadCifar10(path.join(empty, 'nope'), 'train')).toThrow(/CIFAR-10 directory not found/);
      expect(() => readCifar10File(path.join(empty, 'x.bin'))).toThrow(/CIFAR-10 file not found/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
