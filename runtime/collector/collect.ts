/**
 * Device records → the paper's measures (§5.2): global accuracy, the share of requests answered per layer,
 * accuracy per answering layer next to the full model's accuracy on the same images, and response time
 * avg/p50/p95/p99 per answering layer. Pure: the full model's predictions come in as records of a
 * cloud-only run over the same image ids (joined by `imageId`).
 */
import { type AnsweredRecord as Answered, type DeviceRecord, isAnswered } from '../../contracts/records';

export interface LatencySummary {
  count: number;
  avgMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LayerSummary {
  layer: string;
  answered: number;
  /** answered here / all answered requests */
  share: number;
  accuracy: number;
  /** the full model's accuracy on the images this layer answered; null without a full-model run */
  fullModelAccuracy: number | null;
  /** how many of this layer's images the full-model run covered */
  fullModelCovered: number;
  responseTime: LatencySummary;
}

export interface CollectorReport {
  requests: number;
  answered: number;
  /** requests that timed out */
  lost: number;
  accuracy: number;
  fullModelAccuracy: number | null;
  responseTime: LatencySummary;
  /** answering layers, in `layerOrder` then alphabetical order */
  layers: LayerSummary[];
}

export interface CollectOptions {
  /** records of a cloud-only (full model) run over the same images */
  fullModel?: readonly DeviceRecord[];
  /** order of the layers in the report, e.g. ['edge', 'fog', 'cloud'] */
  layerOrder?: readonly string[];
}

/**
 * Nearest-rank percentile of ascending values: the smallest value with at least p% of the values ≤ it; NaN for
 * none. Chosen over interpolation so every reported percentile is a response time that was actually observed.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (p < 0 || p > 100) throw new RangeError(`percentile p (${p}) must be within 0..100`);
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function latencySummary(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    avgMs: sorted.length ? sum / sorted.length : NaN,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

export function collect(records: readonly DeviceRecord[], opts: CollectOptions = {}): CollectorReport {
  const answered = records.filter(isAnswered);
  // The full model's prediction per image (a cloud-only run answers every image at its last layer).
  const full = new Map<number, number>();
  for (const r of opts.fullModel ?? []) if (isAnswered(r) && !full.has(r.imageId)) full.set(r.imageId, r.predicted);
  const fullAccuracy = (rs: readonly Answered[]) => {
    const covered = rs.filter((r) => full.has(r.imageId));
    return { covered: covered.length, accuracy: opts.fullModel && covered.length ? rate(covered, (r) => full.get(r.imageId) === r.label) : null };
  };

  const byLayer = new Map<string, Answered[]>();
  for (const r of answered) byLayer.set(r.layer, [...(byLayer.get(r.layer) ?? []), r]);
  const order = opts.layerOrder ?? [];
  const rank = (l: string) => (order.includes(l) ? order.indexOf(l) : order.length);
  const layers = [...byLayer.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));

  return {
    requests: records.length,
    answered: answered.length,
    lost: records.length - answered.length,
    accuracy: rate(answered, (r) => r.predicted === r.label),
    fullModelAccuracy: fullAccuracy(answered).accuracy,
    responseTime: latencySummary(answered.map((r) => r.responseMs)),
    layers: layers.map((layer) => {
      const rs = byLayer.get(layer)!;
      const f = fullAccuracy(rs);
      return {
        layer,
        answered: rs.length,
        share: rs.length / answered.length,
        accuracy: rate(rs, (r) => r.predicted === r.label),
        fullModelAccuracy: f.accuracy,
        fullModelCovered: f.covered,
        responseTime: latencySummary(rs.map((r) => r.responseMs)),
      };
    }),
  };
}

function rate<T>(items: readonly T[], ok: (t: T) => boolean): number {
  return items.length ? items.filter(ok).length / items.length : NaN;
}
