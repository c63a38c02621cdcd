/**
 * Dataset records of the pipeline's training and evaluation topics (pure). Kafka-ML's idea: the topic *is* the
 * dataset. One record per image: the value is a wire-format uint8 tensor [32, 32, 3] (contracts/wire, what a device
 * sends), the label is the `ddnn-label` header, the key is `<file>:<index>` so a record names where it came from.
 * Record i of the split goes to partition i mod P, so a re-run knows exactly which records each partition should hold.
 */
import { HEADER, WIRE_VERSION, decodeTensor, encodeTensor, type RawHeaders } from '../../contracts/wire';
import { IMAGE_BYTES, IMAGE_SHAPE, RECORD_BYTES } from '../../contracts/cifar10';

export interface DatasetRecord {
  key: string;
  /** NHWC uint8, 32 × 32 × 3 */
  image: Uint8Array;
  label: number;
}

export function encodeDatasetRecord(r: DatasetRecord): { key: string; value: Buffer; headers: Record<string, string> } {
  if (!Number.isInteger(r.label) || r.label < 0 || r.label > 255) throw new Error(`record ${r.key}: label ${r.label} is not a class index`);
  return {
    key: r.key,
    value: encodeTensor(r.image, IMAGE_SHAPE, 'uint8'),
    headers: { [HEADER.version]: String(WIRE_VERSION), [HEADER.label]: String(r.label) },
  };
}

/** Decodes one consumed record; `where` (topic/partition@offset) names it in errors. */
export function decodeDatasetRecord(key: Buffer | string | null, value: Buffer | null, headers: RawHeaders | undefined, where: string): DatasetRecord {
  const t = decodeTensor(value);
  if (t.dtype !== 'uint8' || t.shape.length !== 3 || t.shape.some((d, i) => d !== IMAGE_SHAPE[i])) {
    throw new Error(`${where}: value is a ${t.dtype} [${t.shape}] tensor, a dataset record holds uint8 [${IMAGE_SHAPE}]`);
  }
  const raw = headers?.[HEADER.label];
  const text = raw === undefined || raw === null || Array.isArray(raw) ? undefined : raw.toString();
  if (text === undefined || !/^\d{1,3}$/.test(text)) throw new Error(`${where}: header ${HEADER.label} is ${text === undefined ? 'missing' : `"${text}", not a class index`}`);
  return { key: key === null ? '' : key.toString(), image: t.data as Uint8Array, label: Number(text) };
}

/** A file of the split and how many of its records to ingest. */
export interface SplitFile {
  name: string;
  records: number;
}

/**
 * Checks a CIFAR-10 binary file before anything is produced: its size is a whole number of records and every
 * label byte is a class index. Errors name the file and the byte offset.
 */
export function checkCifar10Bytes(name: string, bytes: Uint8Array, classes: number): number {
  if (bytes.length === 0) throw new Error(`${name}: empty file (a CIFAR-10 batch holds records of ${RECORD_BYTES} bytes)`);
  const whole = Math.floor(bytes.length / RECORD_BYTES);
  if (bytes.length % RECORD_BYTES !== 0) {
    throw new Error(
      `${name}: truncated or corrupt: ${bytes.length} bytes is not a whole number of ${RECORD_BYTES}-byte records; ` +
        `record ${whole} starts at byte offset ${whole * RECORD_BYTES} and has only ${bytes.length - whole * RECORD_BYTES} bytes`,
    );
  }
  for (let i = 0; i < whole; i++) {
    const label = bytes[i * RECORD_BYTES];
    if (label >= classes) throw new Error(`${name}: record ${i} at byte offset ${i * RECORD_BYTES} has label ${label}, expected 0..${classes - 1}`);
  }
  return whole;
}

/** The record at `index` of a checked file: planar CHW pixels → NHWC, as contracts/cifar10 does. */
export function cifar10Record(file: string, bytes: Uint8Array, index: number): DatasetRecord {
  const at = index * RECORD_BYTES;
  const image = new Uint8Array(IMAGE_BYTES);
  for (let p = 0; p < 1024; p++) {
    image[p * 3] = bytes[at + 1 + p];
    image[p * 3 + 1] = bytes[at + 1 + 1024 + p];
    image[p * 3 + 2] = bytes[at + 1 + 2048 + p];
  }
  return { key: `${file}:${index}`, image, label: bytes[at] };
}

/** How many of `total` records (0..total-1, record i on partition i mod P) partition p holds. */
export function recordsOnPartition(total: number, partitions: number, p: number): number {
  return p < total % partitions ? Math.ceil(total / partitions) : Math.floor(total / partitions);
}

export type IngestPlan =
  | { kind: 'done'; present: number }
  | { kind: 'produce'; present: number; skip: number[] }
  | { kind: 'conflict'; present: number; reason: string };

/**
 * What a (re-)ingest of `total` records has to do given the records already on each partition (end − start offset):
 * nothing when every partition holds its share; continue a cut-short ingest (skip each partition's first records)
 * when none holds more than its share; otherwise the topic holds something else and needs --force.
 */
export function planIngest(total: number, present: readonly number[]): IngestPlan {
  const P = present.length;
  const sum = present.reduce((a, b) => a + b, 0);
  const share = present.map((_, p) => recordsOnPartition(total, P, p));
  const over = present.findIndex((n, p) => n > share[p]);
  if (over >= 0) {
    return { kind: 'conflict', present: sum, reason: `partition ${over} holds ${present[over]} records, an ingest of ${total} puts ${share[over]} there` };
  }
  if (sum === total) return { kind: 'done', present: sum };
  return { kind: 'produce', present: sum, skip: [...present] };
}
