/**
 * Binary tensor frame: the value of every DDNN Kafka record (one sample, no batch dimension).
 *
 *   offset  size  field
 *   0       4     magic "DDNT" (0x44 0x44 0x4E 0x54)
 *   4       1     wire format version (WIRE_VERSION = 1)
 *   5       1     dtype: 1 = uint8, 2 = float16, 3 = float32, 4 = int8 (8-bit affine per channel, below)
 *   6       1     rank r (1…8)
 *   7       1     flags, must be 0 in version 1
 *   8       4·r   dims, uint32 little-endian
 *   8+4r    …     payload: ∏dims elements, little-endian, row-major (C order), nothing after it
 *
 * int8 (dtype 4) quantizes a float tensor per channel (the last dimension, C): the payload starts with C float32
 * minimums and C float32 steps, then one unsigned byte q per element; the value is min[c] + q · step[c]. A feature
 * map after ReLU spans very different ranges per channel, so per-channel steps keep the error far below a step of
 * the whole tensor's range. 4× fewer bytes than float32, 2× fewer than float16.
 *
 * Pure functions only: bytes in, typed arrays out, or a WireError naming what is wrong.
 */
import { decodeFloat16Into, encodeFloat16Into } from './float16';
import { WireError } from './wire-error';

export const WIRE_VERSION = 1;
export const MAGIC = Buffer.from('DDNT', 'ascii');
export const MAX_RANK = 8;
const HEADER_BYTES = 8;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export type WireDtype = 'uint8' | 'float16' | 'float32' | 'int8';
const DTYPE_CODES: Record<WireDtype, number> = { uint8: 1, float16: 2, float32: 3, int8: 4 };
const DTYPE_BY_CODE: Record<number, WireDtype | undefined> = { 1: 'uint8', 2: 'float16', 3: 'float32', 4: 'int8' };
const DTYPE_BYTES: Record<WireDtype, number> = { uint8: 1, float16: 2, float32: 4, int8: 1 };

/** Bytes of a payload: the elements, plus the per-channel minimums and steps of int8. */
function payloadBytes(dtype: WireDtype, shape: readonly number[]): number {
  return elementCount(shape) * DTYPE_BYTES[dtype] + (dtype === 'int8' ? 8 * shape[shape.length - 1] : 0);
}

/** A decoded tensor. `dtype` is how it travelled; float16 is widened to a Float32Array. */
export interface WireTensor {
  dtype: WireDtype;
  shape: number[];
  data: Uint8Array | Float32Array;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/**
 * Encodes one sample. `dtype` picks the wire type: uint8 data must come as a Uint8Array; float data may be sent
 * as float32 or float16.
 */
export function encodeTensor(data: Uint8Array | Float32Array, shape: readonly number[], dtype: WireDtype): Buffer {
  if (shape.length < 1 || shape.length > MAX_RANK) {
    throw new WireError('bad-shape', `rank ${shape.length} must be 1…${MAX_RANK}`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1 || d > 0xffffffff) throw new WireError('bad-shape', `dimension ${d} is not a positive integer`);
  }
  const n = elementCount(shape);
  if (data.length !== n) throw new WireError('length-mismatch', `shape [${shape}] needs ${n} elements, got ${data.length}`);
  if (dtype === 'uint8' && !(data instanceof Uint8Array)) throw new WireError('bad-dtype', 'uint8 tensors must be Uint8Array');

  const offset = HEADER_BYTES + 4 * shape.length;
  const buf = Buffer.alloc(offset + payloadBytes(dtype, shape));
  MAGIC.copy(buf, 0);
  buf.writeUInt8(WIRE_VERSION, 4);
  buf.writeUInt8(DTYPE_CODES[dtype], 5);
  buf.writeUInt8(shape.length, 6);
  buf.writeUInt8(0, 7);
  shape.forEach((d, i) => buf.writeUInt32LE(d, HEADER_BYTES + 4 * i));

  if (dtype === 'uint8') {
    buf.set(data, offset);
  } else if (dtype === 'float32') {
    const f = data instanceof Float32Array ? data : Float32Array.from(data);
    if (LITTLE_ENDIAN) buf.set(new Uint8Array(f.buffer, f.byteOffset, f.byteLength), offset);
    else for (let i = 0; i < n; i++) buf.writeFloatLE(f[i], offset + 4 * i);
  } else if (dtype === 'float16') {
    const f = data instanceof Float32Array ? data : Float32Array.from(data);
    const halves = new Uint16Array(n);
    encodeFloat16Into(f, halves);
    if (LITTLE_ENDIAN) buf.set(new Uint8Array(halves.buffer), offset);
    else for (let i = 0; i < n; i++) buf.writeUInt16LE(halves[i], offset + 2 * i);
  } else {
    quantize(data, shape[shape.length - 1], buf, offset);
  }
  return buf;
}

/** Per-channel affine 8-bit quantization into `buf` at `offset`: C mins, C steps, then the codes. */
function quantize(data: Uint8Array | Float32Array, channels: number, buf: Buffer, offset: number): void {
  const min = new Float32Array(channels).fill(Infinity);
  const max = new Float32Array(channels).fill(-Infinity);
  for (let base = 0; base < data.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      const v = data[base + c];
      if (v - v !== 0) throw new WireError('non-finite', `element ${base + c} is ${v}`); // NaN or ±Infinity
      if (v < min[c]) min[c] = v;
      if (v > max[c]) max[c] = v;
    }
  }
  const step = new Float32Array(channels);
  for (let c = 0; c < channels; c++) step[c] = max[c] > min[c] ? (max[c] - min[c]) / 255 : 0;
  for (let c = 0; c < channels; c++) {
    buf.writeFloatLE(min[c], offset + 4 * c);
    buf.writeFloatLE(step[c], offset + 4 * (channels + c));
  }
  const inv = step.map((s) => (s === 0 ? 0 : 1 / s));
  const codes = offset + 8 * channels;
  for (let base = 0; base < data.length; base += channels) {
    for (let c = 0; c < channels; c++) buf[codes + base + c] = Math.round((data[base + c] - min[c]) * inv[c]);
  }
}

/** Decodes and checks a frame; float payloads must be finite (a NaN in a request is malformed input). */
export function decodeTensor(bytes: Uint8Array | null | undefined): WireTensor {
  if (!bytes || bytes.length === 0) throw new WireError('empty', 'record has no value');
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < HEADER_BYTES || !buf.subarray(0, 4).equals(MAGIC)) {
    throw new WireError('bad-magic', 'value is not a DDNN tensor frame (magic "DDNT" missing)');
  }
  const version = buf.readUInt8(4);
  if (version !== WIRE_VERSION) {
    throw new WireError('unsupported-version', `wire format version ${version} is not supported (this runtime speaks ${WIRE_VERSION})`);
  }
  const dtype = DTYPE_BY_CODE[buf.readUInt8(5)];
  if (!dtype) throw new WireError('bad-dtype', `unknown dtype code ${buf.readUInt8(5)}`);
  const rank = buf.readUInt8(6);
  if (rank < 1 || rank > MAX_RANK) throw new WireError('bad-shape', `rank ${rank} must be 1…${MAX_RANK}`);
  if (buf.readUInt8(7) !== 0) throw new WireError('bad-flags', `flags ${buf.readUInt8(7)} must be 0 in version ${WIRE_VERSION}`);
  const offset = HEADER_BYTES + 4 * rank;
  if (buf.length < offset) throw new WireError('truncated', `frame ends inside its shape (${buf.length} bytes)`);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) {
    const d = buf.readUInt32LE(HEADER_BYTES + 4 * i);
    if (d === 0) throw new WireError('bad-shape', `dimension ${i} is 0`);
    shape.push(d);
  }
  const n = elementCount(shape);
  const expected = offset + payloadBytes(dtype, shape);
  if (buf.length !== expected) {
    throw new WireError('length-mismatch', `shape [${shape}] ${dtype} needs ${expected} bytes, frame has ${buf.length}`);
  }

  if (dtype === 'uint8') {
    return { dtype, shape, data: new Uint8Array(buf.subarray(offset)) };
  }
  const data = new Float32Array(n);
  if (dtype === 'float32') {
    // Copy into a fresh, aligned buffer: Kafka record buffers are slices at arbitrary byte offsets.
    if (LITTLE_ENDIAN) new Uint8Array(data.buffer).set(buf.subarray(offset, expected));
    else for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(offset + 4 * i);
  } else if (dtype === 'float16') {
    // Copied into an aligned Uint16Array first: Kafka record buffers are slices at arbitrary byte offsets.
    const halves = new Uint16Array(n);
    if (LITTLE_ENDIAN) new Uint8Array(halves.buffer).set(buf.subarray(offset, expected));
    else for (let i = 0; i < n; i++) halves[i] = buf.readUInt16LE(offset + 2 * i);
    decodeFloat16Into(halves, data);
  } else {
    const channels = shape[rank - 1];
    const min = new Float32Array(channels);
    const step = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      min[c] = buf.readFloatLE(offset + 4 * c);
      step[c] = buf.readFloatLE(offset + 4 * (channels + c));
    }
    const codes = offset + 8 * channels;
    for (let base = 0; base < n; base += channels) {
      for (let c = 0; c < channels; c++) data[base + c] = min[c] + buf[codes + base + c] * step[c];
    }
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(data[i])) throw new WireError('non-finite', `element ${i} is ${data[i]}`);
  }
  return { dtype, shape, data };
}
