/** The DDNN wire format, version 1 (see README "Wire format"). */
export * from './tensor';
export * from './headers';
export * from './wire-error';
export { toFloat16Bits, fromFloat16Bits, encodeFloat16 } from './float16';
export { epochMs } from './clock';
