/**
 * What the live view shows, kept as rolling time series (pure: scrapes and device records in, snapshots out).
 * Every tick turns each layer's replicas' scrapes into the dashboard panels' values (contracts/dashboard-panels.ts)
 * and the devices' recent answers into response-time percentiles per answering layer.
 */
import { DASHBOARD_PANELS, WORKER_METRIC, type DashboardPanel } from '../../contracts/dashboard-panels';
import type { DeviceRecord } from '../../contracts/records';
import { lineValues, sumBy, type Scrape, type ScrapePair } from './panels';
import type { Sample } from './prometheus';

export interface LiveOptions {
  /** rates and quantiles over this window. @default 5000 */
  readonly rateWindowMs?: number;
  /** how much history the charts show. @default 60000 */
  readonly historyMs?: number;
  readonly panels?: readonly DashboardPanel[];
}

export interface TargetStatus {
  readonly name: string;
  readonly url: string;
  readonly layer: string | null;
  readonly up: boolean;
  readonly error?: string;
  readonly lastScrapeAt: number | null;
}

/** Current counter values per layer (sums over its replicas' /metrics, as a Prometheus query would show them). */
export interface LayerTotals {
  readonly requests: number;
  readonly answers: number;
  readonly forwards: number;
  readonly deadLetters: number;
  readonly replicasUp: number;
}

export interface Point {
  /** seconds since the view started */
  readonly x: number;
  readonly y: number;
  readonly series: string;
}

export interface Snapshot {
  readonly at: number;
  readonly tick: number;
  readonly targets: readonly TargetStatus[];
  readonly totals: Readonly<Record<string, LayerTotals>>;
  /** devices: answers seen and response-time percentiles (ms) over the rate window, per answering layer */
  readonly devices: { readonly answered: number; readonly recent: Readonly<Record<string, { n: number; p50: number; p95: number; p99: number }>> };
  /** chart id (a panel id, or 'devices') → points in the history window */
  readonly charts: Readonly<Record<string, readonly Point[]>>;
}

export const DEVICES_CHART = 'devices';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i];
}

export class LiveState {
  private readonly rateWindowMs: number;
  private readonly historyMs: number;
  private readonly panels: readonly DashboardPanel[];
  private readonly scrapes = new Map<string, Scrape[]>();
  private readonly status = new Map<string, TargetStatus>();
  private readonly answers: Array<{ at: number; layer: string; ms: number }> = [];
  private answered = 0;
  private readonly points = new Map<string, Point[]>();
  private tickNo = 0;

  constructor(
    private readonly startedAt: number,
    options: LiveOptions = {},
  ) {
    this.rateWindowMs = options.rateWindowMs ?? 5000;
    this.historyMs = options.historyMs ?? 60_000;
    this.panels = options.panels ?? DASHBOARD_PANELS;
  }

  /** A replica's scrape, or why it failed (the replica is shown as down; its history is kept for when it is back). */
  addScrape(target: { name: string; url: string }, at: number, result: readonly Sample[] | Error): void {
    if (result instanceof Error) {
      const old = this.status.get(target.name);
      this.status.set(target.name, { ...target, layer: old?.layer ?? null, up: false, error: result.message, lastScrapeAt: old?.lastScrapeAt ?? null });
      return;
    }
    const layer = result.find((s) => s.labels.layer !== undefined)?.labels.layer ?? null;
    this.status.set(target.name, { ...target, layer, up: true, lastScrapeAt: at });
    const list = this.scrapes.get(target.name) ?? [];
    list.push({ at, samples: result });
    // Keep one scrape older than the window, the start of the next rate.
    while (list.length > 2 && list[1].at <= at - this.rateWindowMs) list.shift();
    this.scrapes.set(target.name, list);
  }

  addRecord(r: DeviceRecord): void {
    if (r.answeredAt === null || r.responseMs === null || r.layer === null) return;
    this.answered++;
    this.answers.push({ at: r.answeredAt, layer: r.layer, ms: r.responseMs });
  }

  private pairs(layer: string, now: number): ScrapePair[] {
    const out: ScrapePair[] = [];
    for (const [name, list] of this.scrapes) {
      const st = this.status.get(name);
      if (!st?.up || st.layer !== layer || list.length < 2) continue;
      const last = list[list.length - 1];
      if (now - last.at > 3 * this.rateWindowMs) continue;
      const before = list.find((s) => s.at >= last.at - this.rateWindowMs && s !== last) ?? list[0];
      out.push({ before, now: last });
    }
    return out;
  }

  private push(chart: string, point: Point): void {
    const list = this.points.get(chart) ?? [];
    list.push(point);
    this.points.set(chart, list);
  }

  /** Computes every panel at `now`, appends the points and returns what the page shows. */
  tick(now: number): Snapshot {
    this.tickNo++;
    const x = Math.round((now - this.startedAt) / 100) / 10;
    const layers = [...new Set([...this.status.values()].map((s) => s.layer).filter((l): l is string => l !== null))].sort();
    const totals: Record<string, LayerTotals> = {};
    for (const layer of layers) {
      const pairs = this.pairs(layer, now);
      for (const panel of this.panels) {
        for (const line of panel.lines) {
          for (const v of lineValues(line, layer, pairs)) {
            if (v.value !== null && Number.isFinite(v.value)) this.push(panel.id, { x, y: v.value, series: `${layer} · ${v.legend}` });
          }
        }
      }
      const current = [...this.status.values()].filter((s) => s.up && s.layer === layer).map((s) => this.scrapes.get(s.name)?.at(-1)?.samples ?? []);
      const sum = (metric: string) => current.reduce((n, samples) => n + [...sumBy(samples, metric, layer).values()].reduce((a, b) => a + b, 0), 0);
      totals[layer] = {
        requests: sum(WORKER_METRIC.requests),
        answers: sum(WORKER_METRIC.answers),
        forwards: sum(WORKER_METRIC.forwards),
        deadLetters: sum(WORKER_METRIC.deadLetters),
        replicasUp: current.length,
      };
    }

    while (this.answers.length > 0 && this.answers[0].at < now - this.rateWindowMs) this.answers.shift();
    const recent: Record<string, { n: number; p50: number; p95: number; p99: number }> = {};
    const byLayer = new Map<string, number[]>([['all', this.answers.map((a) => a.ms)]]);
    for (const a of this.answers) byLayer.set(a.layer, [...(byLayer.get(a.layer) ?? []), a.ms]);
    for (const [layer, values] of byLayer) {
      if (values.length === 0) continue;
      const sorted = values.sort((a, b) => a - b);
      recent[layer] = { n: sorted.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99) };
      this.push(DEVICES_CHART, { x, y: recent[layer].p50, series: `${layer} · p50` });
      this.push(DEVICES_CHART, { x, y: recent[layer].p95, series: `${layer} · p95` });
    }

    const charts: Record<string, Point[]> = {};
    for (const [chart, list] of this.points) {
      while (list.length > 0 && list[0].x < x - this.historyMs / 1000) list.shift();
      charts[chart] = [...list];
    }
    return { at: now, tick: this.tickNo, targets: [...this.status.values()], totals, devices: { answered: this.answered, recent }, charts };
  }
}
