/**
 * Offset bookkeeping of a trainer that reads its dataset from the log (pure). An epoch is one replay of the training
 * topic: per partition the offsets [start, end) that existed when the epoch began. `next` is the first offset of each
 * partition not yet trained on; it is checkpointed with the weights, so a restarted trainer seeks there. What the
 * killed trainer read after its last checkpoint is read again: the reads log (one line per training batch) says how
 * many records that was.
 */

export interface PartitionRange {
  partition: number;
  /** first offset of the epoch (the partition's low watermark when the epoch began) */
  start: number;
  /** one past the last offset of the epoch (its high watermark then) */
  end: number;
}

/** Where each partition stands in an epoch: the next offset to train on, by partition. */
export type NextOffsets = Record<string, number>;

export function epochStart(ranges: readonly PartitionRange[]): NextOffsets {
  return Object.fromEntries(ranges.map((r) => [String(r.partition), r.start]));
}

export function epochRecords(ranges: readonly PartitionRange[]): number {
  return ranges.reduce((n, r) => n + (r.end - r.start), 0);
}

/** Records of the epoch not trained on yet. */
export function remaining(ranges: readonly PartitionRange[], next: NextOffsets): number {
  return ranges.reduce((n, r) => n + Math.max(0, r.end - Math.max(r.start, next[String(r.partition)] ?? r.start)), 0);
}

export function epochDone(ranges: readonly PartitionRange[], next: NextOffsets): boolean {
  return remaining(ranges, next) === 0;
}

/**
 * Whether a consumed record belongs to what is left of the epoch: at or after `next` (a fetch may return records
 * from before the seek) and before the epoch's end (records ingested after the epoch began wait for the next one).
 */
export function wanted(ranges: readonly PartitionRange[], next: NextOffsets, partition: number, offset: number): boolean {
  const r = ranges.find((x) => x.partition === partition);
  if (!r) return false;
  return offset >= Math.max(r.start, next[String(partition)] ?? r.start) && offset < r.end;
}

/** One line of the reads log: a training batch took [from, to) of a partition in an epoch. */
export interface ReadRange {
  epoch: number;
  partition: number;
  from: number;
  to: number;
}

export function formatReadRange(r: ReadRange): string {
  return JSON.stringify(r) + '\n';
}

/** Parses the reads log; a last line cut short by a kill (or any malformed line) is skipped. */
export function parseReadsLog(text: string): ReadRange[] {
  const out: ReadRange[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as ReadRange;
      if ([r.epoch, r.partition, r.from, r.to].every((n) => Number.isInteger(n)) && r.to >= r.from) out.push(r);
    } catch {
      // a torn write from a SIGKILL
    }
  }
  return out;
}

/**
 * Records of `epoch` that the reads log shows were read at or after the checkpoint's `next` offsets: a trainer
 * resumed from that checkpoint reads them again.
 */
export function rereadAfterResume(reads: readonly ReadRange[], epoch: number, next: NextOffsets): number {
  const furthest = new Map<number, number>();
  for (const r of reads) if (r.epoch === epoch) furthest.set(r.partition, Math.max(furthest.get(r.partition) ?? 0, r.to));
  let n = 0;
  for (const [p, to] of furthest) n += Math.max(0, to - (next[String(p)] ?? 0));
  return n;
}

/** How many times each offset of the epoch was read, by partition (for checks: every record at least once). */
export function readCounts(reads: readonly ReadRange[], epoch: number, ranges: readonly PartitionRange[]): Map<number, number[]> {
  const out = new Map<number, number[]>(ranges.map((r) => [r.partition, new Array<number>(r.end - r.start).fill(0)]));
  for (const r of reads) {
    if (r.epoch !== epoch) continue;
    const range = ranges.find((x) => x.partition === r.partition);
    const counts = out.get(r.partition);
    if (!range || !counts) continue;
    for (let o = Math.max(r.from, range.start); o < Math.min(r.to, range.end); o++) counts[o - range.start]++;
  }
  return out;
}
