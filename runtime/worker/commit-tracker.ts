/**
 * Per-partition bookkeeping of the pipelined request path (pure: no Kafka, no clock of its own).
 *
 * Records are taken in offset order and finish (answered, forwarded or dead-lettered — "settled") in any order.
 * A partition's committable offset is one past the highest offset whose record, and every record before it,
 * has settled: committing it never skips an unsettled record, so at-least-once holds while fetching runs ahead.
 *
 * The same bookkeeping bounds what is in flight per partition (records and bytes), so a slow downstream turns into
 * backpressure on fetching instead of unbounded memory, and it remembers when each partition last made progress,
 * for the liveness probe.
 */
export interface Limits {
  /** records taken but not settled, per partition */
  maxRecords: number;
  /** their value + key + header bytes, per partition (one record is always allowed, whatever its size) */
  maxBytes: number;
}

/** What take() hands out; settle() with a ticket of a revoked assignment is ignored. */
export interface Ticket {
  readonly key: string;
  readonly offset: number;
  readonly epoch: number;
}

interface Entry {
  offset: number;
  bytes: number;
  settled: boolean;
}

class PartitionState {
  /** unsettled and settled-but-not-yet-contiguous records, in offset order */
  readonly entries: Entry[] = [];
  head = 0;
  readonly byOffset = new Map<number, Entry>();
  bytes = 0;
  /** next offset to commit; null until something settled */
  committable: number | null = null;
  committed: number | null = null;
  lastProgressAt: number;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly epoch: number,
    now: number,
  ) {
    this.lastProgressAt = now;
  }

  get inFlight(): number {
    return this.byOffset.size;
  }
}

export interface CommitOffset {
  topic: string;
  partition: number;
  /** the next offset to read, as Kafka commits it */
  offset: string;
}

export const partitionKey = (topic: string, partition: number): string => `${topic}/${partition}`;

export class CommitTracker {
  private readonly partitions = new Map<string, PartitionState>();
  private epochs = 0;

  constructor(private readonly limits: Limits) {
    if (!(limits.maxRecords >= 1) || !(limits.maxBytes >= 1)) throw new Error(`in-flight limits must be ≥ 1 (got ${JSON.stringify(limits)})`);
  }

  /** Records one fetched record as in flight. Offsets of a partition must come in increasing order. */
  take(topic: string, partition: number, offset: number, bytes: number, now: number): Ticket {
    const key = partitionKey(topic, partition);
    let p = this.partitions.get(key);
    const last = p && p.entries.length > 0 ? p.entries[p.entries.length - 1].offset : -1;
    if (!p || offset <= last) {
      // New, or fetched again from an older offset (the client re-joined its group and restarted from the
      // committed offset): start afresh; settles of the earlier takes are ignored.
      p = new PartitionState(topic, partition, ++this.epochs, now);
      this.partitions.set(key, p);
    }
    const entry = { offset, bytes, settled: false };
    p.entries.push(entry);
    p.byOffset.set(offset, entry);
    p.bytes += bytes;
    p.lastProgressAt = now;
    return { key, offset, epoch: p.epoch };
  }

  /** Marks a record finished. Returns true when its partition's committable offset moved. */
  settle(ticket: Ticket, now: number): boolean {
    const p = this.partitions.get(ticket.key);
    if (!p || p.epoch !== ticket.epoch) return false; // revoked meanwhile: its new owner replays it
    const entry = p.byOffset.get(ticket.offset);
    if (!entry || entry.settled) return false;
    entry.settled = true;
    p.byOffset.delete(ticket.offset);
    p.bytes -= entry.bytes;
    p.lastProgressAt = now;
    let moved = false;
    while (p.head < p.entries.length && p.entries[p.head].settled) {
      p.committable = p.entries[p.head].offset + 1;
      p.head++;
      moved = true;
    }
    if (p.head > 1024 && p.head * 2 > p.entries.length) {
      p.entries.splice(0, p.head);
      p.head = 0;
    }
    return moved;
  }

  /** Whether the partition may take another record of `bytes` now. */
  hasRoom(topic: string, partition: number, bytes = 0): boolean {
    const p = this.partitions.get(partitionKey(topic, partition));
    if (!p || p.inFlight === 0) return true;
    return p.inFlight < this.limits.maxRecords && p.bytes + bytes <= this.limits.maxBytes;
  }

  inFlight(topic: string, partition: number): { records: number; bytes: number } {
    const p = this.partitions.get(partitionKey(topic, partition));
    return { records: p?.inFlight ?? 0, bytes: p?.bytes ?? 0 };
  }

  get totalInFlight(): number {
    let n = 0;
    for (const p of this.partitions.values()) n += p.inFlight;
    return n;
  }

  /** Offsets that moved since they were last committed. */
  pendingCommits(): CommitOffset[] {
    const out: CommitOffset[] = [];
    for (const p of this.partitions.values()) {
      if (p.committable !== null && p.committable !== p.committed) out.push({ topic: p.topic, partition: p.partition, offset: String(p.committable) });
    }
    return out;
  }

  markCommitted(offsets: readonly CommitOffset[]): void {
    for (const o of offsets) {
      const p = this.partitions.get(partitionKey(o.topic, o.partition));
      if (p && Number(o.offset) > (p.committed ?? -1)) p.committed = Number(o.offset);
    }
  }

  /** Forgets a partition this member no longer owns: its unsettled records belong to the next owner. */
  revoke(topic: string, partition: number): void {
    this.partitions.delete(partitionKey(topic, partition));
  }

  /** Partitions held now, as topic/partition pairs. */
  held(): { topic: string; partition: number }[] {
    return [...this.partitions.values()].map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  /** Partitions with records in flight and no progress (nothing taken or settled) for `timeoutMs`. */
  stalled(now: number, timeoutMs: number): { topic: string; partition: number; inFlight: number; sinceMs: number }[] {
    const out = [];
    for (const p of this.partitions.values()) {
      const since = now - p.lastProgressAt;
      if (p.inFlight > 0 && since > timeoutMs) out.push({ topic: p.topic, partition: p.partition, inFlight: p.inFlight, sinceMs: since });
    }
    return out;
  }
}
