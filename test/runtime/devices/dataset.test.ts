import * as path from 'node:path';
import { loadTestImages } from '../../../runtime/devices/dataset';
import { BUNDLED_SAMPLE_DIR } from '../../../runtime/continuum/options';

describe('bundled sample', () => {
  it('holds the first 300 CIFAR-10 test images with their original labels', () => {
    const images = loadTestImages(BUNDLED_SAMPLE_DIR);
    expect(images).toHaveLength(300);
    // Official test batch: cat, ship, ship, airplane, frog, ...
    expect(images.slice(0, 5).map((i) => i.label)).toEqual([3, 8, 8, 0, 6]);
    expect(images[299].id).toBe(299);
    expect(images[0].pixels).toHaveLength(32 * 32 * 3);
  });

  it('refuses more images than the set holds', () => {
    expect(() => loadTestImages(BUNDLED_SAMPLE_DIR, 301)).toThrow(/holds only 300/);
    expect(() => loadTestImages(path.join(BUNDLED_SAMPLE_DIR, 'missing'))).toThrow(/not found/);
  });
});
