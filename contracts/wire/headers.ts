/**
 * Kafka record headers of the DDNN wire format, version 1. Every value is a UTF-8 string so any Kafka client
 * (kcat, kafka-console-consumer, Java, Python) can read and write them. Records are keyed by request id.
 */
import { WIRE_VERSION } from './tensor';
import { WireError } from './wire-error';

export const HEADER = {
  version: 'ddnn-version',
  requestId: 'ddnn-request-id',
  deviceId: 'ddnn-device-id',
  replyTopic: 'ddnn-reply-topic',
  createdAt: 'ddnn-created-at',
  modelVersion: 'ddnn-model-version',
  hops: 'ddnn-hops',
  /** the run-time settings each layer applied to the request (threshold, feature encoding, batch wait), like hops */
  settings: 'ddnn-settings',
  exitLayer: 'ddnn-exit-layer',
  classIndex: 'ddnn-class',
  topProb: 'ddnn-top-prob',
  dlqReason: 'ddnn-dlq-reason',
  dlqLayer: 'ddnn-dlq-layer',
  dlqSource: 'ddnn-dlq-source',
  /** set when a dead letter's value was cut to fit the topic: the original size in bytes */
  dlqOriginalBytes: 'ddnn-dlq-original-bytes',
  /** set when a dead letter's headers were dropped to fit the topic: their count and size */
  dlqOriginalHeaders: 'ddnn-dlq-original-headers',
  /** a dataset record's class index (the pipeline's training and evaluation topics): decimal, 0-based */
  label: 'ddnn-label',
} as const;

/**
 * The window a request's `ddnn-created-at` must fall in, relative to the worker's clock: at most this far in the
 * future (clock skew between a device and the continuum) and at most this old (a request replayed from the log after
 * a long outage is still served). Outside it the request is dead-lettered instead of poisoning latency metrics.
 */
export const CREATED_AT_WINDOW = { maxFutureMs: 5 * 60_000, maxAgeMs: 7 * 24 * 3_600_000 } as const;

/** One worker's pass over a request: wall-clock epoch milliseconds (fractional) and the model time of its batch. */
export interface Hop {
  layer: string;
  /** when the worker took the record from Kafka */
  inAt: number;
  /** when the worker handed the answer/forward to its producer */
  outAt: number;
  /** predict time of the micro-batch the request was in */
  modelMs: number;
}

export interface RequestHeaders {
  requestId: string;
  deviceId: string;
  /** topic the answer must go to (in the cluster the answering worker writes answers to) */
  replyTopic: string;
  /** epoch ms when the device created the request */
  createdAt: number;
  /** model version of the sub-model that produced the features; absent on a device's raw image */
  modelVersion?: string;
  hops: Hop[];
  /** settings each layer applied, oldest first; absent from requests written before it existed */
  settings?: HopSettings[];
}

/** The settings one layer applied to a request: an answer says what produced it even when a controller moves them. */
export interface HopSettings {
  layer: string;
  threshold: number;
  features: 'float32' | 'float16' | 'int8';
  batchWaitMs: number;
}

export interface AnswerHeaders extends RequestHeaders {
  modelVersion: string;
  exitLayer: string;
  classIndex: number;
  topProb: number;
}

/** What kafkajs (and most clients) hand over: Buffer values, possibly repeated keys. */
export type RawHeaders = Record<string, Buffer | string | null | (Buffer | string | null)[] | undefined>;

const ID = /^[\x21-\x7e]{1,200}$/; // printable ASCII, no spaces: ids end up in logs and keys
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/; // Kafka's legal topic characters
const LAYER = /^[A-Za-z0-9_-]{1,64}$/;

export function encodeRequestHeaders(h: RequestHeaders): Record<string, string> {
  const out: Record<string, string> = {
    [HEADER.version]: String(WIRE_VERSION),
    [HEADER.requestId]: h.requestId,
    [HEADER.deviceId]: h.deviceId,
    [HEADER.replyTopic]: h.replyTopic,
    [HEADER.createdAt]: formatMs(h.createdAt),
  };
  if (h.modelVersion !== undefined) out[HEADER.modelVersion] = h.modelVersion;
  if (h.hops.length > 0) out[HEADER.hops] = encodeHops(h.hops);
  if (h.settings && h.settings.length > 0) out[HEADER.settings] = encodeHopSettings(h.settings);
  return out;
}

export function encodeAnswerHeaders(h: AnswerHeaders): Record<string, string> {
  return {
    ...encodeRequestHeaders(h),
    [HEADER.exitLayer]: h.exitLayer,
    [HEADER.classIndex]: String(h.classIndex),
    [HEADER.topProb]: String(h.topProb),
  };
}

/** `now` (epoch ms) checks created-at against CREATED_AT_WINDOW; leave it out to accept any positive time. */
export function decodeRequestHeaders(raw: RawHeaders | undefined, now?: number): RequestHeaders {
  const get = reader(raw ?? {});
  const version = get(HEADER.version, true);
  if (version !== String(WIRE_VERSION)) {
    throw new WireError('unsupported-version', `header ${HEADER.version}=${version} is not supported (this runtime speaks ${WIRE_VERSION})`);
  }
  const requestId = matching(get(HEADER.requestId, true)!, ID, HEADER.requestId);
  const deviceId = matching(get(HEADER.deviceId, true)!, ID, HEADER.deviceId);
  const replyTopic = matching(get(HEADER.replyTopic, true)!, TOPIC, HEADER.replyTopic);
  const createdAt = parseCreatedAt(get(HEADER.createdAt, true)!, now);
  const modelVersion = get(HEADER.modelVersion, false);
  if (modelVersion !== undefined) matching(modelVersion, ID, HEADER.modelVersion);
  const hopsText = get(HEADER.hops, false);
  const hops = hopsText === undefined || hopsText === '' ? [] : decodeHops(hopsText);
  const settingsText = get(HEADER.settings, false);
  const settings = settingsText === undefined || settingsText === '' ? undefined : decodeHopSettings(settingsText);
  return { requestId, deviceId, replyTopic, createdAt, modelVersion, hops, ...(settings ? { settings } : {}) };
}

export function decodeAnswerHeaders(raw: RawHeaders | undefined): AnswerHeaders {
  const req = decodeRequestHeaders(raw);
  const get = reader(raw ?? {});
  if (req.modelVersion === undefined) throw new WireError('missing-header', `answer has no ${HEADER.modelVersion}`);
  const exitLayer = matching(get(HEADER.exitLayer, true)!, LAYER, HEADER.exitLayer);
  const classText = get(HEADER.classIndex, true)!;
  const classIndex = Number(classText);
  if (!/^\d+$/.test(classText)) throw new WireError('bad-header', `${HEADER.classIndex}=${classText} is not a class index`);
  const topProb = Number(get(HEADER.topProb, true));
  if (!(topProb >= 0 && topProb <= 1)) throw new WireError('bad-header', `${HEADER.topProb} must be a probability in [0, 1]`);
  return { ...req, modelVersion: req.modelVersion, exitLayer, classIndex, topProb };
}

/** `layer,inAt,outAt,modelMs` entries joined by `;`, oldest first. */
export function encodeHops(hops: readonly Hop[]): string {
  return hops
    .map((h) => {
      if (!LAYER.test(h.layer)) throw new WireError('bad-header', `hop layer "${h.layer}" must match ${LAYER}`);
      return `${h.layer},${formatMs(h.inAt)},${formatMs(h.outAt)},${formatMs(h.modelMs)}`;
    })
    .join(';');
}

export function decodeHops(text: string): Hop[] {
  return text.split(';').map((entry) => {
    const parts = entry.split(',');
    if (parts.length !== 4 || !LAYER.test(parts[0])) {
      throw new WireError('bad-header', `${HEADER.hops} entry "${entry}" is not layer,inAt,outAt,modelMs`);
    }
    return {
      layer: parts[0],
      inAt: parseMs(parts[1], HEADER.hops),
      outAt: parseMs(parts[2], HEADER.hops),
      modelMs: parseMs(parts[3], HEADER.hops),
    };
  });
}

const FEATURES = new Set(['float32', 'float16', 'int8']);

/** `layer,threshold,features,batchWaitMs` entries joined by `;`, oldest first. */
export function encodeHopSettings(settings: readonly HopSettings[]): string {
  return settings
    .map((s) => {
      if (!LAYER.test(s.layer)) throw new WireError('bad-header', `settings layer "${s.layer}" must match ${LAYER}`);
      return `${s.layer},${s.threshold},${s.features},${formatMs(s.batchWaitMs)}`;
    })
    .join(';');
}

export function decodeHopSettings(text: string): HopSettings[] {
  return text.split(';').map((entry) => {
    const [layer, threshold, features, wait, ...rest] = entry.split(',');
    const t = Number(threshold);
    if (rest.length > 0 || !LAYER.test(layer ?? '') || !(t >= 0 && t <= 1) || threshold.trim() === '' || !FEATURES.has(features)) {
      throw new WireError('bad-header', `${HEADER.settings} entry "${entry.slice(0, 80)}" is not layer,threshold,float32|float16|int8,batchWaitMs`);
    }
    return { layer, threshold: t, features: features as HopSettings['features'], batchWaitMs: parseMs(wait ?? '', HEADER.settings) };
  });
}

/** Milliseconds with microsecond resolution: enough for per-hop overheads, short on the wire. */
function formatMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new WireError('bad-header', `timestamp ${ms} must be a finite, non-negative number`);
  return String(Math.round(ms * 1000) / 1000);
}

const DECIMAL = /^\d{1,16}(\.\d{1,9})?$/;

/** A positive decimal number of epoch ms (no sign, exponent or hex), inside CREATED_AT_WINDOW of `now`. */
function parseCreatedAt(text: string, now: number | undefined): number {
  const v = Number(text);
  if (!DECIMAL.test(text) || !(v > 0)) throw new WireError('bad-header', `${HEADER.createdAt}=${text.slice(0, 40)} is not a positive decimal number of epoch milliseconds`);
  if (now !== undefined && (v > now + CREATED_AT_WINDOW.maxFutureMs || v < now - CREATED_AT_WINDOW.maxAgeMs)) {
    throw new WireError(
      'bad-header',
      `${HEADER.createdAt}=${text} is outside [now − ${CREATED_AT_WINDOW.maxAgeMs / 3_600_000} h, now + ${CREATED_AT_WINDOW.maxFutureMs / 60_000} min] of this worker's clock`,
    );
  }
  return v;
}

function parseMs(text: string, name: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0) throw new WireError('bad-header', `${name}=${text} is not a non-negative number of milliseconds`);
  return v;
}

function matching(value: string, pattern: RegExp, name: string): string {
  if (!pattern.test(value)) throw new WireError('bad-header', `${name}="${value.slice(0, 80)}" must match ${pattern}`);
  return value;
}

function reader(raw: RawHeaders) {
  function get(name: string, required: true): string;
  function get(name: string, required: false): string | undefined;
  function get(name: string, required: boolean): string | undefined {
    const v = raw[name];
    if (v === undefined || v === null) {
      if (required) throw new WireError('missing-header', `header ${name} is missing`);
      return undefined;
    }
    if (Array.isArray(v)) {
      throw new WireError('bad-header', `header ${name} appears ${v.length} times`);
    }
    return typeof v === 'string' ? v : v.toString('utf8');
  }
  return get;
}
