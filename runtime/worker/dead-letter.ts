/**
 * Dead letters (pure): the record as it came — key, value and header bytes untouched, null stays null — plus
 * why, where and from which offset. The reason headers are appended after the record's own headers, so a header
 * the record already had under the same name keeps its value and ours comes last (Java's `lastHeader()` reads it).
 *
 * A dead letter must always fit the dead-letter topic, or a record too big to dead-letter would block its
 * partition: past `maxBytes` the value is cut first, then the headers are dropped, and the original sizes are
 * recorded. The full record stays in the input topic's log at the offset in `ddnn-dlq-source` until retention.
 */
import { HEADER } from '../wire';

/** Header values as kafkajs hands them over on consume and takes on produce; null is a header without a value. */
export type HeaderValue = Buffer | string | null;
export type Headers = Record<string, HeaderValue | HeaderValue[] | undefined>;

export interface RawRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
  offset: string;
}

export interface OutgoingRecord {
  topic: string;
  key: Buffer | string | null;
  value: Buffer | null;
  headers: Headers;
}

export interface DeadLetterContext {
  dlqTopic: string;
  layer: string;
  /** the input topic and partition the record came from */
  topic: string;
  partition: number;
  /** at most this many bytes of key + value + headers are kept */
  maxBytes: number;
  /** the end of the offset range when the "record" stands for a whole batch the client could not decode */
  lastOffset?: string;
}

const length = (v: HeaderValue | undefined): number => (v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length);

/** Bytes of a record's headers, names included: what header limits and dead-letter budgets count. */
export function headerBytes(headers: Headers): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  for (const name of Object.keys(headers)) {
    const v = headers[name];
    const values = Array.isArray(v) ? v : [v];
    count += values.length;
    bytes += values.length * Buffer.byteLength(name);
    for (const x of values) bytes += length(x);
  }
  return { count, bytes };
}

export function recordBytes(r: { key: Buffer | string | null; value: Buffer | null; headers: Headers }): number {
  return length(r.key) + length(r.value) + headerBytes(r.headers).bytes;
}

export function deadLetter(record: RawRecord, reason: string, detail: string, ctx: DeadLetterContext): OutgoingRecord {
  const source = `${ctx.topic}/${ctx.partition}@${record.offset}${ctx.lastOffset && ctx.lastOffset !== record.offset ? `-${ctx.lastOffset}` : ''}`;
  const ours: Record<string, string> = {
    [HEADER.dlqReason]: `${reason}: ${detail}`.slice(0, 1000),
    [HEADER.dlqLayer]: ctx.layer,
    [HEADER.dlqSource]: source,
  };
  const ownBytes = Object.entries(ours).reduce((n, [k, v]) => n + k.length + Buffer.byteLength(v), 0) + 200;
  const budget = Math.max(0, ctx.maxBytes - ownBytes);

  let value = record.value;
  let headers: Headers = record.headers;
  const keyBytes = length(record.key);
  const hb = headerBytes(record.headers).bytes;
  if (keyBytes + length(value) + hb > budget) {
    // Headers are kept whole or not at all; the value is cut to what is left.
    if (keyBytes + hb > budget) {
      headers = {};
      ours[HEADER.dlqOriginalHeaders] = `${headerBytes(record.headers).count} headers, ${hb} bytes`;
    }
    const room = Math.max(0, budget - keyBytes - headerBytes(headers).bytes);
    if (value && value.length > room) {
      ours[HEADER.dlqOriginalBytes] = String(value.length);
      value = value.subarray(0, room);
    }
  }
  return { topic: ctx.dlqTopic, key: record.key, value, headers: appendHeaders(headers, ours) };
}

/** A copy of `headers` with `extra` after them; a name already there becomes [its values..., ours]. */
export function appendHeaders(headers: Headers, extra: Record<string, string>): Headers {
  const out: Headers = {};
  for (const name of Object.keys(headers)) define(out, name, headers[name]);
  for (const [name, v] of Object.entries(extra)) {
    if (!Object.prototype.hasOwnProperty.call(out, name)) define(out, name, v);
    else {
      const old = out[name];
      define(out, name, [...(Array.isArray(old) ? old : [old ?? null]), v]);
    }
  }
  return out;
}

// defineProperty, so a header named "__proto__" stays an ordinary header.
function define(obj: Headers, name: string, value: Headers[string]): void {
  Object.defineProperty(obj, name, { value, writable: true, enumerable: true, configurable: true });
}
