import { decodeTensor, encodeTensor, WIRE_VERSION } from '../../../runtime/wire';
import { wireErrorReason } from './helpers';

describe('tensor frame', () => {
  test('round-trips a uint8 image byte for byte', () => {
    const pixels = Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => (i * 7) % 256);
    const frame = encodeTensor(pixels, [32, 32, 3], 'uint8');
    expect(frame.length).toBe(8 + 3 * 4 + 3072);
    const t = decodeTensor(frame);
    expect(t).toEqual({ dtype: 'uint8', shape: [32, 32, 3], data: pixels });
  });

  test('round-trips float32 exactly, including a frame sliced at an odd byte offset', () => {
    const values = Float32Array.from([0, -1.5, 3.1415927, 1e-30, -65504, 123456.789]);
    const frame = encodeTensor(values, [2, 3], 'float32');
    // Kafka clients hand over slices of a larger buffer: decoding must not assume alignment.
    const big = Buffer.alloc(frame.length + 3);
    frame.copy(big, 3);
    const t = decodeTensor(big.subarray(3));
    expect(t.dtype).toBe('float32');
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.data)).toEqual(Array.from(values));
  });

  test('float16 halves the payload and keeps values within half precision', () => {
    const values = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 10);
    const f32 = encodeTensor(values, [4, 4, 4], 'float32');
    const f16 = encodeTensor(values, [4, 4, 4], 'float16');
    expect(f32.length - f16.length).toBe(64 * 2);
    const t = decodeTensor(f16);
    expect(t.dtype).toBe('float16');
    expect(t.data).toBeInstanceOf(Float32Array);
    values.forEach((v, i) => expect(Math.abs(t.data[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 1e-7));
  });

  test('layout is the documented one: magic, version, dtype, rank, flags, uint32 LE dims', () => {
    const frame = encodeTensor(Float32Array.from([1]), [1], 'float32');
    expect(Array.from(frame)).toEqual([0x44, 0x44, 0x4e, 0x54, WIRE_VERSION, 3, 1, 0, 1, 0, 0, 0, 0, 0, 0x80, 0x3f]);
  });

  test.each([
    ['empty value', () => decodeTensor(Buffer.alloc(0)), 'empty'],
    ['null value', () => decodeTensor(null), 'empty'],
    ['JSON text (the authors\' format)', () => decodeTensor(Buffer.from('[[[0.1,0.2]]]')), 'bad-magic'],
    ['unknown version', () => decodeTensor(patch(encodeTensor(new Uint8Array(3), [3], 'uint8'), 4, 2)), 'unsupported-version'],
    ['unknown dtype', () => decodeTensor(patch(encodeTensor(new Uint8Array(3), [3], 'uint8'), 5, 9)), 'bad-dtype'],
    ['rank 0', () => decodeTensor(patch(encodeTensor(new Uint8Array(3), [3], 'uint8'), 6, 0)), 'bad-shape'],
    ['rank 9', () => decodeTensor(patch(encodeTensor(new Uint8Array(3), [3], 'uint8'), 6, 9)), 'bad-shape'],
    ['non-zero flags', () => decodeTensor(patch(encodeTensor(new Uint8Array(3), [3], 'uint8'), 7, 1)), 'bad-flags'],
    ['zero dimension', () => decodeTensor(patch(encodeTensor(new Uint8Array(3), [3], 'uint8'), 8, 0)), 'bad-shape'],
    ['truncated shape', () => decodeTensor(encodeTensor(new Uint8Array(6), [2, 3], 'uint8').subarray(0, 13)), 'truncated'],
    ['short payload', () => decodeTensor(encodeTensor(new Uint8Array(6), [2, 3], 'uint8').subarray(0, 20)), 'length-mismatch'],
    ['trailing bytes', () => decodeTensor(Buffer.concat([encodeTensor(new Uint8Array(6), [6], 'uint8'), Buffer.from([0])])), 'length-mismatch'],
    ['NaN in float32', () => decodeTensor(encodeTensor(Float32Array.from([1, NaN]), [2], 'float32')), 'non-finite'],
    ['Infinity in float16', () => decodeTensor(encodeTensor(Float32Array.from([1e6]), [1], 'float16')), 'non-finite'],
  ])('rejects %s', (_name, fn, expected) => {
    expect(wireErrorReason(fn)).toBe(expected);
  });

  test('refuses to encode inconsistent tensors', () => {
    expect(wireErrorReason(() => encodeTensor(new Uint8Array(5), [2, 3], 'uint8'))).toBe('length-mismatch');
    expect(wireErrorReason(() => encodeTensor(new Float32Array(6), [2, 3], 'uint8'))).toBe('bad-dtype');
    expect(wireErrorReason(() => encodeTensor(new Uint8Array(0), [], 'uint8'))).toBe('bad-shape');
    expect(wireErrorReason(() => encodeTensor(new Uint8Array(3), [1.5, 2], 'uint8'))).toBe('bad-shape');
  });
});

function patch(buf: Buffer, offset: number, value: number): Buffer {
  const copy = Buffer.from(buf);
  copy.writeUInt8(value, offset);
  return copy;
}

describe('int8 features (per-channel affine)', () => {
  const shape = [4, 4, 3];
  const values = Float32Array.from({ length: 48 }, (_, i) => (i % 3 === 0 ? i * 0.5 : i % 3 === 1 ? -1 + i * 0.001 : 7));
  test('round-trips within half a step of each channel; a constant channel is exact', () => {
    const frame = encodeTensor(values, shape, 'int8');
    expect(frame.length).toBe(8 + 4 * 3 + 8 * 3 + 48);
    const back = decodeTensor(frame);
    expect(back.dtype).toBe('int8');
    expect(back.shape).toEqual(shape);
    for (let c = 0; c < 3; c++) {
      const ch = Array.from(values).filter((_, i) => i % 3 === c);
      const step = (Math.max(...ch) - Math.min(...ch)) / 255;
      for (let i = c; i < 48; i += 3) expect(Math.abs(back.data[i] - values[i])).toBeLessThanOrEqual(step / 2 + 1e-6);
    }
    for (let i = 2; i < 48; i += 3) expect(back.data[i]).toBe(7);
  });
  test('a NaN or an infinity cannot be quantized', () => {
    expect(wireErrorReason(() => encodeTensor(Float32Array.from([1, 2, NaN]), [3], 'int8'))).toBe('non-finite');
    expect(wireErrorReason(() => encodeTensor(Float32Array.from([1, Infinity]), [2], 'int8'))).toBe('non-finite');
  });
  test('a frame with the payload cut is refused', () => {
    const frame = encodeTensor(values, shape, 'int8');
    expect(wireErrorReason(() => decodeTensor(frame.subarray(0, frame.length - 1)))).toBe('length-mismatch');
  });
});
