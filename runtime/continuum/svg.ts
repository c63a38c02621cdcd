/**
 * Minimal hand-written SVG charts for the HTML report (pure: spec → SVG string, no DOM, no plotting library).
 * Two kinds are enough for the paper's figures: grouped bars (Figs. 6–8) and lines (Fig. 9, latency CDFs).
 */

export interface Series {
  readonly name: string;
  readonly color: string;
}

export interface BarGroup {
  readonly label: string;
  /** One value per series, in series order; null draws no bar (not measured). */
  readonly values: ReadonlyArray<number | null>;
}

export interface BarChartSpec {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly groups: readonly BarGroup[];
  readonly format: (v: number) => string;
  readonly yMax?: number;
}

export interface LineSeries extends Series {
  readonly points: ReadonlyArray<{ readonly x: number; readonly y: number }>;
  readonly dashed?: boolean;
}

export interface LineChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  readonly xTicks?: readonly number[];
  readonly formatX?: (v: number) => string;
  readonly formatY?: (v: number) => string;
  /** A 0-based linear x axis with round ticks even for few distinct x (distributions). @default false */
  readonly linearX?: boolean;
  /** Draw a marker on each point (for sparse series such as the partition sweep). */
  readonly markers?: boolean;
}

const W = 640;
const H = 360;
const M = { left: 64, right: 16, top: 40, bottom: 98 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A round axis maximum ≥ max: 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten. */
export function niceMax(max: number): number {
  if (!Number.isFinite(max) || max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= max * 0.999999) return m * p;
  return 10 * p;
}

const r = (v: number) => Math.round(v * 10) / 10;

function frame(title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(title)}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
  ].join('\n');
}

function yAxis(yMax: number, yLabel: string, format: (v: number) => string): string[] {
  const out: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    const y = r(M.top + PLOT_H - (PLOT_H * i) / 5);
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${y + 4}" text-anchor="end" fill="#444">${escapeXml(format(v))}</text>`);
  }
  out.push(`<text transform="translate(14 ${M.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle" fill="#444">${escapeXml(yLabel)}</text>`);
  return out;
}

function legend(series: ReadonlyArray<Series & { dashed?: boolean }>): string[] {
  // Lay entries out left to right below the x axis label, wrapping to a new row at the right edge.
  const placed: Array<{ s: Series & { dashed?: boolean }; x: number; row: number }> = [];
  let x = M.left;
  let row = 0;
  for (const s of series) {
    const w = 34 + s.name.length * 6.6;
    if (x + w > W - M.right && x > M.left) {
      x = M.left;
      row++;
    }
    placed.push({ s, x, row });
    x += w;
  }
  return placed.flatMap(({ s, x: lx, row: ly }) => {
    const y = M.top + PLOT_H + 56 + 18 * ly;
    const dash = s.dashed ? ' stroke-dasharray="4 3"' : '';
    return [
      `<line x1="${r(lx)}" x2="${r(lx + 18)}" y1="${y - 4}" y2="${y - 4}" stroke="${s.color}" stroke-width="6"${dash}/>`,
      `<text x="${r(lx + 24)}" y="${y}">${escapeXml(s.name)}</text>`,
    ];
  });
}

export function barChart(spec: BarChartSpec): string {
  const values = spec.groups.flatMap((g) => g.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const yMax = spec.yMax ?? niceMax(Math.max(0, ...values));
  const body = yAxis(yMax, spec.yLabel, spec.format);
  const groupW = PLOT_W / Math.max(1, spec.groups.length);
  const barW = Math.min(48, (groupW * 0.8) / Math.max(1, spec.series.length));
  spec.groups.forEach((g, gi) => {
    const x0 = M.left + gi * groupW + (groupW - barW * spec.series.length) / 2;
    g.values.forEach((v, si) => {
      if (v === null || !Number.isFinite(v)) return;
      const h = Math.max(0, Math.min(1, v / yMax)) * PLOT_H;
      const x = r(x0 + si * barW);
      const y = r(M.top + PLOT_H - h);
      body.push(`<rect x="${x}" y="${y}" width="${r(barW - 2)}" height="${r(h)}" fill="${spec.series[si].color}"><title>${escapeXml(`${spec.series[si].name} · ${g.label}: ${spec.format(v)}`)}</title></rect>`);
      body.push(`<text x="${r(x + (barW - 2) / 2)}" y="${r(y - 4)}" text-anchor="middle" font-size="10" fill="#222">${escapeXml(spec.format(v))}</text>`);
    });
    body.push(`<text x="${r(M.left + gi * groupW + groupW / 2)}" y="${M.top + PLOT_H + 18}" text-anchor="middle">${escapeXml(g.label)}</text>`);
  });
  body.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + PLOT_H}" y2="${M.top + PLOT_H}" stroke="#444"/>`);
  body.push(...legend(spec.series));
  return frame(spec.title, body);
}

export function lineChart(spec: LineChartSpec): string {
  const pts = spec.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const fx = spec.formatX ?? ((v: number) => String(v));
  const fy = spec.formatY ?? ((v: number) => String(v));
  const distinct = [...new Set(pts.map((p) => p.x))].sort((a, b) => a - b);
  // Few distinct x (a sweep): label each one. Many (a distribution): a 0-based linear axis with round ticks.
  const linear = niceMax(Math.max(0, ...distinct));
  const xs = spec.xTicks ?? (distinct.length <= 12 && !spec.linearX ? distinct : [0, 1, 2, 3, 4, 5].map((i) => (linear * i) / 5));
  const xMin = Math.min(...xs, ...pts.map((p) => p.x));
  const xMax = Math.max(...xs, ...pts.map((p) => p.x));
  const yMax = niceMax(Math.max(0, ...pts.map((p) => p.y)));
  const sx = (x: number) => r(M.left + (xMax === xMin ? PLOT_W / 2 : ((x - xMin) / (xMax - xMin)) * PLOT_W));
  const sy = (y: number) => r(M.top + PLOT_H - (y / yMax) * PLOT_H);
  const body = yAxis(yMax, spec.yLabel, fy);
  for (const x of xs) body.push(`<text x="${sx(x)}" y="${M.top + PLOT_H + 18}" text-anchor="middle">${escapeXml(fx(x))}</text>`);
  body.push(`<text x="${M.left + PLOT_W / 2}" y="${M.top + PLOT_H + 38}" text-anchor="middle" fill="#444">${escapeXml(spec.xLabel)}</text>`);
  body.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + PLOT_H}" y2="${M.top + PLOT_H}" stroke="#444"/>`);
  for (const s of spec.series) {
    const ok = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    if (ok.length === 0) continue;
    const d = ok.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x)} ${sy(p.y)}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="5 4"' : '';
    body.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    if (spec.markers) {
      for (const p of ok) {
        body.push(`<circle cx="${sx(p.x)}" cy="${sy(p.y)}" r="4" fill="${s.color}"><title>${escapeXml(`${s.name} · ${fx(p.x)}: ${fy(p.y)}`)}</title></circle>`);
      }
    }
  }
  body.push(...legend(spec.series));
  return frame(spec.title, body);
}
