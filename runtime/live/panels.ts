/**
 * The dashboard's panels (contracts/dashboard-panels.ts) computed from scraped /metrics samples instead of
 * PromQL (pure): a rate is a counter's increase between two scrapes of the same replica over their time apart
 * (a smaller value than before means the replica restarted: its new value is the increase, as Prometheus'
 * rate() does), summed over the replicas of a layer; quantiles follow histogram_quantile (linear inside a bucket).
 */
import type { PanelLine, PanelSeries } from '../../contracts/dashboard-panels';
import type { Sample } from './prometheus';

/** One replica's /metrics at one moment. */
export interface Scrape {
  readonly at: number;
  readonly samples: readonly Sample[];
}

/** A replica's scrape now and the one a rate window before it. */
export interface ScrapePair {
  readonly before: Scrape;
  readonly now: Scrape;
}

export interface LineValue {
  readonly legend: string;
  /** null when there is nothing to compute from yet (no requests in the window, one scrape only) */
  readonly value: number | null;
}

const seriesKey = (s: Sample) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;

function ofLayer(samples: readonly Sample[], name: string, layer: string): Sample[] {
  return samples.filter((s) => s.name === name && s.labels.layer === layer);
}

/** Sum of a gauge's or counter's current values, by a label's value ('' without `by`). */
export function sumBy(samples: readonly Sample[], name: string, layer: string, by?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of ofLayer(samples, name, layer)) {
    const k = by ? s.labels[by] ?? '' : '';
    out.set(k, (out.get(k) ?? 0) + s.value);
  }
  return out;
}

/** Increase of a counter between two scrapes of one replica, per series, grouped by `group(sample)`. */
function increase(pair: ScrapePair, name: string, layer: string, group: (s: Sample) => string): Map<string, number> {
  const before = new Map(ofLayer(pair.before.samples, name, layer).map((s) => [seriesKey(s), s.value]));
  const out = new Map<string, number>();
  for (const s of ofLayer(pair.now.samples, name, layer)) {
    const old = before.get(seriesKey(s)) ?? 0;
    const inc = s.value >= old ? s.value - old : s.value;
    out.set(group(s), (out.get(group(s)) ?? 0) + inc);
  }
  return out;
}

/** Per-second rate of a counter over the replicas' pairs, by a label's value. */
export function rateBy(pairs: readonly ScrapePair[], name: string, layer: string, by?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of pairs) {
    const dt = (p.now.at - p.before.at) / 1000;
    if (dt <= 0) continue;
    for (const [k, inc] of increase(p, name, layer, (s) => (by ? s.labels[by] ?? '' : ''))) out.set(k, (out.get(k) ?? 0) + inc / dt);
  }
  return out;
}

/** Prometheus' histogram_quantile over cumulative bucket counts `[le, count]`; null without observations. */
export function histogramQuantile(q: number, buckets: ReadonlyArray<readonly [number, number]>): number | null {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (sorted.length === 0 || total <= 0 || sorted.at(-1)![0] !== Infinity) return null;
  const rank = q * total;
  for (let i = 0; i < sorted.length; i++) {
    const [le, count] = sorted[i];
    if (count >= rank) {
      if (le === Infinity) return i > 0 ? sorted[i - 1][0] : null;
      const [lo, below] = i > 0 ? sorted[i - 1] : [0, 0];
      return count === below ? le : lo + ((le - lo) * (rank - below)) / (count - below);
    }
  }
  return null;
}

function quantile(pairs: readonly ScrapePair[], histogram: string, layer: string, q: number): number | null {
  const buckets = new Map<number, number>();
  for (const p of pairs) {
    for (const [le, inc] of increase(p, `${histogram}_bucket`, layer, (s) => s.labels.le ?? '')) {
      const bound = le === '+Inf' ? Infinity : Number(le);
      buckets.set(bound, (buckets.get(bound) ?? 0) + inc);
    }
  }
  return histogramQuantile(q, [...buckets]);
}

const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

function split(legend: string, by: string | undefined, values: Map<string, number>): LineValue[] {
  if (!by) return [{ legend, value: values.size > 0 ? total(values) : null }];
  return [...values].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => ({ legend: legend.replace(`{{${by}}}`, k), value: v }));
}

/** The values of one panel line for one layer, from each replica's scrape pair. */
export function lineValues(line: PanelLine, layer: string, pairs: readonly ScrapePair[]): LineValue[] {
  const s: PanelSeries = line.series;
  switch (s.kind) {
    case 'rate':
      return pairs.length ? split(line.legend, s.by, rateBy(pairs, s.metric, layer, s.by)) : [{ legend: line.legend, value: null }];
    case 'ratio': {
      const den = s.denominators.reduce((n, d) => n + total(rateBy(pairs, d, layer)), 0);
      return [{ legend: line.legend, value: den > 0 ? total(rateBy(pairs, s.numerator, layer)) / den : null }];
    }
    case 'quantile':
      return [{ legend: line.legend, value: quantile(pairs, s.histogram, layer, s.q) }];
    case 'gauge': {
      const now = new Map<string, number>();
      for (const p of pairs) for (const [k, v] of sumBy(p.now.samples, s.metric, layer, s.by)) now.set(k, (now.get(k) ?? 0) + v);
      return split(line.legend, s.by, now);
    }
  }
}
