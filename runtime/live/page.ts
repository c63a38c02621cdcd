/**
 * The live view's page (pure): one chart per dashboard panel (contracts/dashboard-panels.ts, lines per layer) plus
 * the devices' response times, drawn by vega-embed from the same Vega-Lite specs the reports render
 * (runtime/charts), and a table of each layer's counters. The page loads Vega from this server (/vendor/…, the npm
 * packages' browser builds), opens /events (server-sent events) and replaces each chart's data on every message:
 * no request leaves 127.0.0.1.
 */
import { DASHBOARD_PANELS, type DashboardPanel } from '../../contracts/dashboard-panels';
import { lineChart, type AxisFormat, type ChartSpec } from '../charts/specs';
import { DEVICES_CHART } from './state';

export const VENDOR_SCRIPTS = ['vega.min.js', 'vega-lite.min.js', 'vega-embed.min.js'] as const;

const UNIT_AXIS: Record<DashboardPanel['unit'], { label: string; axis: AxisFormat }> = {
  reqps: { label: 'per second', axis: { d3: '.1f', suffix: '/s' } },
  percentunit: { label: 'share', axis: { d3: '.0%' } },
  s: { label: 'seconds', axis: { d3: '~s', suffix: 's' } },
  short: { label: 'records', axis: { d3: ',.0f' } },
  Bps: { label: 'bytes per second', axis: { d3: '~s', suffix: 'B/s' } },
};

export interface LiveChart {
  readonly id: string;
  readonly description: string;
  readonly spec: ChartSpec;
}

export function liveCharts(panels: readonly DashboardPanel[] = DASHBOARD_PANELS): LiveChart[] {
  const size = { width: 420, height: 170 };
  const chart = (id: string, title: string, description: string, yLabel: string, yAxis: AxisFormat): LiveChart => ({
    id,
    description,
    spec: lineChart({ title, xLabel: 'seconds since the view started', yLabel, yAxis, series: [], openSeries: true, ...size }),
  });
  return [
    chart(DEVICES_CHART, "Devices' response time", 'device-measured send → answer, per answering layer, over the last 5 s', 'ms', { d3: ',.0f', suffix: ' ms' }),
    ...panels.map((p) => chart(p.id, p.title, p.description, UNIT_AXIS[p.unit].label, UNIT_AXIS[p.unit].axis)),
  ];
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The page; `charts` are embedded as JSON, the browser script only swaps data and fills the table. */
export function livePage(title: string, charts: readonly LiveChart[]): string {
  // '<' escaped so no string in the specs can close the script element.
  const json = JSON.stringify(charts.map((c) => ({ id: c.id, spec: c.spec }))).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1em 2em;color:#222}
#charts{display:flex;flex-wrap:wrap;gap:.5em 1.5em}figure{margin:0}figcaption{font-size:.8em;color:#666;max-width:480px}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:2px 10px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}.down{color:#c00;font-weight:600}#status{color:#555;font-size:.9em}
.chart:empty,.chart{min-width:420px;color:#999;font-size:.9em}
</style>
${VENDOR_SCRIPTS.map((s) => `<script src="/vendor/${s}"></script>`).join('\n')}
</head><body>
<h1>${esc(title)}</h1>
<p id="status">connecting…</p>
<table id="totals"><thead><tr><th>layer</th><th>replicas up</th><th>requests</th><th>answers</th><th>forwards</th><th>dead letters</th></tr></thead><tbody></tbody></table>
<p id="devices"></p>
<div id="charts">${charts.map((c) => `<figure><div id="chart-${esc(c.id)}" class="chart"></div><figcaption>${esc(c.description)}</figcaption></figure>`).join('')}</div>
<script>
const CHARTS = ${json};
const views = {};
// A chart is embedded with its first data (Vega lays an empty one out with infinite extents), then only its data
// set is replaced.
async function drawChart(c, points) {
  const rows = points.map((p) => ({ ...p, i: p.x, dashed: false }));
  if (views[c.id]) return views[c.id].data('values', rows).runAsync();
  if (rows.length === 0) {
    document.getElementById('chart-' + c.id).textContent = 'no data yet';
    return;
  }
  const spec = JSON.parse(JSON.stringify(c.spec));
  spec.data.values = rows;
  // Series (and so legend entries) appear while the view runs: lay the chart out again on every update.
  spec.autosize = { type: 'pad', resize: true };
  views[c.id] = (await vegaEmbed('#chart-' + c.id, spec, { actions: false, renderer: 'svg' })).view;
}
const cell = (text, attrs) => { const td = document.createElement('td'); td.textContent = text; for (const [k, v] of Object.entries(attrs || {})) td.setAttribute(k, v); return td; };
function show(s) {
  const down = s.targets.filter((t) => !t.up);
  const status = document.getElementById('status');
  status.textContent = 'update ' + s.tick + ' at ' + new Date(s.at).toLocaleTimeString() + ' · ' + s.targets.length + ' replica(s)' +
    (down.length ? ' · down: ' + down.map((t) => t.name).join(', ') : '');
  status.dataset.tick = String(s.tick);
  status.className = down.length ? 'down' : '';
  const body = document.querySelector('#totals tbody');
  body.replaceChildren(...Object.entries(s.totals).map(([layer, t]) => {
    const tr = document.createElement('tr');
    tr.dataset.layer = layer;
    tr.append(cell(layer), cell(String(t.replicasUp), { 'data-metric': 'replicasUp' }), cell(String(t.requests), { 'data-metric': 'requests' }),
      cell(String(t.answers), { 'data-metric': 'answers' }), cell(String(t.forwards), { 'data-metric': 'forwards' }), cell(String(t.deadLetters), { 'data-metric': 'deadLetters' }));
    return tr;
  }));
  const d = document.getElementById('devices');
  d.dataset.answered = String(s.devices.answered);
  d.textContent = 'devices: ' + s.devices.answered + ' answers · last 5 s: ' + (Object.entries(s.devices.recent)
    .map(([l, r]) => l + ' n=' + r.n + ' p50 ' + r.p50.toFixed(0) + ' ms p95 ' + r.p95.toFixed(0) + ' ms').join(' · ') || 'none');
  return Promise.all(CHARTS.map((c) => drawChart(c, s.charts[c.id] || [])));
}
let latest = null;
let drawing = false;
async function draw() {
  if (drawing || !latest) return;
  drawing = true;
  const s = latest;
  latest = null;
  try { await show(s); } finally { drawing = false; }
  if (latest) void draw();
}
const events = new EventSource('/events');
events.onmessage = (e) => { latest = JSON.parse(e.data); void draw(); };
events.onerror = () => { document.getElementById('status').textContent = 'reconnecting…'; };
</script>
</body></html>
`;
}
