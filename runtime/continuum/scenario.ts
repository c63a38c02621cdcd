/**
 * The `wan-drop` scenario (pure): its phases, and what its records become — p50/p95 per 5 s window for each run,
 * a table per phase (p50, p95, accuracy, lost), the controller's decisions, and the time-series chart.
 */
import { lineChart, type Annotation, type ChartSpec } from '../charts/specs';
import type { DeviceRecord } from '../../contracts/records';
import { latencyStats } from './stats';

export interface WanPhaseShape {
  readonly latencyMs: number;
  /** Mbit/s each way */
  readonly bandwidthMbps: number;
}

export interface Phase {
  readonly name: string;
  readonly durationS: number;
  /** the WAN during the phase; 'cut' = no byte passes (held, not lost) */
  readonly wan: WanPhaseShape | 'cut';
  /** added to every edge micro-batch's predict (an edge slowed down by other work) */
  readonly extraEdgePredictMs: number;
}

export interface WanDropOptions {
  /** seconds of the five phases: fast WAN, degraded WAN, cut, recovery, edge slowdown */
  readonly phaseS: readonly [number, number, number, number, number];
  /** the fast WAN's one-way latency */
  readonly baseLatencyMs: number;
  readonly slowdownMs: number;
}

/** The defaults: 100 Mbit/s, then 60 s at 5 Mbit/s + 80 ms one way, a 10 s cut, recovery, edge +X ms. */
export const WAN_DROP_DEFAULTS: WanDropOptions = { phaseS: [30, 60, 10, 30, 30], baseLatencyMs: 15, slowdownMs: 20 };

export function wanDropPhases(o: WanDropOptions): Phase[] {
  const fast: WanPhaseShape = { latencyMs: o.baseLatencyMs, bandwidthMbps: 100 };
  const [a, b, c, d, e] = o.phaseS;
  return [
    { name: '1 WAN 100 Mbit/s', durationS: a, wan: fast, extraEdgePredictMs: 0 },
    { name: '2 WAN 5 Mbit/s + 80 ms', durationS: b, wan: { latencyMs: 80, bandwidthMbps: 5 }, extraEdgePredictMs: 0 },
    { name: '3 WAN cut', durationS: c, wan: 'cut', extraEdgePredictMs: 0 },
    { name: '4 recovery', durationS: d, wan: fast, extraEdgePredictMs: 0 },
    { name: `5 edge +${o.slowdownMs} ms`, durationS: e, wan: fast, extraEdgePredictMs: o.slowdownMs },
  ].filter((p) => p.durationS > 0) as Phase[];
}

/** Phase start offsets in seconds from the stream's start, and the end. */
export function phaseBounds(phases: readonly Phase[]): { name: string; fromS: number; toS: number }[] {
  let t = 0;
  return phases.map((p) => ({ name: p.name, fromS: t, toS: (t += p.durationS) }));
}

export interface WindowStats {
  /** window start, s from the stream's start */
  readonly t: number;
  readonly sent: number;
  readonly answered: number;
  readonly p50: number | null;
  readonly p95: number | null;
}

/** Requests by the time they were sent, in windows of `windowS`: the response times of those answered. */
export function windowStats(records: readonly DeviceRecord[], t0: number, windowS: number, totalS: number): WindowStats[] {
  const n = Math.ceil(totalS / windowS);
  const buckets = Array.from({ length: n }, () => ({ sent: 0, times: [] as number[] }));
  for (const r of records) {
    const i = Math.floor((r.sentAt - t0) / 1000 / windowS);
    if (i < 0 || i >= n) continue;
    buckets[i].sent++;
    if (r.responseMs !== null) buckets[i].times.push(r.responseMs);
  }
  return buckets.map((b, i) => {
    const s = latencyStats(b.times);
    return { t: i * windowS, sent: b.sent, answered: b.times.length, p50: b.times.length ? s.p50 : null, p95: b.times.length ? s.p95 : null };
  });
}

export interface PhaseRow {
  readonly phase: string;
  readonly sent: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly accuracy: number | null;
  /** requests never answered */
  readonly lost: number;
  /** share answered at the first layer */
  readonly edgeShare: number | null;
}

export function phaseTable(records: readonly DeviceRecord[], phases: readonly Phase[], t0: number, entryLayer: string): PhaseRow[] {
  const rows = phaseBounds(phases).map((b) => {
    const rs = records.filter((r) => r.sentAt - t0 >= b.fromS * 1000 && r.sentAt - t0 < b.toS * 1000);
    return row(b.name, rs, entryLayer);
  });
  return [...rows, row('all', records, entryLayer)];
}

function row(phase: string, rs: readonly DeviceRecord[], entryLayer: string): PhaseRow {
  const answered = rs.filter((r) => r.responseMs !== null && r.predicted !== null);
  const s = latencyStats(answered.map((r) => r.responseMs!));
  return {
    phase,
    sent: rs.length,
    p50: answered.length ? s.p50 : null,
    p95: answered.length ? s.p95 : null,
    accuracy: answered.length ? answered.filter((r) => r.predicted === r.label).length / answered.length : null,
    lost: rs.length - answered.length,
    edgeShare: answered.length ? answered.filter((r) => r.layer === entryLayer).length / answered.length : null,
  };
}

/** A change the controller made, as the scenario records it. */
export interface DecisionMark {
  /** s from the stream's start */
  readonly t: number;
  /** e.g. `split 0.74 int8` or `edge-only` */
  readonly setting: string;
  readonly reason: string;
}

export interface ScenarioRun {
  readonly name: string;
  readonly controller: boolean;
  /** the tfjs backend the workers ran (as each reported when ready; `--backend auto` resolves to one) */
  readonly backend: string;
  readonly windows: readonly WindowStats[];
  readonly phases: readonly PhaseRow[];
  readonly decisions: readonly DecisionMark[];
  /** ms each CPU group spent throttled during the run's stream (absent without CPU budgets) */
  readonly throttledMs?: Readonly<Record<string, number>>;
}

/** p50/p95 per window of every run on one chart; the controller's decisions as labelled points on its p95 line. */
export function scenarioChart(title: string, runs: readonly ScenarioRun[], bounds: ReturnType<typeof phaseBounds>, windowS: number): ChartSpec {
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
  const series = runs.flatMap((r, i) => [
    { name: `${r.name} p95`, color: colors[i % colors.length], points: r.windows.filter((w) => w.p95 !== null).map((w) => ({ x: w.t + windowS / 2, y: w.p95! })) },
    { name: `${r.name} p50`, color: colors[i % colors.length], dashed: true, points: r.windows.filter((w) => w.p50 !== null).map((w) => ({ x: w.t + windowS / 2, y: w.p50! })) },
  ]);
  const top = Math.max(1, ...runs.flatMap((r) => r.windows.map((w) => w.p95 ?? 0)));
  const annotations: Annotation[] = [
    ...bounds.map((b) => ({ x: b.fromS, y: top, label: b.name, color: '#777' })),
    ...runs.flatMap((r) => r.decisions.map((d) => ({ x: d.t, y: nearest(r.windows, d.t, windowS) ?? top / 2, label: d.setting, color: '#000' }))),
  ];
  return lineChart({ title, xLabel: 'time since the stream started (s)', yLabel: 'response time (ms), by send time', series, annotations, width: 900, height: 360, xDomain: [0, bounds.at(-1)?.toS ?? 1] });
}

function nearest(windows: readonly WindowStats[], t: number, windowS: number): number | null {
  return windows.find((w) => t >= w.t && t < w.t + windowS)?.p95 ?? null;
}

const ms = (v: number | null) => (v === null ? '—' : v.toFixed(1));
const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(2)} %`);

/** The per-phase table of every run, for the terminal and the README. */
export function renderScenarioTable(runs: readonly ScenarioRun[]): string {
  const lines = ['| run | phase | sent | p50 ms | p95 ms | accuracy | answered at the edge | lost |', '|---|---|---:|---:|---:|---:|---:|---:|'];
  for (const r of runs) for (const p of r.phases) lines.push(`| ${r.name} | ${p.phase} | ${p.sent} | ${ms(p.p50)} | ${ms(p.p95)} | ${pct(p.accuracy)} | ${pct(p.edgeShare)} | ${p.lost} |`);
  return lines.join('\n');
}
