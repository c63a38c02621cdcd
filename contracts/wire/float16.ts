/**
 * IEEE 754 binary16 ⇄ binary32 conversion. Feature maps may travel as float16 to halve the bytes on a WAN link;
 * tfjs has no float16 dtype, so the codec widens them to float32 on decode. models/layers-files.ts uses the same
 * encoder to store weights at half size (tfjs decodes float16-quantized weights itself). Depends on nothing, so
 * models may import it without pulling in the runtime.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Round-to-nearest-even float32 → float16 bits. Overflow becomes ±Infinity, NaN stays NaN. */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;

  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large: Infinity
  if (e <= 0) {
    // Subnormal half (or zero): shift the mantissa with the implicit 1 into place, rounding to nearest even.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    const rounded = rem > mid || (rem === mid && (half & 1) === 1) ? half + 1 : half;
    return sign | rounded;
  }
  const half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and may reach Infinity).
  const rounded = rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1) ? half + 1 : half;
  return sign | rounded;
}

/** float16 bits → number (exact). */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Encodes every value with {@link toFloat16Bits}. */
export function encodeFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  encodeFloat16Into(values, out);
  return out;
}

/**
 * Bulk {@link toFloat16Bits} into `out`: the common case (a normal half, |v| in [2^-14, 65504]) inline on the raw
 * bits, everything else through the scalar path. Same bits as the scalar function, ~10× faster on a feature map.
 */
export function encodeFloat16Into(values: Float32Array, out: Uint16Array): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const exp = (x >>> 23) & 0xff;
    if (exp > 112 && exp < 143) {
      const mant = x & 0x7fffff;
      let half = ((exp - 112) << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half++;
      out[i] = ((x >>> 16) & 0x8000) | half;
    } else {
      out[i] = toFloat16Bits(values[i]);
    }
  }
}

let table: Float32Array | null = null;

/** Bulk {@link fromFloat16Bits} through a 65,536-entry table (256 KiB, built on first use). */
export function decodeFloat16Into(halves: Uint16Array, out: Float32Array): void {
  if (!table) {
    table = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) table[b] = fromFloat16Bits(b);
  }
  for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]];
}
