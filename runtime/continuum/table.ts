/** The experiment report as tables (pure): structured rows shared by the terminal and the HTML renderers. */
import { bytes, count, DASH, ms, pct, times } from './format';
import type { ExperimentReport } from './report';
import type { LatencyStats } from './stats';

export type Row = readonly string[] | { readonly section: string };

export interface Table {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly Row[];
}

export const isSection = (r: Row): r is { readonly section: string } => !Array.isArray(r);

/** A fixed-width table: first column left-aligned, the others right-aligned; section rows span the table. */
export function renderTable(table: Table): string {
  const cells = table.rows.filter((r): r is readonly string[] => !isSection(r));
  const widths = table.headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const rule = '─'.repeat(widths.reduce((s, w) => s + w, 0) + 2 * (widths.length - 1));
  const out = [table.title, line(table.headers), rule];
  for (const r of table.rows) out.push(isSection(r) ? r.section : line(r));
  return out.join('\n');
}

export function describeSetup(report: ExperimentReport): string[] {
  const s = report.setup;
  const wan = `WAN ${s.wan.latencyMs} ms one-way${s.wan.bandwidthMbps ? `, ${s.wan.bandwidthMbps} Mbit/s` : ''}`;
  const rate = s.ratePerDevice === null ? 'closed loop' : `${s.ratePerDevice} req/s per device`;
  const split = s.split === 'same' ? 'every device sends every image' : 'each image once';
  return [
    `env ${s.env} · ${s.layers.join(' → ')} · ${s.brokersPerLayer} broker(s)/layer · ${s.partitions} partition(s) = worker replicas`,
    `${s.devices} devices (${rate}, ${split}) · ${s.images} images from ${s.dataset} · threshold ${s.threshold} · ${wan}`,
    ...(report.cpu ? [`CPU budgets: ${Object.keys(report.cpu.budgets).length > 0 ? Object.entries(report.cpu.budgets).map(([k, v]) => `${k} ${v}`).join(', ') : 'none'} · ${report.cpu.note}`] : []),
    `model ${s.model}@${s.modelVersion} · tfjs backend ${s.backend}${s.tfThreads ? ` (${s.tfThreads} thread(s)/worker)` : ''}${s.features ? ` · features ${s.features}` : ''} · ${s.host}${s.loadAverage ? ` · load ${s.loadAverage.map((l) => l.toFixed(2)).join(' ')} at start` : ''}`,
  ];
}

function statsRow(label: string, st: LatencyStats, speedUp: string, paper: string): string[] {
  return [label, count(st.count), ms(st.avg), ms(st.p50), ms(st.p95), ms(st.p99), ms(st.max), speedUp, paper];
}

/** §5.2 side by side: one column per early-exit transport, the cloud-only baseline, and the paper. */
export function summaryTable(report: ExperimentReport): Table {
  const p = report.paper;
  const runs = report.earlyExit;
  const co = report.cloudOnly;
  const exit = runs[0]?.exitLayer ?? report.setup.layers[0];
  const row = (label: string, perRun: (i: number) => string, cloudOnly: string, paper: string): string[] => [
    label,
    ...runs.map((_, i) => perRun(i)),
    cloudOnly,
    paper,
  ];
  return {
    title: 'Accuracy, exits, speed-ups and WAN traffic (paper §5.2)',
    headers: ['Measure', ...runs.map((r) => `edge-cloud ${r.transport}`), 'cloud-only', 'paper'],
    rows: [
      row('Requests answered / sent', (i) => `${runs[i].delivery.answered}/${runs[i].delivery.sent}`, `${co.delivery.answered}/${co.delivery.sent}`, String(p.testImages.value)),
      row('Duplicate answers', (i) => count(runs[i].delivery.duplicates), count(co.delivery.duplicates), DASH),
      { section: 'Accuracy (Fig. 6)' },
      row('Global accuracy', (i) => pct(runs[i].globalAccuracy), pct(co.accuracy), 'in Fig. 6'),
      row(`Share answered at the ${exit} exit`, (i) => pct(runs[i].exitShare), DASH, pct(p.edgeShare.value)),
      row(`${exit}-answered images, ${exit} exit`, (i) => pct(runs[i].exitAccuracyOnExitSet), DASH, pct(p.edgeExitAccuracyOnEdgeSet.value)),
      row(`${exit}-answered images, full model`, (i) => pct(runs[i].fullModelAccuracyOnExitSet), DASH, pct(p.fullModelAccuracyOnEdgeSet.value)),
      row(`${exit} exit agrees with full model`, (i) => pct(runs[i].exitAgreementWithFullModel), DASH, DASH),
      { section: 'Response time vs cloud-only (Figs. 7–9; paper at 3 brokers, 4 partitions)' },
      row('Speed-up, early exits (avg)', (i) => times(runs[i].speedUp.earlyExits), DASH, times(p.speedUpEarlyExitsAtBest.value)),
      row('Speed-up, all requests (avg)', (i) => times(runs[i].speedUp.total), DASH, times(p.speedUpTotalAtBest.value)),
      row('Speed-up, early exits (p50)', (i) => times(runs[i].speedUp.earlyExitsP50), DASH, DASH),
      row('Speed-up, all requests (p50)', (i) => times(runs[i].speedUp.totalP50), DASH, DASH),
      row('Response-time improvement (avg)', (i) => pct(runs[i].responseTimeImprovement), DASH, pct(p.responseTimeImprovement.value)),
      row('Throughput (answers/s)', (i) => runs[i].throughputPerSecond.toFixed(1), co.throughputPerSecond.toFixed(1), DASH),
      { section: 'WAN bytes per request (paper: JSON tensors, ≈60 kB per image, ≈300 kB per feature map)' },
      row('edge → cloud', (i) => bytes(runs[i].wanBytesPerRequest.up), bytes(co.wanBytesPerRequest.up), DASH),
      row('cloud → edge', (i) => bytes(runs[i].wanBytesPerRequest.down), bytes(co.wanBytesPerRequest.down), DASH),
      row('total', (i) => bytes(runs[i].wanBytesPerRequest.total), bytes(co.wanBytesPerRequest.total), DASH),
    ],
  };
}

/** Response-time distribution per answering layer, over all requests, and for the cloud-only baseline. */
export function latencyTable(report: ExperimentReport): Table {
  const p = report.paper;
  const rows: Row[] = [];
  for (const r of report.earlyExit) {
    rows.push({ section: `edge-cloud, ${r.transport} transport` });
    for (const [layer, st] of Object.entries(r.responseTimeMs.perLayer)) {
      const isExit = layer === r.exitLayer;
      const paper = isExit ? `${ms(p.simpleEdgeAnsweredAvgSeconds.value * 1000)} (1 partition)` : DASH;
      rows.push(statsRow(`  ${layer}-answered`, st, isExit ? times(r.speedUp.earlyExits) : DASH, paper));
    }
    rows.push(statsRow('  all', r.responseTimeMs.all, times(r.speedUp.total), DASH));
    rows.push(statsRow(`  cloud-only, same ${r.exitLayer}-answered images`, r.responseTimeMs.cloudOnlyOnExitSet, DASH, DASH));
  }
  rows.push({ section: 'cloud-only (whole model in the cloud, no exit)' });
  rows.push(statsRow('  all', report.cloudOnly.responseTimeMs, '1.00×', DASH));
  return {
    title: 'Response time per set, device-measured (ms); speed-up = cloud-only avg / set avg',
    headers: ['Set', 'n', 'avg', 'p50', 'p95', 'p99', 'max', 'speed-up', 'paper avg'],
    rows,
  };
}

/** Where the time of each answering layer's requests goes, per transport (averages over the same requests). */
export function breakdownTable(report: ExperimentReport): Table | null {
  const runs = report.earlyExit.filter((r) => Object.values(r.breakdownMs).some((b) => b.length > 0));
  if (runs.length === 0) return null;
  const columns = runs.flatMap((r) => Object.keys(r.breakdownMs).filter((l) => r.breakdownMs[l].length > 0).map((layer) => ({ r, layer })));
  const segments = [...new Set(columns.flatMap(({ r, layer }) => r.breakdownMs[layer].map((s) => s.segment)))];
  return {
    title: 'Where the time goes: average per segment of the path (ms), from worker timestamps',
    headers: ['Segment', ...columns.map(({ r, layer }) => `${r.transport}, ${layer}-answered`)],
    rows: segments.map((seg) => [seg, ...columns.map(({ r, layer }) => ms(r.breakdownMs[layer].find((s) => s.segment === seg)?.avgMs ?? NaN))]),
  };
}

/** CPU per group against its budget, and per component per request, for every run (the issue-17 table). */
export function cpuTable(report: ExperimentReport): Table | null {
  const cpu = report.cpu;
  if (!cpu || cpu.runs.length === 0) return null;
  const runs = cpu.runs;
  const groups = [...new Set(runs.flatMap((r) => Object.keys(r.groups)))];
  const rows: Row[] = [{ section: `CPU used per group, cores (budget; isolation: ${cpu.note})` }];
  for (const g of groups) {
    const budget = cpu.budgets[g];
    rows.push([
      `  ${g}${budget !== undefined ? ` (budget ${budget})` : ' (no budget)'}`,
      ...runs.map((r) => {
        const u = r.groups[g];
        return u ? `${u.usedCpus.toFixed(2)}${u.throttledMs > 0 ? ` (thr ${(u.throttledMs / 1000).toFixed(1)} s)` : ''}` : DASH;
      }),
    ]);
  }
  rows.push({ section: 'CPU per request, ms (all processes of the kind in that group)' });
  const kinds = [...new Set(runs.flatMap((r) => r.components.map((c) => `${c.layer}/${c.kind}`)))];
  for (const k of kinds) {
    rows.push([
      `  ${k}`,
      ...runs.map((r) => {
        const cs = r.components.filter((c) => `${c.layer}/${c.kind}` === k);
        return cs.length === 0 ? DASH : `${cs.reduce((s, c) => s + c.perRequestMs, 0).toFixed(2)} (${cs.length})`;
      }),
    ]);
  }
  rows.push([
    '  total',
    ...runs.map((r) => r.components.reduce((s, c) => s + c.perRequestMs, 0).toFixed(2)),
  ]);
  return { title: 'CPU: budgets and what each component used while the requests streamed', headers: ['Group / component', ...runs.map((r) => r.run)], rows };
}

export function renderReport(report: ExperimentReport): string {
  return [
    ...describeSetup(report),
    '',
    renderTable(summaryTable(report)),
    '',
    renderTable(latencyTable(report)),
    '',
    ...(breakdownTable(report) ? [renderTable(breakdownTable(report)!), ''] : []),
    ...(cpuTable(report) ? [renderTable(cpuTable(report)!), ''] : []),
    'paper: §5.2 of the Kafka-ML DDNN paper; its global accuracies and most absolute times are only in its figures.',
  ].join('\n');
}
