/** Renders calibration sweeps as a text table and an SVG plot (no I/O). */
import { renderSvg as renderChartSvg } from '../runtime/charts/render';
import { lineChart, sideBySide } from '../runtime/charts/specs';
import { Proposal, SweepRow } from './calibration';

const pct = (v: number | null) => (v === null ? '   -  ' : `${(v * 100).toFixed(2).padStart(6)}`);

/** One line per threshold (every `step`-th row plus the proposal), columns per exit. */
export function formatTable(rows: SweepRow[], exitNames: string[], opts: { every?: number; mark?: SweepRow | null } = {}): string {
  const every = opts.every ?? 5;
  const head = [
    'criterion  '.padEnd(12) + 'thresh',
    ...exitNames.map((e) => `ans% ${e}`.padStart(Math.max(10, e.length + 5))),
    ...exitNames.map((e) => `acc% ${e}`.padStart(Math.max(10, e.length + 5))),
    'overall%',
    'bytes up/img',
  ].join(' | ');
  const lines = [head, '-'.repeat(head.length)];
  rows.forEach((r, i) => {
    if (i % every !== 0 && r !== opts.mark && i !== rows.length - 1) return;
    lines.push(
      [
        r.criterion.padEnd(12) + r.threshold.toFixed(3),
        ...r.answered.map((a, j) => pct(a).padStart(Math.max(10, exitNames[j].length + 5))),
        ...r.accuracy.map((a, j) => pct(a).padStart(Math.max(10, exitNames[j].length + 5))),
        pct(r.overallAccuracy).padStart(8),
        r.bytesUpstream.toFixed(0).padStart(12),
      ].join(' | ') + (r === opts.mark ? '  ← proposed' : ''),
    );
  });
  return lines.join('\n');
}

/**
 * Left: overall accuracy vs share answered before the last exit, per criterion (the trade-off both criteria are
 * compared on). Right: per-threshold behaviour of max-softmax (answered share and accuracy at the first exit).
 * Vega-Lite specs from runtime/charts (the project's one plotting path), rendered to SVG.
 */
export async function renderSvg(opts: {
  title: string;
  exitNames: string[];
  maxSoftmax: SweepRow[];
  entropy: SweepRow[];
  proposals: Proposal[];
  reference?: SweepRow | null;
}): Promise<string> {
  const early = (r: SweepRow) => 1 - r.answered[r.answered.length - 1];
  const accs = [...opts.maxSoftmax, ...opts.entropy].map((r) => r.overallAccuracy);
  const lo = Math.max(0, Math.floor((Math.min(...accs) - 0.02) * 20) / 20);
  const hi = Math.min(1, Math.ceil((Math.max(...accs) + 0.01) * 20) / 20);
  const colors: Record<string, string> = { 'max-softmax': '#1f77b4', entropy: '#d62728' };
  const annotations = opts.proposals
    .filter((p) => p.row)
    .map((p) => ({ x: early(p.row!), y: p.row!.overallAccuracy, label: `${p.criterion} t=${p.row!.threshold}`, color: colors[p.criterion] }));
  if (opts.reference) annotations.push({ x: early(opts.reference), y: opts.reference.overallAccuracy, label: `paper t=${opts.reference.threshold}`, color: '#2ca02c' });
  const axis2 = { d3: '.2f' };
  const size = { width: 380, height: 300 };
  const left = lineChart({
    title: 'Overall accuracy vs early answers',
    xLabel: 'share answered before the last exit',
    yLabel: 'overall accuracy',
    series: [
      { name: 'max-softmax ≥ t', color: colors['max-softmax'], points: opts.maxSoftmax.map((r) => ({ x: early(r), y: r.overallAccuracy })) },
      { name: 'normalised entropy ≤ t', color: colors.entropy, points: opts.entropy.map((r) => ({ x: early(r), y: r.overallAccuracy })) },
    ],
    annotations,
    xDomain: [0, 1],
    yDomain: [lo, hi],
    xAxis: axis2,
    yAxis: axis2,
    ...size,
  });
  const first = opts.exitNames[0];
  const right = lineChart({
    title: `max-softmax threshold sweep (${first})`,
    xLabel: 'threshold t',
    yLabel: 'share / accuracy',
    series: [
      { name: `answered at ${first}`, color: '#1f77b4', points: opts.maxSoftmax.map((r) => ({ x: r.threshold, y: r.answered[0] })) },
      { name: `accuracy at ${first}`, color: '#ff7f0e', points: opts.maxSoftmax.map((r) => ({ x: r.threshold, y: r.accuracy[0] ?? NaN })) },
      { name: 'overall accuracy', color: '#2ca02c', points: opts.maxSoftmax.map((r) => ({ x: r.threshold, y: r.overallAccuracy })) },
      { name: 'last exit on same images', color: '#9467bd', dashed: true, points: opts.maxSoftmax.map((r) => ({ x: r.threshold, y: r.finalAccuracyOnSame[0] ?? NaN })) },
    ],
    xDomain: [0, 1],
    yDomain: [0, 1],
    xAxis: axis2,
    yAxis: axis2,
    ...size,
  });
  return `${await renderChartSvg(sideBySide(opts.title, [left, right]))}\n`;
}
