/** Renders calibration sweeps as a text table and an SVG plot (no I/O). */
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

interface Series {
  label: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A line chart panel at (x0, y0) of size w × h; axes 0..1 unless given. */
function panel(
  x0: number, y0: number, w: number, h: number, title: string, xLabel: string, yLabel: string, series: Series[],
  marks: { x: number; y: number; label: string; color: string }[], xr: [number, number], yr: [number, number],
): string {
  const sx = (v: number) => x0 + ((v - xr[0]) / (xr[1] - xr[0])) * w;
  const sy = (v: number) => y0 + h - ((v - yr[0]) / (yr[1] - yr[0])) * h;
  const out: string[] = [];
  out.push(`<text x="${x0 + w / 2}" y="${y0 - 12}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`);
  out.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#444"/>`);
  for (let i = 0; i <= 5; i++) {
    const xv = xr[0] + ((xr[1] - xr[0]) * i) / 5;
    const yv = yr[0] + ((yr[1] - yr[0]) * i) / 5;
    out.push(`<line x1="${sx(xv)}" y1="${y0}" x2="${sx(xv)}" y2="${y0 + h}" stroke="#ddd"/>`);
    out.push(`<line x1="${x0}" y1="${sy(yv)}" x2="${x0 + w}" y2="${sy(yv)}" stroke="#ddd"/>`);
    out.push(`<text x="${sx(xv)}" y="${y0 + h + 16}" text-anchor="middle" font-size="11">${xv.toFixed(2)}</text>`);
    out.push(`<text x="${x0 - 6}" y="${sy(yv) + 4}" text-anchor="end" font-size="11">${yv.toFixed(2)}</text>`);
  }
  out.push(`<text x="${x0 + w / 2}" y="${y0 + h + 34}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
  out.push(`<text x="${x0 - 44}" y="${y0 + h / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 ${x0 - 44} ${y0 + h / 2})">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length) {
      const d = pts.map(([x, y], k) => `${k ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
    }
    out.push(`<line x1="${x0 + 10}" y1="${y0 + 14 + i * 16}" x2="${x0 + 30}" y2="${y0 + 14 + i * 16}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
    out.push(`<text x="${x0 + 34}" y="${y0 + 18 + i * 16}" font-size="11">${esc(s.label)}</text>`);
  });
  for (const m of marks) {
    out.push(`<circle cx="${sx(m.x)}" cy="${sy(m.y)}" r="4" fill="${m.color}"/>`);
    out.push(`<text x="${sx(m.x) + 6}" y="${sy(m.y) - 6}" font-size="11" fill="${m.color}">${esc(m.label)}</text>`);
  }
  return out.join('\n');
}

/**
 * Left: overall accuracy vs share answered before the last exit, per criterion (the trade-off both criteria are
 * compared on). Right: per-threshold behaviour of max-softmax (answered share and accuracy at the first exit).
 */
export function renderSvg(opts: {
  title: string;
  exitNames: string[];
  maxSoftmax: SweepRow[];
  entropy: SweepRow[];
  proposals: Proposal[];
  reference?: SweepRow | null;
}): string {
  const W = 1000;
  const H = 440;
  const early = (r: SweepRow) => 1 - r.answered[r.answered.length - 1];
  const accs = [...opts.maxSoftmax, ...opts.entropy].map((r) => r.overallAccuracy);
  const lo = Math.max(0, Math.floor((Math.min(...accs) - 0.02) * 20) / 20);
  const hi = Math.min(1, Math.ceil((Math.max(...accs) + 0.01) * 20) / 20);
  const colors: Record<string, string> = { 'max-softmax': '#1f77b4', entropy: '#d62728' };
  const marks = opts.proposals
    .filter((p) => p.row)
    .map((p) => ({ x: early(p.row!), y: p.row!.overallAccuracy, label: `${p.criterion} t=${p.row!.threshold}`, color: colors[p.criterion] }));
  if (opts.reference) marks.push({ x: early(opts.reference), y: opts.reference.overallAccuracy, label: `paper t=${opts.reference.threshold}`, color: '#2ca02c' });
  const left = panel(
    80, 60, 380, 300, 'Overall accuracy vs early answers', 'share answered before the last exit', 'overall accuracy',
    [
      { label: 'max-softmax ≥ t', color: colors['max-softmax'], points: opts.maxSoftmax.map((r) => [early(r), r.overallAccuracy]) },
      { label: 'normalised entropy ≤ t', color: colors.entropy, points: opts.entropy.map((r) => [early(r), r.overallAccuracy]) },
    ],
    marks, [0, 1], [lo, hi],
  );
  const first = opts.exitNames[0];
  const right = panel(
    580, 60, 380, 300, `max-softmax threshold sweep (${first})`, 'threshold t', 'share / accuracy',
    [
      { label: `answered at ${first}`, color: '#1f77b4', points: opts.maxSoftmax.map((r) => [r.threshold, r.answered[0]]) },
      { label: `accuracy at ${first}`, color: '#ff7f0e', points: opts.maxSoftmax.map((r) => [r.threshold, r.accuracy[0] ?? NaN]) },
      { label: 'overall accuracy', color: '#2ca02c', points: opts.maxSoftmax.map((r) => [r.threshold, r.overallAccuracy]) },
      { label: 'last exit on same images', color: '#9467bd', dashed: true, points: opts.maxSoftmax.map((r) => [r.threshold, r.finalAccuracyOnSame[0] ?? NaN]) },
    ],
    [], [0, 1], [0, 1],
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(opts.title)}</text>`,
    left,
    right,
    '</svg>',
    '',
  ].join('\n');
}
