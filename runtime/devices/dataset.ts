/**
 * Test images for the devices, from a CIFAR-10 binary-layout directory through the models' loader: the first
 * `limit` test images as the labeled HWC uint8 images devices send. The image id is the record's index in the test
 * batch, which joins the early-exit runs with the cloud-only baseline.
 */
import { IMAGE_BYTES, IMAGE_SHAPE, loadCifar10 } from '../../models/cifar10';
import type { LabeledImage } from '../devices/session';

export function loadTestImages(dir: string, limit?: number): LabeledImage[] {
  const batch = loadCifar10(dir, 'test', limit);
  if (limit !== undefined && batch.count < limit) throw new Error(`--images ${limit}: ${dir}/test_batch.bin holds only ${batch.count} images`);
  return Array.from({ length: batch.count }, (_, i) => ({
    id: i,
    label: batch.labels[i],
    pixels: batch.images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES),
    shape: [...IMAGE_SHAPE],
  }));
}
