/**
 * The control topic: a compacted Kafka topic that every worker follows, so running layers change settings and
 * model versions without a restart and without losing a request. Written by the adaptive controller
 * (threshold, feature encoding, micro-batch wait) and by the pipeline's rollout (which model versions a layer
 * serves). Compaction keeps the last record per key, so a worker that starts reads the current state.
 *
 * Keys: `settings/<layer>` or `settings/*` (every layer; a layer's own key wins), `models/<layer>`.
 * Values: UTF-8 JSON, validated strictly — an unknown field or an out-of-range value rejects the whole record
 * (the worker logs the reason, counts it and keeps its last good state). A null value (tombstone) clears the key.
 */
import { z } from 'zod';

/** Default name of the control topic on each layer's cluster. */
export const CONTROL_TOPIC = 'ddnn.control';

/** Topic configs: compacted, so the log is the current state; quick compaction keeps it small. */
export const CONTROL_TOPIC_CONFIGS: Readonly<Record<string, string>> = {
  'cleanup.policy': 'compact',
  'min.cleanable.dirty.ratio': '0.1',
  'segment.ms': '600000',
};

const Issued = {
  /** epoch ms when the writer issued it; only for logs and ordering checks by people */
  issuedAt: z.number().int().nonnegative(),
  /** who wrote it and why: logged by every worker that applies it */
  by: z.string().min(1).max(200).optional(),
  reason: z.string().max(1000).optional(),
};

/** Run-time settings of a layer. Absent fields keep the worker's configured value. */
export const LayerSettings = z
  .object({
    threshold: z.number().min(0).max(1).optional(),
    featuresDtype: z.enum(['float32', 'float16', 'int8']).optional(),
    batchMaxWaitMs: z.number().min(0).max(60_000).optional(),
    /**
     * true: the layer forwards every raw request (a device's image) unprocessed to its relay topic, where a worker
     * with the whole model answers it: the cloud-only placement, chosen live. Only for a worker with a relay topic.
     */
    relay: z.boolean().optional(),
    ...Issued,
  })
  .strict();
export type LayerSettings = z.infer<typeof LayerSettings>;

/**
 * Which model versions a layer serves. `active` serves records without a model version (a device's raw image, on
 * the first layer); every version in `serve` is loaded, and a forwarded feature map is served by the version that
 * produced it (its `ddnn-model-version` header). `active` must be in `serve`.
 */
export const LayerModels = z
  .object({
    active: z.string().min(1).max(200),
    serve: z.array(z.string().min(1).max(200)).min(1).max(8),
    /** where each version's sub-model for this layer is loaded from (a registry reference, path or URL) */
    sources: z.record(z.string().min(1).max(200), z.string().min(1).max(2000)).optional(),
    ...Issued,
  })
  .strict()
  .refine((m) => m.serve.includes(m.active), { message: 'active must be one of serve', path: ['active'] });
export type LayerModels = z.infer<typeof LayerModels>;

export type ControlKey = { kind: 'settings'; layer: string | '*' } | { kind: 'models'; layer: string };

const LAYER = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function controlKey(kind: 'settings', layer: string | '*'): string;
export function controlKey(kind: 'models', layer: string): string;
export function controlKey(kind: ControlKey['kind'], layer: string): string {
  return `${kind}/${layer}`;
}

/** Parses a record key; null when it is not a control key (other keys are ignored with a reason by the caller). */
export function parseControlKey(key: string): ControlKey | null {
  const m = /^(settings|models)\/(.+)$/.exec(key);
  if (!m) return null;
  const [, kind, layer] = m;
  if (kind === 'settings' && layer === '*') return { kind, layer };
  if (!LAYER.test(layer)) return null;
  return kind === 'settings' ? { kind, layer } : { kind: 'models', layer };
}

export type ControlRecord =
  | { key: ControlKey & { kind: 'settings' }; value: LayerSettings | null }
  | { key: ControlKey & { kind: 'models' }; value: LayerModels | null };

export class ControlError extends Error {
  constructor(
    readonly reason: 'bad-key' | 'not-json' | 'invalid',
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

/** Decodes one control record (key + value bytes); throws ControlError naming what is wrong. */
export function decodeControlRecord(key: string | null, value: Uint8Array | null): ControlRecord {
  const k = key === null ? null : parseControlKey(key);
  if (!k) throw new ControlError('bad-key', `key ${JSON.stringify(key)} is not settings/<layer>, settings/* or models/<layer>`);
  if (value === null) return { key: k, value: null } as ControlRecord;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(value).toString('utf8'));
  } catch (e) {
    throw new ControlError('not-json', `${k.kind}/${k.layer}: ${(e as Error).message}`);
  }
  const schema = k.kind === 'settings' ? LayerSettings : LayerModels;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; ');
    throw new ControlError('invalid', `${k.kind}/${k.layer}: ${problems}`);
  }
  return { key: k, value: parsed.data } as ControlRecord;
}

export function encodeControlValue(value: LayerSettings | LayerModels): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** A layer's effective settings: the `*` record, then the layer's own on top. */
export function effectiveSettings(all: LayerSettings | null, own: LayerSettings | null): Omit<LayerSettings, 'issuedAt' | 'by' | 'reason'> {
  const pick = (s: LayerSettings | null) => {
    if (!s) return {};
    const { issuedAt: _i, by: _b, reason: _r, ...rest } = s;
    return rest;
  };
  return { ...pick(all), ...pick(own) };
}
