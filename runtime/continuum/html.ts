/**
 * Self-contained HTML reports: tables plus inline SVG plots shaped like the paper's Figs. 6–9. The charts are
 * Vega-Lite specs (runtime/charts, the same the live view draws) rendered to SVG here, so the page needs no script.
 */
import { renderSvg } from '../charts/render';
import { barChart, lineChart, type ChartSpec, type Series } from '../charts/specs';
import { ms, pct, times } from './format';
import type { ExperimentReport } from './report';
import type { SweepReport } from './sweep';
import { breakdownTable, cpuTable, describeSetup, isSection, latencyTable, summaryTable, Table } from './table';

const COLORS = {
  direct: '#1f77b4',
  mirrored: '#2ca02c',
  cloudOnly: '#d62728',
  paperEdge: '#9ecae1',
  paperCloud: '#fc9272',
  extra: ['#ff7f0e', '#9467bd', '#8c564b', '#17becf'],
};

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const transportColor = (t: string) => (t === 'mirrored' ? COLORS.mirrored : COLORS.direct);

function tableHtml(t: Table): string {
  const head = `<tr>${t.headers.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr>`;
  const body = t.rows
    .map((r) =>
      isSection(r)
        ? `<tr class="section"><td colspan="${t.headers.length}">${escapeXml(r.section)}</td></tr>`
        : `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<h2>${escapeXml(t.title)}</h2>\n<table>\n${head}\n${body}\n</table>`;
}

function page(title: string, sections: string[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}tr.section td{font-weight:600;text-align:left;background:#f6f6f6}
figure{display:inline-block;margin:0 1em 1em 0}figcaption{font-size:.9em;color:#555;max-width:640px}
.setup{color:#555}code{background:#f4f4f4;padding:1px 4px}
</style></head><body>
<h1>${escapeXml(title)}</h1>
${sections.join('\n')}
</body></html>
`;
}

/** A chart and its caption; a figure without a chart (nothing measured) renders as nothing. */
interface Figure {
  readonly chart: ChartSpec;
  readonly caption: string;
}

async function figureHtml(f: Figure | null): Promise<string> {
  return f ? `<figure>${await renderSvg(f.chart)}<figcaption>${escapeXml(f.caption)}</figcaption></figure>` : '';
}

const pctAxis = { d3: '.0%' } as const;
const msAxis = { d3: ',.0f' } as const;

/** Fig. 6: global accuracy and accuracy on the exit-answered images, ours beside the paper's. */
function accuracyFigure(report: ExperimentReport): Figure {
  const runs = report.earlyExit;
  const p = report.paper;
  const series: Series[] = [
    ...runs.map((r) => ({ name: `edge-cloud ${r.transport}`, color: transportColor(r.transport) })),
    { name: 'cloud-only', color: COLORS.cloudOnly },
    { name: 'paper edge-cloud', color: COLORS.paperEdge },
    { name: 'paper cloud-only', color: COLORS.paperCloud },
  ];
  const exit = runs[0]?.exitLayer ?? 'edge';
  const full = runs.length > 0 ? runs[0].fullModelAccuracyOnExitSet : null;
  return {
    chart: barChart({
      title: 'Accuracy (cf. paper Fig. 6)',
      yLabel: 'accuracy',
      series,
      yMax: 1,
      yAxis: pctAxis,
      format: (v) => pct(v, 1),
      groups: [
        { label: 'global (all test images)', values: [...runs.map((r) => r.globalAccuracy), report.cloudOnly.accuracy, null, null] },
        {
          label: `images answered at the ${exit}`,
          values: [...runs.map((r) => r.exitAccuracyOnExitSet), full, p.edgeExitAccuracyOnEdgeSet.value, p.fullModelAccuracyOnEdgeSet.value],
        },
      ],
    }),
    caption: `Edge-cloud: each request answered by the exit that took it. Cloud-only: the whole model without exit, same images. The paper gives only the ${exit}-answered accuracies in its text.`,
  };
}

/** Fig. 7: response time of the exit-answered requests and of all requests vs cloud-only. */
function responseTimeFigure(report: ExperimentReport): Figure {
  const runs = report.earlyExit;
  const exit = runs[0]?.exitLayer ?? 'edge';
  const series: Series[] = [
    ...runs.flatMap((r) => [
      { name: `${exit}-answered (${r.transport})`, color: transportColor(r.transport) },
      { name: `all (${r.transport})`, color: r.transport === 'mirrored' ? '#98df8a' : '#aec7e8' },
    ]),
    { name: 'cloud-only', color: COLORS.cloudOnly },
  ];
  const pick = (k: 'avg' | 'p50' | 'p95' | 'p99') => [
    ...runs.flatMap((r) => [r.responseTimeMs.perLayer[r.exitLayer]?.[k] ?? null, r.responseTimeMs.all[k]]),
    report.cloudOnly.responseTimeMs[k],
  ];
  return {
    chart: barChart({
      title: 'Response time (cf. paper Figs. 7–8)',
      yLabel: 'ms',
      series,
      yAxis: msAxis,
      format: (v) => ms(v, 0),
      groups: (['avg', 'p50', 'p95', 'p99'] as const).map((k) => ({ label: k, values: pick(k) })),
    }),
    caption: `Device-measured time from send to answer. Paper: ${ms(report.paper.simpleEdgeAnsweredAvgSeconds.value * 1000)} ms average for edge-answered requests in its simple deployment.`,
  };
}

/** Empirical CDF of response times per set (not in the paper; shows the tails the averages hide). */
function cdfFigure(samples: ReadonlyMap<string, readonly number[]> | undefined): Figure | null {
  if (!samples || samples.size === 0) return null;
  const color = (name: string, i: number) =>
    name.includes('cloud-only') ? COLORS.cloudOnly : name.includes('mirrored') ? COLORS.mirrored : name.includes('direct') ? COLORS.direct : COLORS.extra[i % COLORS.extra.length];
  const series = [...samples.entries()].map(([name, values], i) => {
    const sorted = [...values].sort((a, b) => a - b);
    const step = Math.max(1, Math.floor(sorted.length / 200));
    const points = sorted.filter((_, j) => j % step === 0 || j === sorted.length - 1).map((v, j, arr) => ({ x: v, y: (j + 1) / arr.length }));
    const dashed = !name.includes('all') && !name.includes('cloud-only');
    return { name, color: color(name, i), points, dashed };
  });
  return {
    chart: lineChart({ title: 'Response-time CDF', xLabel: 'response time (ms)', yLabel: 'share of requests', series, xAxis: msAxis, yAxis: pctAxis, xDomain: [0, Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.x)))] }),
    caption: 'Share of requests answered within a given time (dashed: the exit-answered requests only).',
  };
}

export interface HtmlOptions {
  /** Raw response times per set, for the CDF plot (optional: the report itself keeps only summaries). */
  readonly responseTimes?: ReadonlyMap<string, readonly number[]>;
  /** The command that produced the report, shown for reproducibility. */
  readonly command?: string;
}

export async function renderExperimentHtml(report: ExperimentReport, options: HtmlOptions = {}): Promise<string> {
  return page('continuum-ddnn: edge-cloud with early exits vs cloud-only', [
    `<p class="setup">${describeSetup(report).map(escapeXml).join('<br>')}<br>${escapeXml(report.startedAt)} → ${escapeXml(report.finishedAt)}</p>`,
    options.command ? `<p>Command: <code>${escapeXml(options.command)}</code></p>` : '',
    await figureHtml(accuracyFigure(report)),
    await figureHtml(responseTimeFigure(report)),
    await figureHtml(cdfFigure(options.responseTimes)),
    tableHtml(summaryTable(report)),
    tableHtml(latencyTable(report)),
    breakdownTable(report) ? tableHtml(breakdownTable(report)!) : '',
    cpuTable(report) ? tableHtml(cpuTable(report)!) : '',
    '<p class="setup">Paper numbers: §5.2 of "An open source framework based on Kafka-ML for Distributed DNN inference over the Cloud-to-Things continuum"; values only shown in its figures are marked "—".</p>',
  ]);
}

export async function renderSweepHtml(sweep: SweepReport, options: HtmlOptions = {}): Promise<string> {
  const transports = [...new Set(sweep.points.map((p) => p.transport))];
  const partitions = [...new Set(sweep.points.map((p) => p.partitions))].sort((a, b) => a - b);
  const at = (t: string, n: number) => sweep.points.find((p) => p.transport === t && p.partitions === n);
  const p = sweep.paper;
  const speedUp = lineChart({
    title: 'Speed-up vs cloud-only per partitions = replicas (cf. paper Fig. 9)',
    xLabel: 'partitions = worker replicas per layer',
    yLabel: 'speed-up (×)',
    markers: true,
    // 1 … max(measured, the paper's best point), so the paper's point sits on the same axis.
    xTicks: Array.from({ length: Math.max(p.bestPartitions.value, ...partitions) }, (_, i) => i + 1),
    xAxis: { d3: 'd' },
    yAxis: { d3: '.1f', suffix: '×' },
    series: [
      ...transports.flatMap((t) => [
        { name: `early exits (${t})`, color: transportColor(t), points: partitions.map((n) => ({ x: n, y: at(t, n)?.speedUpEarlyExits ?? NaN })) },
        { name: `all requests (${t})`, color: transportColor(t), dashed: true, points: partitions.map((n) => ({ x: n, y: at(t, n)?.speedUpTotal ?? NaN })) },
      ]),
      { name: 'paper early exits', color: COLORS.paperEdge, points: [{ x: p.bestPartitions.value, y: p.speedUpEarlyExitsAtBest.value }] },
      { name: 'paper all', color: COLORS.paperCloud, points: [{ x: p.bestPartitions.value, y: p.speedUpTotalAtBest.value }] },
    ],
  });
  const series: Series[] = [
    ...transports.flatMap((t) => [
      { name: `edge-answered (${t})`, color: transportColor(t) },
      { name: `all (${t})`, color: t === 'mirrored' ? '#98df8a' : '#aec7e8' },
    ]),
    { name: 'cloud-only', color: COLORS.cloudOnly },
  ];
  const times8 = barChart({
    title: 'Average response time per partitions (cf. paper Fig. 8)',
    yLabel: 'ms',
    series,
    yAxis: msAxis,
    format: (v) => ms(v, 0),
    groups: partitions.map((n) => ({
      label: `${n} partition${n > 1 ? 's' : ''}`,
      values: [
        ...transports.flatMap((t) => [at(t, n)?.exitAvgMs ?? null, at(t, n)?.allAvgMs ?? null]),
        sweep.points.find((q) => q.partitions === n)?.cloudOnlyAvgMs ?? null,
      ],
    })),
  });
  const table: Table = {
    title: 'Sweep',
    headers: ['env', 'partitions', 'transport', 'edge avg ms', 'all avg ms', 'cloud-only avg ms', 'speed-up exits', 'speed-up all', 'edge share', 'accuracy'],
    rows: sweep.points.map((q) => [
      q.env, String(q.partitions), q.transport, ms(q.exitAvgMs), ms(q.allAvgMs), ms(q.cloudOnlyAvgMs),
      times(q.speedUpEarlyExits), times(q.speedUpTotal), pct(q.exitShare), pct(q.globalAccuracy),
    ]),
  };
  return page('continuum-ddnn: partition sweep', [
    options.command ? `<p>Command: <code>${escapeXml(options.command)}</code></p>` : '',
    await figureHtml({ chart: speedUp, caption: `Paper: best at ${p.bestPartitions.value} partitions, ${p.speedUpEarlyExitsAtBest.value}× for early exits and ${p.speedUpTotalAtBest.value}× for all requests (3 brokers per layer, 5 devices).` }),
    await figureHtml({ chart: times8, caption: 'Average device-measured response time; cloud-only measured at the same partition count.' }),
    tableHtml(table),
    ...sweep.experiments.map((e) => `<h2>${escapeXml(e.setup.env)}</h2><p class="setup">${describeSetup(e).map(escapeXml).join('<br>')}</p>${tableHtml(summaryTable(e))}${cpuTable(e) ? tableHtml(cpuTable(e)!) : ''}`),
  ]);
}
