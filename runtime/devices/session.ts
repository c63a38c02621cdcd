/**
 * One simulated device's bookkeeping, pure: it builds requests (a uint8 image frame + ddnn-* headers, keyed by
 * request id) and matches answers to its own pending requests by id — never by arrival order, which mixed up
 * replies in the paper authors' code as soon as several devices or replicas shared a topic.
 */
import type { DeviceRecord } from '../../contracts/records';
import { decodeAnswerHeaders, encodeRequestHeaders, encodeTensor, RawHeaders, WireError } from '../wire';

export interface LabeledImage {
  /** stable id of the image in its dataset (e.g. CIFAR-10 test index): joins runs with a baseline */
  id: number;
  label: number;
  /** height × width × channels, uint8 */
  pixels: Uint8Array;
  /** [h, w, c] @default [32, 32, 3] */
  shape?: number[];
}

export type { DeviceRecord } from '../../contracts/records';

export interface OutgoingRequest {
  requestId: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export type AnswerOutcome =
  | { kind: 'answer'; record: DeviceRecord }
  | { kind: 'duplicate'; requestId: string }
  | { kind: 'unknown'; requestId: string }
  | { kind: 'foreign'; deviceId: string }
  | { kind: 'malformed'; error: string };

interface Pending {
  image: LabeledImage;
  sentAt: number;
}

export class DeviceSession {
  private readonly pending = new Map<string, Pending>();
  private readonly finished = new Set<string>();
  private seq = 0;
  duplicates = 0;
  unknown = 0;
  foreign = 0;
  malformed = 0;

  constructor(
    readonly deviceId: string,
    readonly replyTopic: string,
    /** distinguishes runs: request ids stay unique when reply topics are reused */
    private readonly runId: string,
  ) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  request(image: LabeledImage, now: number): OutgoingRequest {
    const requestId = `${this.deviceId}.${this.runId}.${this.seq++}`;
    this.pending.set(requestId, { image, sentAt: now });
    return {
      requestId,
      key: requestId,
      value: encodeTensor(image.pixels, image.shape ?? [32, 32, 3], 'uint8'),
      headers: encodeRequestHeaders({ requestId, deviceId: this.deviceId, replyTopic: this.replyTopic, createdAt: now, hops: [] }),
    };
  }

  /** Matches an answer record; only the first answer to a pending request counts (at-least-once upstream). */
  answer(rawHeaders: RawHeaders | undefined, now: number): AnswerOutcome {
    let h;
    try {
      h = decodeAnswerHeaders(rawHeaders);
    } catch (e) {
      this.malformed++;
      return { kind: 'malformed', error: e instanceof WireError ? e.message : String(e) };
    }
    if (h.deviceId !== this.deviceId) {
      this.foreign++;
      return { kind: 'foreign', deviceId: h.deviceId };
    }
    const p = this.pending.get(h.requestId);
    if (!p) {
      if (this.finished.has(h.requestId)) {
        this.duplicates++;
        return { kind: 'duplicate', requestId: h.requestId };
      }
      this.unknown++;
      return { kind: 'unknown', requestId: h.requestId };
    }
    this.pending.delete(h.requestId);
    this.finished.add(h.requestId);
    return {
      kind: 'answer',
      record: {
        deviceId: this.deviceId,
        requestId: h.requestId,
        imageId: p.image.id,
        label: p.image.label,
        sentAt: p.sentAt,
        answeredAt: now,
        responseMs: now - p.sentAt,
        layer: h.exitLayer,
        predicted: h.classIndex,
        topProb: h.topProb,
        modelVersion: h.modelVersion,
        hops: h.hops,
      },
    };
  }

  /** Gives up on one pending request (its answer, if it comes later, counts as a duplicate). */
  expire(requestId: string): DeviceRecord | null {
    const p = this.pending.get(requestId);
    if (!p) return null;
    this.pending.delete(requestId);
    this.finished.add(requestId);
    return {
      deviceId: this.deviceId,
      requestId,
      imageId: p.image.id,
      label: p.image.label,
      sentAt: p.sentAt,
      answeredAt: null,
      responseMs: null,
      layer: null,
      predicted: null,
      topProb: null,
      modelVersion: null,
      hops: [],
    };
  }
}

/** Which images device `index` of `devices` sends: all of them (the paper: 5 devices, same data) or a shard. */
export function imagesForDevice<T>(images: readonly T[], index: number, devices: number, split: 'same' | 'shard'): T[] {
  return split === 'same' ? [...images] : images.filter((_, i) => i % devices === index);
}
