/**
 * The CIFAR-10 "binary version" layout: data_batch_1..5.bin and test_batch.bin, each record one label byte and 3072
 * pixel bytes (1024 R, 1024 G, 1024 B, row-major 32×32). The trainer (models/) and the devices (runtime/devices)
 * read the same files, so the layout and its parser are a contract. Pure: callers read the bytes.
 * Images come back as NHWC uint8 (what a device sends), labels as uint8.
 */

export const IMAGE_SHAPE = [32, 32, 3] as const;
export const IMAGE_BYTES = 32 * 32 * 3;
export const RECORD_BYTES = 1 + IMAGE_BYTES;
export const TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const TEST_FILE = 'test_batch.bin';

export interface Cifar10Batch {
  /** NHWC uint8, `count` × 32 × 32 × 3. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

/** Converts one record's planar (CHW) pixels to interleaved HWC. */
function planarToInterleaved(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number): void {
  for (let p = 0; p < 1024; p++) {
    dst[dstOffset + p * 3] = src[srcOffset + p];
    dst[dstOffset + p * 3 + 1] = src[srcOffset + 1024 + p];
    dst[dstOffset + p * 3 + 2] = src[srcOffset + 2048 + p];
  }
}

/** Parses CIFAR-10 binary records from memory; `what` names the source in errors. */
export function parseCifar10(bytes: Uint8Array, what = 'CIFAR-10 data', offset = 0, limit?: number): Cifar10Batch {
  if (bytes.length === 0 || bytes.length % RECORD_BYTES !== 0) {
    throw new Error(
      `${what}: ${bytes.length} bytes is not a positive multiple of the CIFAR-10 record size ${RECORD_BYTES} ` +
        `(1 label byte + ${IMAGE_BYTES} pixel bytes); is this the binary version of CIFAR-10?`,
    );
  }
  const total = bytes.length / RECORD_BYTES;
  if (!Number.isInteger(offset) || offset < 0 || offset > total) throw new Error(`${what}: offset ${offset} outside 0..${total}`);
  const count = Math.min(total - offset, limit ?? Infinity);
  const images = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const r = (offset + i) * RECORD_BYTES;
    const label = bytes[r];
    if (label > 9) throw new Error(`${what}: record ${offset + i} has label ${label}, expected 0..9`);
    labels[i] = label;
    planarToInterleaved(bytes, r + 1, images, i * IMAGE_BYTES);
  }
  return { images, labels, count };
}
