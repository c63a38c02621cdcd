/**
 * The operations panels of one continuum layer, defined once: the Grafana dashboard the constructs ship
 * (constructs/k8s/dashboard.ts) and the local live view both draw these. A series is described structurally
 * (rate of a counter, a histogram quantile, …) so the live view can compute it from scraped `/metrics` samples
 * without a PromQL engine, and `promql()` turns the same description into the dashboard's query.
 * Every metric named here is one the worker exports (runtime/worker/metrics.ts); a test checks it.
 */

/** How one plotted line is computed from a layer's series (all selected by the `layer` label). */
export type PanelSeries =
  /** per-second increase of a counter, summed (by a label when `by` is set: one line per value) */
  | { kind: 'rate'; metric: string; by?: string }
  /** rate(numerator) / (sum of the denominators' rates): a share in [0, 1] */
  | { kind: 'ratio'; numerator: string; denominators: readonly string[] }
  /** quantile q of a histogram over the window (Prometheus' histogram_quantile: linear inside a bucket) */
  | { kind: 'quantile'; histogram: string; q: number }
  /** a gauge summed over its series (by a label when `by` is set) */
  | { kind: 'gauge'; metric: string; by?: string };

export interface PanelLine {
  /** legend text; `{{label}}` is replaced per series when the series is split `by` a label */
  legend: string;
  series: PanelSeries;
}

export interface DashboardPanel {
  /** stable id: Grafana panel key and the live view's element id */
  id: string;
  title: string;
  /** Grafana unit id: reqps (per second), percentunit (0..1), s (seconds), short (count), Bps (bytes per second) */
  unit: 'reqps' | 'percentunit' | 's' | 'short' | 'Bps';
  description: string;
  lines: readonly PanelLine[];
}

/** The worker's metric names the panels use (exported by runtime/worker/metrics.ts). */
export const WORKER_METRIC = {
  requests: 'ddnn_requests_total',
  answers: 'ddnn_answers_total',
  forwards: 'ddnn_forwards_total',
  deadLetters: 'ddnn_dead_letters_total',
  exitLatency: 'ddnn_exit_latency_seconds',
  hopLatency: 'ddnn_hop_latency_seconds',
  lag: 'ddnn_consumer_lag',
  wanBytes: 'ddnn_wan_bytes_total',
} as const;

const M = WORKER_METRIC;

/** The panels of one layer, in display order. */
export const DASHBOARD_PANELS: readonly DashboardPanel[] = [
  {
    id: 'rates',
    title: 'Requests, answers, forwards',
    unit: 'reqps',
    description: 'records taken from the input topic, answered at this exit, and forwarded to the next layer, per second',
    lines: [
      { legend: 'requests', series: { kind: 'rate', metric: M.requests } },
      { legend: 'answers', series: { kind: 'rate', metric: M.answers } },
      { legend: 'forwards', series: { kind: 'rate', metric: M.forwards } },
    ],
  },
  {
    id: 'exit-share',
    title: 'Exit share',
    unit: 'percentunit',
    description: "share of the requests settled at this layer that its exit answered (the rest went on)",
    lines: [{ legend: 'answered here', series: { kind: 'ratio', numerator: M.answers, denominators: [M.answers, M.forwards] } }],
  },
  {
    id: 'response-time',
    title: 'Response time of answers',
    unit: 's',
    description: "from the device's created-at to this layer's answer being acknowledged (histogram quantiles)",
    lines: [0.5, 0.95, 0.99].map((q) => ({ legend: `p${q * 100}`, series: { kind: 'quantile', histogram: M.exitLatency, q } as const })),
  },
  {
    id: 'hop-time',
    title: 'Time in this layer',
    unit: 's',
    description: 'from taking a record to its answer or forward being acknowledged (histogram quantiles)',
    lines: [0.5, 0.95].map((q) => ({ legend: `p${q * 100}`, series: { kind: 'quantile', histogram: M.hopLatency, q } as const })),
  },
  {
    id: 'lag',
    title: 'Consumer lag',
    unit: 'short',
    description: 'records behind the high watermark plus in flight, summed over input partitions',
    lines: [{ legend: '{{topic}}', series: { kind: 'gauge', metric: M.lag, by: 'topic' } }],
  },
  {
    id: 'dead-letters',
    title: 'Dead letters by reason',
    unit: 'reqps',
    description: 'records sent to the dead-letter topic per second, one line per reason',
    lines: [{ legend: '{{reason}}', series: { kind: 'rate', metric: M.deadLetters, by: 'reason' } }],
  },
  {
    id: 'wan-bytes',
    title: 'WAN bytes',
    unit: 'Bps',
    description: "record bytes this layer's worker produced to another layer's cluster (features forwarded, answers sent back)",
    lines: [{ legend: '{{destination}}', series: { kind: 'rate', metric: M.wanBytes, by: 'destination' } }],
  },
];

/** Rate window of the dashboard's queries. */
export const PANEL_RATE_WINDOW = '1m';

/** The PromQL of one line for one layer. */
export function promql(series: PanelSeries, layer: string, window: string = PANEL_RATE_WINDOW): string {
  const sel = `{layer="${layer}"}`;
  const rate = (metric: string, by?: string) => `sum${by ? ` by (${by})` : ''}(rate(${metric}${sel}[${window}]))`;
  switch (series.kind) {
    case 'rate':
      return rate(series.metric, series.by);
    case 'ratio':
      return `${rate(series.numerator)} / (${series.denominators.map((d) => rate(d)).join(' + ')})`;
    case 'quantile':
      return `histogram_quantile(${series.q}, sum by (le)(rate(${series.histogram}_bucket${sel}[${window}])))`;
    case 'gauge':
      return `sum${series.by ? ` by (${series.by})` : ''}(${series.metric}${sel})`;
  }
}

/** Every metric family a panel reads (histograms by their base name). */
export function panelMetricNames(panels: readonly DashboardPanel[] = DASHBOARD_PANELS): string[] {
  const names = panels.flatMap((p) =>
    p.lines.flatMap(({ series: s }) =>
      s.kind === 'ratio' ? [s.numerator, ...s.denominators] : [s.kind === 'quantile' ? s.histogram : s.metric],
    ),
  );
  return [...new Set(names)].sort();
}
