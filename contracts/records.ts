/** The record of one request, the data format between the devices and the collector. */
import type { Hop } from './wire/headers';

/**
 * One request's outcome as its device saw it: what the devices write (`records.json`) and the collector
 * (runtime/collector) turns into the paper's measures.
 */
export interface DeviceRecord {
  deviceId: string;
  requestId: string;
  imageId: number;
  label: number;
  /** epoch ms when the device sent the request */
  sentAt: number;
  /** epoch ms when the answer arrived; null when it timed out */
  answeredAt: number | null;
  responseMs: number | null;
  /** layer whose exit answered */
  layer: string | null;
  predicted: number | null;
  topProb: number | null;
  modelVersion: string | null;
  hops: Hop[];
}

/** A record whose request was answered: the answer's fields are set. */
export type AnsweredRecord = DeviceRecord & { answeredAt: number; responseMs: number; layer: string; predicted: number };

export function isAnswered(r: DeviceRecord): r is AnsweredRecord {
  return r.answeredAt !== null && r.responseMs !== null && r.layer !== null && r.predicted !== null;
}
