import * as tf from '@tensorflow/tfjs';
import { encodeFloat16, toFloat16Bits } from '../../models/float16';

describe('float16 encoding', () => {
  it.each([
    [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [1e6, 0x7c00],
    [Infinity, 0x7c00], [-Infinity, 0xfc00], [2 ** -24, 0x0001], [2 ** -14, 0x0400], [1e-9, 0x0000],
    [1 + 2 ** -11, 0x3c00], // halfway rounds to even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway rounds to even (up)
  ])('%p → 0x%s', (value, bits) => {
    expect(toFloat16Bits(value)).toBe(bits);
  });

  it('encodes NaN as a NaN', () => {
    const b = toFloat16Bits(NaN);
    expect(b & 0x7c00).toBe(0x7c00);
    expect(b & 0x3ff).not.toBe(0);
  });

  it('round-trips through the tfjs float16 decoder within half precision', () => {
    const values = new Float32Array([0.1, -3.14159, 1234.5, 1e-5, -0.0009765625, 7]);
    const data = encodeFloat16(values).buffer as ArrayBuffer;
    const decoded = tf.io.decodeWeights(data, [{ name: 'w', shape: [6], dtype: 'float32', quantization: { dtype: 'float16' } }]);
    const back = decoded.w.dataSync();
    values.forEach((v, i) => expect(Math.abs(back[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25));
    expect(back[5]).toBe(7);
    expect(back[4]).toBe(-0.0009765625);
  });
});
