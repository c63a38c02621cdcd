import * as tf from '@tensorflow/tfjs';
import { decodeFloat16Into, encodeFloat16, fromFloat16Bits, toFloat16Bits } from '../../../runtime/wire/float16';

describe('float16', () => {
  test.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [65520, 0x7c00], // rounds up to Infinity
    [1e6, 0x7c00], // overflow → Infinity
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -26, 0x0000], // underflows to zero
    [1e-9, 0x0000],
    [1 + 2 ** -11, 0x3c00], // tie → even
    [1 + 3 * 2 ** -11, 0x3c02], // tie → even (up)
  ])('%p ⇄ 0x%s', (value, bits) => {
    expect(toFloat16Bits(value)).toBe(bits);
  });

  test('encodes NaN as a NaN', () => {
    const b = toFloat16Bits(NaN);
    expect(b & 0x7c00).toBe(0x7c00);
    expect(b & 0x3ff).not.toBe(0);
  });

  test('every finite half value survives a round trip', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const exp = (bits >>> 10) & 0x1f;
      if (exp === 0x1f) continue;
      const v = fromFloat16Bits(bits);
      const back = toFloat16Bits(v);
      if (back !== bits && !(v === 0 && (back & 0x7fff) === 0)) throw new Error(`0x${bits.toString(16)} → ${v} → 0x${back.toString(16)}`);
    }
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true);
  });

  test('round-trips through the tfjs float16 weight decoder within half precision', () => {
    const values = new Float32Array([0.1, -3.14159, 1234.5, 1e-5, -0.0009765625, 7]);
    const data = encodeFloat16(values).buffer as ArrayBuffer;
    const decoded = tf.io.decodeWeights(data, [{ name: 'w', shape: [6], dtype: 'float32', quantization: { dtype: 'float16' } }]);
    const back = decoded.w.dataSync();
    values.forEach((v, i) => expect(Math.abs(back[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25));
    expect(back[5]).toBe(7);
    expect(back[4]).toBe(-0.0009765625);
  });
});

describe('bulk float16', () => {
  test('encodeFloat16 (bulk) gives the scalar bits for normals, subnormals, ties, overflow, zeros, NaN', () => {
    const special = [0, -0, 1, -1, 65504, 65520, 1e6, -1e6, 6.1e-5, 5.96e-8, 3e-8, 1e-9, 1 + 2 ** -11, 1 + 3 * 2 ** -11, NaN, Infinity, -Infinity];
    const random = Array.from({ length: 5000 }, (_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 12) - 6));
    const values = Float32Array.from([...special, ...random]);
    expect(Array.from(encodeFloat16(values))).toEqual(Array.from(values, (v) => toFloat16Bits(v)));
  });
  test('decodeFloat16Into (table) equals fromFloat16Bits for every one of the 65,536 patterns', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const out = new Float32Array(65536);
    decodeFloat16Into(all, out);
    for (let b = 0; b < 65536; b++) expect(Object.is(out[b], Math.fround(fromFloat16Bits(b))) || (Number.isNaN(out[b]) && Number.isNaN(fromFloat16Bits(b)))).toBe(true);
  });
});
