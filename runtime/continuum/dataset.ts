/**
 * Test images for the devices: the first `limit` records of `test_batch.bin` in a CIFAR-10 binary-layout directory
 * (1 label byte + 3072 pixel bytes, channel planes R, G, B), converted to the height × width × channel layout the
 * devices send. The image id is the record's index in the test batch, which joins the runs of one experiment.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { LabeledImage } from '../devices/session';

const SIDE = 32;
const PIXELS = SIDE * SIDE;
export const CIFAR10_RECORD_BYTES = 1 + 3 * PIXELS;

/** Pure: one binary-layout record (planar RGB) → an HWC image. */
export function decodeCifarRecord(record: Uint8Array, id: number): LabeledImage {
  if (record.length !== CIFAR10_RECORD_BYTES) throw new Error(`record ${id}: ${record.length} bytes, expected ${CIFAR10_RECORD_BYTES}`);
  const label = record[0];
  if (label > 9) throw new Error(`record ${id}: label ${label} is not a CIFAR-10 class (0–9)`);
  const pixels = new Uint8Array(3 * PIXELS);
  for (let p = 0; p < PIXELS; p++) {
    for (let c = 0; c < 3; c++) pixels[p * 3 + c] = record[1 + c * PIXELS + p];
  }
  return { id, label, pixels, shape: [SIDE, SIDE, 3] };
}

export function loadTestImages(dir: string, limit?: number): LabeledImage[] {
  const file = path.join(dir, 'test_batch.bin');
  const size = statSync(file).size;
  if (size % CIFAR10_RECORD_BYTES !== 0) {
    throw new Error(`${file}: ${size} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte CIFAR-10 records`);
  }
  const available = size / CIFAR10_RECORD_BYTES;
  if (limit !== undefined && limit > available) throw new Error(`--images ${limit}: ${file} holds only ${available} images`);
  const n = limit ?? available;
  const buf = Buffer.alloc(n * CIFAR10_RECORD_BYTES);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, 0);
  } finally {
    closeSync(fd);
  }
  return Array.from({ length: n }, (_, i) => decodeCifarRecord(buf.subarray(i * CIFAR10_RECORD_BYTES, (i + 1) * CIFAR10_RECORD_BYTES), i));
}
