/**
 * Test images for the devices, from a CIFAR-10 binary-layout directory: the first `limit` test images as the labeled
 * HWC uint8 images devices send. The image id is the record's index in the test batch, which joins the early-exit
 * runs with the cloud-only baseline.
 */
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { IMAGE_BYTES, IMAGE_SHAPE, TEST_FILE, parseCifar10 } from '../../contracts/cifar10';
import type { LabeledImage } from './session';

export function loadTestImages(dir: string, limit?: number): LabeledImage[] {
  const file = path.join(dir, TEST_FILE);
  if (!existsSync(file)) throw new Error(`CIFAR-10 test batch not found: ${file} (expected the CIFAR-10 binary layout)`);
  const batch = parseCifar10(new Uint8Array(readFileSync(file)), file, 0, limit);
  if (limit !== undefined && batch.count < limit) throw new Error(`--images ${limit}: ${file} holds only ${batch.count} images`);
  return Array.from({ length: batch.count }, (_, i) => ({
    id: i,
    label: batch.labels[i],
    pixels: batch.images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES),
    shape: [...IMAGE_SHAPE],
  }));
}
